package io.github.djlresnet.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The files of one training run, {@code models/<run>/}: settings, metrics, curves, checkpoints,
 * and (when it finishes) the exported model.
 */
public record RunFolder(Path dir) {

    public String name() {
        return dir.toAbsolutePath().normalize().getFileName().toString();
    }

    public Path options() {
        return dir.resolve("run.properties");
    }

    public Path metrics() {
        return dir.resolve("metrics.csv");
    }

    public Path curves() {
        return dir.resolve("curves.png");
    }

    public Path lastCheckpoint() {
        return dir.resolve("checkpoints").resolve("last.ckpt");
    }

    public Path bestCheckpoint() {
        return dir.resolve("checkpoints").resolve("best.ckpt");
    }

    /** A new run folder; refuses to reuse one that holds anything, so no run is overwritten. */
    public static RunFolder create(Path dir) {
        if (Files.exists(dir) && !isEmptyDirectory(dir)) {
            throw new IllegalArgumentException(
                    "output folder " + dir + " already exists and is not empty; choose another"
                            + " --output, or --resume it");
        }
        try {
            Files.createDirectories(dir.resolve("checkpoints"));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot create output folder " + dir + ": " + e);
        }
        if (!Files.isWritable(dir)) {
            throw new IllegalArgumentException("output folder " + dir + " is not writable");
        }
        return new RunFolder(dir);
    }

    /** An existing run to resume: it must hold run settings and a checkpoint. */
    public static RunFolder existing(Path dir) {
        RunFolder folder = new RunFolder(dir);
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("cannot resume " + dir + ": no such folder");
        }
        if (!Files.isRegularFile(folder.options()) || !Files.isRegularFile(folder.lastCheckpoint())) {
            throw new IllegalArgumentException(
                    "cannot resume " + dir + ": it is not a training run (no run.properties and"
                            + " checkpoints/last.ckpt)");
        }
        return folder;
    }

    private static boolean isEmptyDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }
}
