package io.github.djlresnet.train;

import io.github.djlresnet.runtime.AtomicFiles;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything needed to continue training exactly: the block's parameters (BN running statistics
 * included), the optimizer's state (SGD's momentum buffers, or Adam's moments and step count), the
 * epochs done and the best validation accuracy so far. DJL's {@code Model.save} keeps only
 * parameters, hence this format. One file, written atomically. The learning rate and the data
 * order are functions of the epoch, so the epoch counter restores them.
 */
public final class Checkpoint {

    private static final String MAGIC = "djl-resnet-checkpoint";
    private static final int VERSION = 1;
    private static final String END = "end";

    /** What a checkpoint says about the run besides the arrays. */
    public record State(int epochsDone, double bestAccuracy, int bestEpoch) {}

    private Checkpoint() {}

    public static void save(Path file, Block block, StepOptimizer optimizer, State state)
            throws IOException {
        AtomicFiles.write(
                file,
                raw -> {
                    DataOutputStream out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 20));
                    out.writeUTF(MAGIC);
                    out.writeInt(VERSION);
                    out.writeInt(state.epochsDone());
                    out.writeDouble(state.bestAccuracy());
                    out.writeInt(state.bestEpoch());
                    block.saveParameters(out);
                    // parameter ids are random per block instance; store the optimizer state by
                    // the parameter's path in the block, which a rebuilt block shares
                    Map<String, String> names = new LinkedHashMap<>();
                    for (Pair<String, Parameter> p : block.getParameters()) {
                        names.put(p.getValue().getId(), p.getKey());
                    }
                    Map<String, NDArray> optimizerState = optimizer.state();
                    out.writeInt(optimizerState.size());
                    for (Map.Entry<String, NDArray> e : optimizerState.entrySet()) {
                        out.writeUTF(translate(e.getKey(), names));
                        byte[] bytes = e.getValue().encode();
                        out.writeInt(bytes.length);
                        out.write(bytes);
                    }
                    out.writeUTF(END);
                    out.flush();
                });
    }

    /**
     * Call before the trainer initializes the block, so that it keeps these values and marks them
     * as requiring gradients.
     *
     * <p>Loads parameters into {@code block} and buffers into {@code optimizer}; returns the run state.
     * Throws IllegalArgumentException with a one-line message for a missing, foreign, truncated or
     * mismatched file.
     */
    public static State load(Path file, Block block, StepOptimizer optimizer, NDManager manager) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("checkpoint " + file + " does not exist");
        }
        try (InputStream raw = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 20))) {
            if (!MAGIC.equals(readMagic(in))) {
                throw new IllegalArgumentException(file + " is not a djl-resnet checkpoint");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IllegalArgumentException(
                        file + " has checkpoint version " + version + ", this build reads " + VERSION);
            }
            State state = new State(in.readInt(), in.readDouble(), in.readInt());
            block.loadParameters(manager, in);
            Map<String, String> ids = new LinkedHashMap<>();
            for (Pair<String, Parameter> p : block.getParameters()) {
                ids.put(p.getKey(), p.getValue().getId());
            }
            int count = in.readInt();
            Map<String, NDArray> buffers = new LinkedHashMap<>();
            try (NDManager tmp = manager.newSubManager()) {
                for (int i = 0; i < count; i++) {
                    String name = in.readUTF();
                    String key = translate(name, ids);
                    if (key == null) {
                        throw new IllegalArgumentException(
                                file + " has optimizer state for " + name + ", which this model lacks");
                    }
                    byte[] bytes = new byte[in.readInt()];
                    in.readFully(bytes);
                    buffers.put(key, tmp.decode(bytes));
                }
                if (!END.equals(in.readUTF())) {
                    throw new IllegalArgumentException(file + " is corrupt (no end marker)");
                }
                optimizer.restoreState(buffers, manager);
            }
            return state;
        } catch (EOFException e) {
            throw new IllegalArgumentException(file + " is truncated");
        } catch (MalformedModelException e) {
            throw new IllegalArgumentException(
                    file + " does not match this model's architecture: " + e.getMessage());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read checkpoint " + file + ": " + e.getMessage());
        }
    }

    /**
     * Maps the parameter part of an optimizer state key ({@code <parameter>[#part]}, see
     * {@link StepOptimizer#state()}) through {@code map}; keys of no parameter ({@code #name}) stay
     * as they are. Null when the parameter is not in {@code map}.
     */
    private static String translate(String key, Map<String, String> map) {
        int hash = key.indexOf('#');
        if (hash == 0) {
            return key;
        }
        String parameter = hash < 0 ? key : key.substring(0, hash);
        String mapped = map.get(parameter);
        return mapped == null ? null : mapped + (hash < 0 ? "" : key.substring(hash));
    }

    private static String readMagic(DataInputStream in) throws IOException {
        try {
            return in.readUTF();
        } catch (java.io.UTFDataFormatException e) {
            return "";
        }
    }
}
