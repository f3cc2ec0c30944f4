package io.github.djlresnet.data;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an image folder with one subfolder per class ({@code root/cat/1.png}, ...). If the root
 * has {@code train/} and {@code val/} subfolders, those are the two sets; otherwise a seeded
 * {@code --val-split} fraction of the images is held out (none when it is 0). The synset is the
 * sorted list of class folder names (of {@code train/} when split). Hidden files are ignored.
 *
 * <p>Images are decoded with {@link ImageIO} (PNG, JPEG, BMP, GIF), converted to the wanted
 * channels and resized bilinearly ({@link ImageDecoder}) to the target size: {@code imageSize} x {@code imageSize} if given, else the size of the first
 * image. Mixed sizes are therefore resized, never rejected.
 *
 * <p>A file that is not a decodable image is skipped with a WARN naming it, rather than failing
 * the run: stray files (thumbnails, notes, a truncated download) are common in real folders and
 * one of them should not cost a whole training run. A class folder left with no image at all is
 * an error.
 */
public final class ImageFolderReader {

    private static final Logger LOG = LoggerFactory.getLogger(ImageFolderReader.class);

    private final Path root;
    private final int channels;
    private final int imageSize;

    /**
     * @param root the folder
     * @param channels 3 (RGB) or 1 (luminance)
     * @param imageSize square side to resize to, or 0 for the size of the first image
     */
    public ImageFolderReader(Path root, int channels, int imageSize) {
        if (channels != 1 && channels != 3) {
            throw new DataException("image folder channels must be 1 or 3, got " + channels);
        }
        this.root = root;
        this.channels = channels;
        this.imageSize = imageSize;
    }

    /** Train and validation sets ({@code train/} + {@code val/}, or a seeded split). */
    public ValidationSplit read(double valSplit, long seed) {
        checkRoot();
        Path val = root.resolve("val");
        if (Files.isDirectory(root.resolve("train")) && Files.isDirectory(val)) {
            if (valSplit > 0) {
                LOG.info("{}: using its val/ folder, --val-split {} is ignored", root, valSplit);
            }
            ImageSet train = readClasses(root.resolve("train"), null, null);
            return new ValidationSplit(train, readClasses(val, train.synset(), sizeOf(train)));
        }
        Path classRoot = Files.isDirectory(root.resolve("train")) ? root.resolve("train") : root;
        ImageSet all = readClasses(classRoot, null, null);
        if (valSplit > 0) {
            return ValidationSplit.of(all, valSplit, seed);
        }
        LOG.warn("{}: no val/ folder and --val-split is 0, so there is no validation set", root);
        ImageSet none = new ImageSet(
                "folder:" + root + "[no validation]", new byte[0], new int[0],
                all.channels(), all.height(), all.width(), all.synset());
        return new ValidationSplit(all, none);
    }

    /** The {@code test/} subfolder, labelled with the training synset. */
    public ImageSet readTest() {
        checkRoot();
        Path test = root.resolve("test");
        if (!Files.isDirectory(test)) {
            throw new DataException("image folder " + root + " has no test/ subfolder");
        }
        Path trainRoot = Files.isDirectory(root.resolve("train")) ? root.resolve("train") : root;
        List<String> synset = classNames(trainRoot);
        // the first training image fixes the size, as in read()
        int[] size = imageSize > 0 ? new int[] {imageSize, imageSize} : firstImageSize(trainRoot, synset);
        return readClasses(test, synset, size);
    }

    private void checkRoot() {
        if (!Files.exists(root)) {
            throw new DataException("image folder " + root + " does not exist");
        }
        if (!Files.isDirectory(root)) {
            throw new DataException("image folder " + root + " is not a directory");
        }
    }

    private static int[] sizeOf(ImageSet set) {
        return new int[] {set.height(), set.width()};
    }

    /** Sorted, non-hidden subfolder names. */
    private static List<String> classNames(Path dir) {
        List<String> names = new ArrayList<>();
        for (Path p : list(dir)) {
            if (Files.isDirectory(p)) {
                names.add(p.getFileName().toString());
            }
        }
        if (names.isEmpty()) {
            throw new DataException(
                    "image folder " + dir + " has no class subfolders (expected " + dir + "/<class>/<image>)");
        }
        return names;
    }

    /**
     * Reads every class folder of {@code dir}. {@code synset} null means "the folders of dir";
     * {@code size} null means "the size of the first image".
     */
    private ImageSet readClasses(Path dir, List<String> synset, int[] size) {
        List<String> classes = classNames(dir);
        if (synset == null) {
            synset = classes;
        }
        ByteArrayOutputStream pixels = new ByteArrayOutputStream();
        List<Integer> labels = new ArrayList<>();
        int resized = 0;
        for (String cls : classes) {
            int label = synset.indexOf(cls);
            if (label < 0) {
                throw new DataException(dir.resolve(cls) + ": class '" + cls + "' is not among the training classes " + synset);
            }
            Path classDir = dir.resolve(cls);
            List<Path> files = list(classDir);
            int found = 0;
            for (Path file : files) {
                if (Files.isDirectory(file)) {
                    LOG.warn("skipping {}: a folder inside a class folder", file);
                    continue;
                }
                BufferedImage img = decode(file);
                if (img == null) {
                    continue;
                }
                if (size == null) {
                    size = imageSize > 0 ? new int[] {imageSize, imageSize} : new int[] {img.getHeight(), img.getWidth()};
                }
                if (img.getHeight() != size[0] || img.getWidth() != size[1]) {
                    resized++;
                }
                pixels.writeBytes(ImageDecoder.resized(img, channels, size[0], size[1]));
                labels.add(label);
                found++;
            }
            if (files.isEmpty()) {
                throw new DataException("class folder " + classDir + " is empty");
            }
            if (found == 0) {
                throw new DataException("class folder " + classDir + " has no decodable image (" + files.size() + " skipped)");
            }
        }
        if (resized > 0) {
            LOG.info("{}: resized {} of {} images to {}x{}", dir, resized, labels.size(), size[0], size[1]);
        }
        int[] y = labels.stream().mapToInt(Integer::intValue).toArray();
        return new ImageSet("folder:" + dir, pixels.toByteArray(), y, channels, size[0], size[1], synset);
    }

    private static int[] firstImageSize(Path dir, List<String> classes) {
        for (String cls : classes) {
            for (Path file : list(dir.resolve(cls))) {
                BufferedImage img = Files.isDirectory(file) ? null : decode(file);
                if (img != null) {
                    return new int[] {img.getHeight(), img.getWidth()};
                }
            }
        }
        throw new DataException("image folder " + dir + " has no decodable image");
    }

    /** The decoded image, or null (with a WARN naming the file) when it is not an image. */
    private static BufferedImage decode(Path file) {
        try {
            BufferedImage img = ImageIO.read(file.toFile());
            if (img == null) {
                LOG.warn("skipping {}: not a decodable image", file);
            }
            return img;
        } catch (IOException | RuntimeException e) { // some decoders throw unchecked on garbage
            LOG.warn("skipping {}: not a decodable image ({})", file, e.getMessage());
            return null;
        }
    }

    /** Sorted, non-hidden entries of a folder. */
    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new DataException(dir + ": cannot list (" + e.getMessage() + ")", e);
        }
    }
}
