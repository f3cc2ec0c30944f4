package io.github.djlresnet.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.modality.Classifications;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.util.NDImageUtils;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.github.djlresnet.data.ImageSet;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImagePredictorTest {

    private static ImagePredictor predictor;
    private static ImageSet test;

    @TempDir Path tmp;

    @BeforeAll
    static void open() throws IOException {
        Fixtures.model();
        predictor = ImagePredictor.open(Fixtures.exported());
        test = Fixtures.test();
    }

    @AfterAll
    static void close() {
        predictor.close();
    }

    @Test
    void grayPngsGetTheSoftmaxOfTheInMemoryLogits() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] logits = Fixtures.logits(Fixtures.model(), Fixtures.pixels01(m, test, 0, 6));
            int uncertain = 0;
            for (int i = 0; i < 6; i++) {
                Path png = Fixtures.writeGrayPng(test, i, tmp.resolve(i + ".png"));
                Classifications c = predictor.classify(ImagePredictor.readImage(png));
                double[] expected = softmax(logits, i * 10, 10);
                for (int k = 0; k < 10; k++) {
                    assertEquals(expected[k], c.getProbabilities().get(k), 1e-5, "image " + i + " class " + k);
                }
                assertEquals(Fixtures.SYNSET, c.getClassNames());
                uncertain += c.best().getProbability() < 0.95 ? 1 : 0;
            }
            // one-hot probabilities would make the comparison above too easy to pass
            assertTrue(uncertain >= 3, uncertain + " of 6 images have a top probability below 0.95");
        }
    }

    @Test
    void rgbLargerAndJpegImagesAreConvertedToTheModelsInput() throws IOException {
        Path gray = Fixtures.writeGrayPng(test, 3, tmp.resolve("gray.png"));
        List<Double> expected = predictor.classify(ImagePredictor.readImage(gray)).getProbabilities();

        // RGB with r = g = b: DJL's GRAYSCALE conversion gives back the same gray levels
        Path rgbPng = writeRgb(3, 1, tmp.resolve("rgb.png"));
        assertClose(expected, predictor.classify(ImagePredictor.readImage(rgbPng)).getProbabilities(), 1e-6);

        // 56x56: DJL's translator resizes to 28x28 (bilinear, antialiased) before the model
        Path bigPng = writeRgb(3, 2, tmp.resolve("big.png"));
        Image big = ImagePredictor.readImage(bigPng);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray resized = NDImageUtils.resize(big.toNDArray(m, Image.Flag.GRAYSCALE), 28, 28) // (28, 28, 1)
                    .transpose(2, 0, 1).expandDims(0).toType(DataType.FLOAT32, false).div(255f);
            double[] viaResize = softmax(Fixtures.logits(Fixtures.model(), resized), 0, 10);
            List<Double> actual = predictor.classify(big).getProbabilities();
            for (int k = 0; k < 10; k++) {
                assertEquals(viaResize[k], actual.get(k), 1e-5, "class " + k);
            }
        }

        // JPEG is lossy: only check that it is read and classified
        Path jpg = tmp.resolve("img.jpg");
        ImageIO.write(ImageIO.read(rgbPng.toFile()), "jpg", jpg.toFile());
        ImagePredictor.Prediction p = predictor.classify(jpg, 3);
        assertEquals(3, p.top().size());
        double sum = predictor.classify(ImagePredictor.readImage(jpg)).getProbabilities().stream()
                .mapToDouble(Double::doubleValue).sum();
        assertEquals(1.0, sum, 1e-5);
    }

    @Test
    void aFileThatIsNotAnImageIsNamed() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes.png"), "not an image");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> predictor.classify(text, 1));
        assertEquals(text + " is not a readable image (PNG or JPEG expected)", e.getMessage());

        Path missing = tmp.resolve("missing.png");
        e = assertThrows(IllegalArgumentException.class, () -> predictor.classify(missing, 1));
        assertEquals("image " + missing + " does not exist or is not a file", e.getMessage());
    }

    /** Test image {@code i} as an RGB PNG (r = g = b), each pixel repeated {@code scale} times per side. */
    private static Path writeRgb(int i, int scale, Path file) throws IOException {
        int side = 28 * scale;
        BufferedImage rgb = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) {
                int v = test.pixels()[i * test.imageBytes() + (y / scale) * 28 + x / scale] & 0xFF;
                rgb.setRGB(x, y, v << 16 | v << 8 | v);
            }
        }
        ImageIO.write(rgb, "png", file.toFile());
        return file;
    }

    private static double[] softmax(float[] v, int from, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, v[from + i]);
        }
        double[] p = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            p[i] = Math.exp(v[from + i] - max);
            sum += p[i];
        }
        for (int i = 0; i < n; i++) {
            p[i] /= sum;
        }
        return p;
    }

    private static void assertClose(List<Double> expected, List<Double> actual, double tolerance) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i), actual.get(i), tolerance, "class " + i);
        }
    }
}
