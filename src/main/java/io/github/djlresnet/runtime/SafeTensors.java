package io.github.djlresnet.runtime;

import io.github.djlresnet.model.InvalidInputException;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors file format (as torchvision and timm publish weights): an 8-byte little-endian
 * header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw
 * little-endian data.
 *
 * <p>Why not DJL's {@code NDList.decode}: it reads safetensors, but the PyTorch engine aborts the
 * whole JVM on a BFLOAT16 array. Here the header is parsed and checked in Java and F16/BF16/F64
 * values become float32 before any NDArray exists. Every problem with a file is an
 * {@link IllegalArgumentException} with a one-line message naming the file.
 */
public final class SafeTensors {

    /** Headers beyond this are not weight files (the format's own reader caps them at 100 MB). */
    private static final long MAX_HEADER = 100L << 20;

    private static final String METADATA = "__metadata__";

    /** The dtypes this reader turns into float32. */
    public static final List<String> FLOAT_DTYPES = List.of("F32", "F16", "BF16", "F64");

    /**
     * One tensor's header entry.
     *
     * @param dtype as written in the file, e.g. {@code F32}, {@code BF16}, {@code I64}
     * @param shape dimensions (empty for a scalar)
     * @param begin first byte in the data section
     * @param end byte after the last one
     */
    public record Entry(String dtype, long[] shape, long begin, long end) {

        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }

        public String shapeText() {
            return Arrays.toString(shape);
        }
    }

    /** A float32 tensor to write. */
    public record Tensor(long[] shape, float[] values) {

        public Tensor {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            if (n != values.length) {
                throw new InvalidInputException(
                        "shape " + Arrays.toString(shape) + " needs " + n + " values, got " + values.length);
            }
        }
    }

    private final Path file;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;
    private final ByteBuffer data;

    private SafeTensors(Path file, Map<String, Entry> entries, Map<String, String> metadata, ByteBuffer data) {
        this.file = file;
        this.entries = entries;
        this.metadata = metadata;
        this.data = data;
    }

    /** Opens and checks a file: header, dtypes' sizes and byte ranges; the data is mapped, not read. */
    public static SafeTensors open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("weights file " + file + " does not exist or is not a file");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw bad(file, "is " + size + " bytes long, shorter than a safetensors header");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthBytes, 0);
            long headerLength = lengthBytes.getLong(0);
            if (headerLength <= 1 || headerLength > MAX_HEADER || headerLength > size - 8) {
                throw bad(file, "does not start with a safetensors header (header length " + headerLength
                        + ", file " + size + " bytes)");
            }
            ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
            readFully(channel, headerBytes, 8);
            String json = new String(headerBytes.array(), StandardCharsets.UTF_8);
            if (!json.startsWith("{")) {
                throw bad(file, "does not start with a safetensors JSON header");
            }
            long dataStart = 8 + headerLength;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = parseHeader(file, json, size - dataStart, metadata);
            ByteBuffer data = channel.map(FileChannel.MapMode.READ_ONLY, dataStart, size - dataStart)
                    .order(ByteOrder.LITTLE_ENDIAN);
            return new SafeTensors(file, entries, metadata, data);
        } catch (IOException e) {
            throw new InvalidInputException("cannot read weights file " + file + ": " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static Map<String, Entry> parseHeader(Path file, String json, long dataLength,
            Map<String, String> metadata) {
        JsonObject header;
        try {
            JsonElement parsed = JsonParser.parseString(json.strip());
            if (!parsed.isJsonObject()) {
                throw bad(file, "has a safetensors header that is not a JSON object");
            }
            header = parsed.getAsJsonObject();
        } catch (JsonParseException e) {
            throw bad(file, "has a broken safetensors header (" + firstLine(e.getMessage()) + ")");
        }
        Map<String, Entry> entries = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : header.entrySet()) {
            String name = e.getKey();
            if (name.equals(METADATA)) {
                if (e.getValue().isJsonObject()) {
                    e.getValue().getAsJsonObject().entrySet().forEach(m -> metadata.put(m.getKey(),
                            m.getValue().isJsonPrimitive() ? m.getValue().getAsString() : m.getValue().toString()));
                }
                continue;
            }
            entries.put(name, entry(file, name, e.getValue(), dataLength));
        }
        return entries;
    }

    private static Entry entry(Path file, String name, JsonElement value, long dataLength) {
        try {
            JsonObject o = value.getAsJsonObject();
            String dtype = o.get("dtype").getAsString();
            JsonArray shapeJson = o.get("shape").getAsJsonArray();
            long[] shape = new long[shapeJson.size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shapeJson.get(i).getAsLong();
                if (shape[i] < 0) {
                    throw bad(file, "gives tensor " + name + " a negative dimension");
                }
            }
            JsonArray offsets = o.get("data_offsets").getAsJsonArray();
            long begin = offsets.get(0).getAsLong();
            long end = offsets.get(1).getAsLong();
            Entry entry = new Entry(dtype, shape, begin, end);
            if (begin < 0 || end < begin || end > dataLength) {
                throw bad(file, "is truncated: tensor " + name + " needs bytes " + begin + ".." + end
                        + " of a data section of " + dataLength);
            }
            int width = dtypeBytes(dtype);
            if (width > 0 && entry.elements() * width != end - begin) {
                throw bad(file, "is inconsistent: tensor " + name + " (" + dtype + " " + entry.shapeText()
                        + ") should take " + entry.elements() * width + " bytes, the header gives " + (end - begin));
            }
            return entry;
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && iae.getMessage().startsWith("weights file")) {
                throw iae;
            }
            throw bad(file, "has a malformed safetensors entry for " + name);
        }
    }

    /** Bytes per element of a safetensors dtype; 0 when unknown. */
    static int dtypeBytes(String dtype) {
        return switch (dtype) {
            case "F64", "I64", "U64" -> 8;
            case "F32", "I32", "U32" -> 4;
            case "F16", "BF16", "I16", "U16" -> 2;
            case "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2" -> 1;
            default -> 0;
        };
    }

    /** The file's tensors by name, in header order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The header's {@code __metadata__} (string to string); empty when absent. */
    public Map<String, String> metadata() {
        return metadata;
    }

    public Path file() {
        return file;
    }

    /** A tensor's values as float32, converting F16, BF16 and F64; other dtypes are refused. */
    public float[] floats(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new InvalidInputException("weights file " + file + " has no tensor " + name);
        }
        if (!FLOAT_DTYPES.contains(e.dtype())) {
            throw bad(file, "holds tensor " + name + " as " + e.dtype() + "; supported: "
                    + String.join(", ", FLOAT_DTYPES));
        }
        long n = e.elements();
        if (n > Integer.MAX_VALUE) {
            throw bad(file, "holds tensor " + name + " with " + n + " elements, too many for one array");
        }
        float[] out = new float[(int) n];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        b.position((int) e.begin());
        switch (e.dtype()) {
            case "F32" -> b.asFloatBuffer().get(out);
            case "F64" -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) b.getDouble();
                }
            }
            case "F16" -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = halfToFloat(b.getShort());
                }
            }
            default -> { // BF16: the high half of a float32
                for (int i = 0; i < out.length; i++) {
                    out[i] = Float.intBitsToFloat((b.getShort() & 0xFFFF) << 16);
                }
            }
        }
        return out;
    }

    /**
     * Writes float32 tensors in the given order, with string metadata. The header is padded with
     * spaces to a multiple of 8 bytes, as the format's own writer does, so that data is aligned.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata)
            throws IOException {
        JsonObject header = new JsonObject();
        if (!metadata.isEmpty()) {
            JsonObject meta = new JsonObject();
            metadata.forEach(meta::addProperty);
            header.add(METADATA, meta);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            JsonObject o = new JsonObject();
            o.addProperty("dtype", "F32");
            JsonArray shape = new JsonArray();
            for (long d : e.getValue().shape()) {
                shape.add(d);
            }
            o.add("shape", shape);
            JsonArray offsets = new JsonArray();
            long end = offset + 4L * e.getValue().values().length;
            offsets.add(offset);
            offsets.add(end);
            o.add("data_offsets", offsets);
            header.add(e.getKey(), o);
            offset = end;
        }
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        DurableFiles.write(file, raw -> {
            OutputStream out = new BufferedOutputStream(raw, 1 << 20);
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
            out.write(headerBytes);
            ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors.values()) {
                for (float v : t.values()) {
                    if (!chunk.hasRemaining()) {
                        out.write(chunk.array(), 0, chunk.position());
                        chunk.clear();
                    }
                    chunk.putFloat(v);
                }
            }
            out.write(chunk.array(), 0, chunk.position());
            out.flush();
        });
    }

    /** IEEE 754 binary16 to float32, exactly (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) { // infinity or NaN
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) { // zero or subnormal: mantissa * 2^-24
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    private static InvalidInputException bad(Path file, String what) {
        return new InvalidInputException("weights file " + file + " " + what);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
