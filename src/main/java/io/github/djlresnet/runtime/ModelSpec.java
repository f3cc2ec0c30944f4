package io.github.djlresnet.runtime;

import io.github.djlresnet.data.Normalization;
import io.github.djlresnet.model.ResNetConfig;
import java.util.List;

/**
 * What another app needs, beside the parameters, to run a trained model: the architecture, the
 * input it expects and the class names.
 *
 * @param config the architecture (depth, classes, input channels, stem, shortcut)
 * @param imageSize side of the square input images, in pixels
 * @param normalization per-channel mean and std applied after scaling pixels to [0, 1]
 * @param synset class names, index = label
 */
public record ModelSpec(
        ResNetConfig config, int imageSize, Normalization normalization, List<String> synset) {

    public ModelSpec {
        synset = List.copyOf(synset);
        if (synset.size() != config.classes()) {
            throw new IllegalArgumentException(
                    "synset has " + synset.size() + " names for " + config.classes() + " classes");
        }
    }
}
