package io.github.djlresnet.serving;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import io.github.djlresnet.model.ResNet;
import java.nio.file.Path;
import java.util.Map;

/**
 * Rebuilds an exported model's block from its {@code serving.properties}; named there as
 * {@code blockFactory}, so that DJL's {@code Criteria} (and DJL Serving) can load the folder. DJL
 * finds this class on the class path or in the jar that the export puts in the model folder.
 */
public final class ResNetBlockFactory implements BlockFactory {

    private static final long serialVersionUID = 1L;

    /** DJL instantiates factories reflectively through this constructor. */
    public ResNetBlockFactory() {}

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
        ServingArguments args = ServingArguments.parse(arguments);
        return new NormalizedBlock(ResNet.build(args.config()), args.mean(), args.std());
    }
}
