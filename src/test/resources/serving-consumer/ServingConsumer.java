import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import java.nio.file.Paths;
import java.util.Arrays;

/**
 * A DJL app that knows nothing of djl-resnet: its class path holds DJL's jars only. Compiled and
 * run by ForeignJvmTest. Arguments: model paths, "--", image files. Prints one line per result:
 * {@code result <model index> <image index> <probability> <class name>}.
 */
public final class ServingConsumer {

    public static void main(String[] args) throws Exception {
        try {
            Class.forName("io.github.djlresnet.model.ResNet");
            System.out.println("isolated false");
        } catch (ClassNotFoundException e) {
            System.out.println("isolated true");
        }
        int sep = Arrays.asList(args).indexOf("--");
        for (int m = 0; m < sep; m++) {
            Criteria<Image, Classifications> criteria =
                    Criteria.builder()
                            .setTypes(Image.class, Classifications.class)
                            .optModelPath(Paths.get(args[m]))
                            .optEngine("PyTorch")
                            .build();
            try (ZooModel<Image, Classifications> model = criteria.loadModel();
                    Predictor<Image, Classifications> predictor = model.newPredictor()) {
                Class<?> block = model.getBlock().getClass();
                System.out.println("block " + m + " " + block.getName() + " from "
                        + block.getProtectionDomain().getCodeSource().getLocation());
                for (int i = sep + 1; i < args.length; i++) {
                    Image image = ImageFactory.getInstance().fromFile(Paths.get(args[i]));
                    Classifications.Classification best = predictor.predict(image).best();
                    System.out.println("result " + m + " " + (i - sep - 1) + " " + best.getProbability() + " "
                            + best.getClassName());
                }
            }
        }
    }
}
