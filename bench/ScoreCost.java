import ai.djl.inference.Predictor;
import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.repository.zoo.ZooModel;
import io.github.djlresnet.runtime.NoGrad;
import io.github.djlresnet.serving.ModelLoader;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * What one image costs a score task without Spark: decoding its bytes, then DJL's translator and
 * the forward pass in batches, on one LibTorch thread (as a task runs), several rounds.
 * Run from the project root after `mvn -q compile` (CP: the test class path, as in score-vs-evaluate.sh):
 * java -Dai.djl.offline=true -cp "target/classes:$CP" bench/ScoreCost.java MODEL IMAGE_DIR [BATCH] [ROUNDS]
 */
public final class ScoreCost {

    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.pytorch.num_threads", "1");
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        List<byte[]> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(Path.of(args[1]))) {
            for (Path p : s.filter(f -> f.toString().endsWith(".png")).sorted().toList()) {
                files.add(Files.readAllBytes(p));
            }
        }
        try (ZooModel<Image, Classifications> model = ModelLoader.classifier(Path.of(args[0]));
                NoGrad noGrad = new NoGrad()) {
            for (int r = 1; r <= rounds; r++) {
                long t0 = System.nanoTime();
                List<Image> images = new ArrayList<>();
                for (byte[] b : files) {
                    images.add(ImageFactory.getInstance().fromInputStream(new ByteArrayInputStream(b)));
                }
                long t1 = System.nanoTime();
                try (Predictor<Image, Classifications> p = model.newPredictor()) {
                    for (int i = 0; i < images.size(); i += batch) {
                        p.batchPredict(images.subList(i, Math.min(images.size(), i + batch)));
                    }
                }
                long t2 = System.nanoTime();
                int n = files.size();
                System.out.printf("round %d: %d images, decode %.2f ms/img, translate+forward %.2f ms/img, %.1f img/s on one thread%n",
                        r, n, (t1 - t0) / 1e6 / n, (t2 - t1) / 1e6 / n, n / ((t2 - t0) / 1e9));
            }
        }
    }
}
