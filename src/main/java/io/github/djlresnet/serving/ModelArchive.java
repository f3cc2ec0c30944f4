package io.github.djlresnet.serving;

import io.github.djlresnet.model.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Unpacks a zipped model folder into a fresh temporary folder. DJL can unpack zips itself, but it
 * caches them by path: a zip re-exported under the same name would load the old model.
 */
final class ModelArchive {

    private ModelArchive() {}

    static boolean isZip(Path file) {
        if (!Files.isRegularFile(file)) {
            return false;
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
        } catch (IOException e) {
            return false;
        }
    }

    /** The temporary folder holding the zip's files; the caller deletes it. */
    static Path extract(Path zip) {
        Path dir;
        try {
            dir = Files.createTempDirectory("djl-resnet-model-");
        } catch (IOException e) {
            throw new InvalidInputException("cannot create a temporary folder to unzip " + zip + ": " + e.getMessage(), e);
        }
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            int files = 0;
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                Path out = dir.resolve(e.getName()).normalize();
                if (!out.startsWith(dir)) {
                    throw new InvalidInputException(zip + ": entry '" + e.getName() + "' points outside the archive");
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
                    files++;
                }
            }
            if (files == 0) {
                throw new InvalidInputException(zip + " is an empty or unreadable zip archive");
            }
            return dir;
        } catch (ZipException | java.io.EOFException e) {
            ModelExporter.deleteQuietly(dir);
            throw new InvalidInputException(zip + " is a corrupt or truncated zip archive (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            ModelExporter.deleteQuietly(dir);
            throw new InvalidInputException("cannot unzip " + zip + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            ModelExporter.deleteQuietly(dir);
            throw e;
        }
    }
}
