package io.github.djlresnet.runtime;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import io.github.djlresnet.model.InvalidInputException;
import java.io.BufferedInputStream;
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
 * The checkpoint file format: text properties (where the run is), the block's parameters (BN
 * running statistics included, as DJL's {@code Block.saveParameters} writes them), then named
 * arrays (the optimizer's state), then an end marker. DJL's {@code Model.save} keeps only
 * parameters, hence this format. Written durably ({@link DurableFiles}).
 *
 * <p>Training writes and reads all of it; exporting reads the properties and the parameters only,
 * so it needs neither the optimizer nor the dataset.
 */
public final class CheckpointFile {

    private static final String MAGIC = "djl-resnet-checkpoint";
    /** 1: epochs done, best accuracy, best epoch as numbers; 2: a properties section. */
    private static final int VERSION = 2;
    private static final String END = "end";

    /**
     * Named arrays with this prefix and a parameter path are the exponential moving average of
     * that parameter ({@code --model-ema}); exports use them instead of the raw weights.
     */
    public static final String EMA_PREFIX = "#ema:";
    /** The property with the EMA's decay, present when the checkpoint has averages. */
    public static final String EMA_DECAY = "emaDecay";

    /** The properties and (if asked for) the named arrays of a checkpoint. */
    public record Contents(Map<String, String> properties, Map<String, NDArray> arrays) {}

    private CheckpointFile() {}

    /** Writes a checkpoint of {@code block}; {@code arrays} keys must be unique. */
    public static void write(Path file, Map<String, String> properties, Block block,
            Map<String, NDArray> arrays) throws IOException {
        DurableFiles.write(file, raw -> {
            DataOutputStream out = new DataOutputStream(raw);
            out.writeUTF(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(properties.size());
            for (Map.Entry<String, String> e : properties.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
            }
            block.saveParameters(out);
            out.writeInt(arrays.size());
            for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
                out.writeUTF(e.getKey());
                byte[] bytes = e.getValue().encode();
                out.writeInt(bytes.length);
                out.write(bytes);
            }
            out.writeUTF(END);
            out.flush();
        });
    }

    /**
     * Loads the parameters into {@code block} (built for the same architecture, not yet
     * initialized by a trainer) and returns the properties, plus the named arrays owned by
     * {@code manager} when {@code withArrays}. A missing, foreign, truncated or mismatched file is
     * an {@link InvalidInputException} with a one-line message.
     */
    public static Contents read(Path file, Block block, NDManager manager, boolean withArrays) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("checkpoint " + file + " does not exist");
        }
        try (InputStream raw = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 1 << 20))) {
            if (!MAGIC.equals(readMagic(in))) {
                throw new InvalidInputException(file + " is not a djl-resnet checkpoint");
            }
            int version = in.readInt();
            Map<String, String> properties = new LinkedHashMap<>();
            if (version == 1) {
                properties.put("epochsDone", String.valueOf(in.readInt()));
                properties.put("bestAccuracy", String.valueOf(in.readDouble()));
                properties.put("bestEpoch", String.valueOf(in.readInt()));
            } else if (version == VERSION) {
                int count = in.readInt();
                for (int i = 0; i < count; i++) {
                    properties.put(in.readUTF(), in.readUTF());
                }
            } else {
                throw new InvalidInputException(
                        file + " has checkpoint version " + version + ", this build reads 1 and " + VERSION);
            }
            block.loadParameters(manager, in);
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            if (withArrays) {
                int count = in.readInt();
                for (int i = 0; i < count; i++) {
                    String name = in.readUTF();
                    byte[] bytes = new byte[in.readInt()];
                    in.readFully(bytes);
                    arrays.put(name, manager.decode(bytes));
                }
                if (!END.equals(in.readUTF())) {
                    throw new InvalidInputException(file + " is corrupt (no end marker)");
                }
            }
            return new Contents(properties, arrays);
        } catch (EOFException e) {
            throw new InvalidInputException(file + " is truncated");
        } catch (MalformedModelException e) {
            throw new InvalidInputException(
                    file + " does not match this model's architecture: " + e.getMessage());
        } catch (IOException e) {
            throw new InvalidInputException("cannot read checkpoint " + file + ": " + e.getMessage());
        }
    }

    /**
     * Replaces each parameter of {@code block} that has an EMA array in {@code arrays} with it, in
     * place; returns how many were replaced.
     */
    public static int applyAverages(Block block, Map<String, NDArray> arrays) {
        int n = 0;
        for (ai.djl.util.Pair<String, ai.djl.nn.Parameter> p : block.getParameters()) {
            NDArray avg = arrays.get(EMA_PREFIX + p.getKey());
            if (avg != null) {
                copyInto(p.getValue().getArray(), avg);
                n++;
            }
        }
        return n;
    }

    /**
     * {@code target = source}, in place and exactly for finite values ({@code target * 0 + source}),
     * so that the array a block or an optimizer holds stays the same object.
     */
    public static void copyInto(NDArray target, NDArray source) {
        target.muli(0).addi(source);
    }

    private static String readMagic(DataInputStream in) throws IOException {
        try {
            return in.readUTF();
        } catch (java.io.UTFDataFormatException e) {
            return "";
        }
    }
}
