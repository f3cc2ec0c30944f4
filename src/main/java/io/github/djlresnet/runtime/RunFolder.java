package io.github.djlresnet.runtime;

import io.github.djlresnet.model.InvalidInputException;
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

    /** The model spec, written when the run starts (what export needs besides a checkpoint). */
    public Path modelSpec() {
        return dir.resolve("model-spec.properties");
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
            throw new InvalidInputException(
                    "output folder " + dir + " already exists and is not empty; choose another"
                            + " --output, or --resume it");
        }
        try {
            Files.createDirectories(dir.resolve("checkpoints"));
        } catch (IOException e) {
            throw new InvalidInputException("cannot create output folder " + dir + ": " + e);
        }
        if (!Files.isWritable(dir)) {
            throw new InvalidInputException("output folder " + dir + " is not writable");
        }
        return new RunFolder(dir);
    }

    /** An existing run to resume: it must hold run settings and a checkpoint. */
    public static RunFolder existing(Path dir) {
        RunFolder folder = new RunFolder(dir);
        if (!Files.isDirectory(dir)) {
            throw new InvalidInputException("cannot resume " + dir + ": no such folder");
        }
        if (!Files.isRegularFile(folder.options()) || !Files.isRegularFile(folder.lastCheckpoint())) {
            throw new InvalidInputException(
                    "cannot resume " + dir + ": it is not a training run (no run.properties and"
                            + " checkpoints/last.ckpt)");
        }
        return folder;
    }

    /**
     * An existing run to export from: it must hold its model spec and the checkpoint {@code which}
     * ({@code last} or {@code best}); its dataset is not needed.
     */
    public static RunFolder forExport(Path dir, String which) {
        RunFolder folder = new RunFolder(dir);
        if (!Files.isDirectory(dir)) {
            throw new InvalidInputException("cannot export " + dir + ": no such folder");
        }
        if (!Files.isRegularFile(folder.lastCheckpoint())) {
            throw new InvalidInputException("cannot export " + dir + ": it is not a training run (no checkpoints/last.ckpt)");
        }
        if (!Files.isRegularFile(folder.modelSpec())) {
            throw new InvalidInputException("cannot export " + dir + ": it has no " + folder.modelSpec().getFileName()
                    + " (runs made before djl-resnet recorded it: run `train --resume` once to write it)");
        }
        Path checkpoint = folder.checkpoint(which);
        if (!Files.isRegularFile(checkpoint)) {
            throw new InvalidInputException("cannot export " + dir + ": it has no " + which + " checkpoint (" + checkpoint + ")");
        }
        return folder;
    }

    /** The {@code last} or {@code best} checkpoint. */
    public Path checkpoint(String which) {
        return switch (which) {
            case "last" -> lastCheckpoint();
            case "best" -> bestCheckpoint();
            default -> throw new InvalidInputException("--checkpoint must be last or best, got '" + which + "'");
        };
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
