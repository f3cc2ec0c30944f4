package io.github.djlresnet.serving;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The header of a DJL {@code .params} file (what {@code BaseModel.save} writes before the block's
 * parameters): magic, format version, model name, data type, input shapes and model properties.
 *
 * <p>Read before DJL loads the file because DJL silently skips a file without the magic (leaving
 * the block uninitialized) and, for a file of another architecture, fails somewhere in the middle
 * with an unrelated message; the properties written at export tell us the architecture up front.
 *
 * @param modelName the name the file was saved under
 * @param dataType the model's data type
 * @param properties the model properties saved with the parameters
 */
record ParamsHeader(String modelName, String dataType, Map<String, String> properties) {

    private static final int MAX_DIMENSIONS = 16;
    private static final int MAX_ENTRIES = 10_000;

    /** Reads the header; an {@link IOException} means the file is not a readable DJL params file. */
    static ParamsHeader read(Path file) throws IOException {
        try (InputStream raw = Files.newInputStream(file);
                DataInputStream in = new DataInputStream(new BufferedInputStream(raw))) {
            byte[] magic = new byte[4];
            in.readFully(magic);
            if (!"DJL@".equals(new String(magic, StandardCharsets.US_ASCII))) {
                throw new IOException("no DJL@ magic at the start");
            }
            int version = in.readInt();
            if (version != 1) {
                throw new IOException("unknown params format version " + version);
            }
            String name = in.readUTF();
            String dataType = in.readUTF();
            int inputs = count(in.readInt(), "inputs");
            for (int i = 0; i < inputs; i++) {
                in.readUTF();
                skipShape(in);
            }
            int count = count(in.readInt(), "properties");
            Map<String, String> properties = new LinkedHashMap<>();
            for (int i = 0; i < count; i++) {
                properties.put(in.readUTF(), in.readUTF());
            }
            return new ParamsHeader(name, dataType, properties);
        }
    }

    /** Shape encoding: int n, n longs, int m, m chars (layout). */
    private static void skipShape(DataInputStream in) throws IOException {
        int dims = count(in.readInt(), "dimensions");
        if (dims > MAX_DIMENSIONS) {
            throw new IOException("implausible input shape with " + dims + " dimensions");
        }
        in.readFully(new byte[dims * Long.BYTES]);
        int layout = count(in.readInt(), "layout");
        if (layout > MAX_DIMENSIONS) {
            throw new IOException("implausible layout with " + layout + " characters");
        }
        in.readFully(new byte[layout * Character.BYTES]);
    }

    private static int count(int n, String what) throws IOException {
        if (n < 0 || n > MAX_ENTRIES) {
            throw new IOException("implausible number of " + what + ": " + n);
        }
        return n;
    }
}
