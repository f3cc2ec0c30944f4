package io.github.djlresnet.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader against a file PyTorch wrote (bench/interop_fixture.py), and the writer. */
class SafeTensorsTest {

    static final Path DTYPES = Paths.get(System.getProperty("basedir", "."),
            "src", "test", "resources", "interop", "dtypes.safetensors");

    @TempDir Path tmp;

    @Test
    void convertsF16Bf16F64AsTorchDoes() {
        SafeTensors st = SafeTensors.open(DTYPES);
        for (String tag : new String[] {"f16", "bf16", "f64", "f32"}) {
            float[] converted = st.floats("values_" + tag);
            float[] torch = st.floats("values_" + tag + ".f32");
            assertEquals(16, converted.length);
            for (int i = 0; i < converted.length; i++) {
                // bit for bit: signed zeros, infinities and subnormals included
                assertEquals(Float.floatToIntBits(torch[i]), Float.floatToIntBits(converted[i]),
                        tag + " element " + i + ": " + converted[i] + " vs torch's " + torch[i]);
            }
        }
        assertEquals("BF16", st.entries().get("matrix_bf16").dtype());
        assertArrayEquals(new long[] {2, 3}, st.entries().get("matrix_bf16").shape());
        assertArrayEquals(st.floats("matrix_bf16.f32"), st.floats("matrix_bf16"));
        assertEquals(Map.of("format", "pt"), st.metadata());
    }

    @Test
    void refusesIntegerTensorsWithOneLine() {
        SafeTensors st = SafeTensors.open(DTYPES);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> st.floats("steps_i64"));
        assertTrue(e.getMessage().contains("steps_i64 as I64; supported: F32, F16, BF16, F64"), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }

    @Test
    void halfPrecisionEdgeValues() {
        // IEEE 754 binary16 bit patterns and their values
        assertEquals(1.0f, SafeTensors.halfToFloat((short) 0x3C00));
        assertEquals(-2.0f, SafeTensors.halfToFloat((short) 0xC000));
        assertEquals(65504f, SafeTensors.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, SafeTensors.halfToFloat((short) 0x0001));
        assertEquals(0x1p-14f, SafeTensors.halfToFloat((short) 0x0400));
        assertEquals(Float.NEGATIVE_INFINITY, SafeTensors.halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(SafeTensors.halfToFloat((short) 0x7E00)));
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(SafeTensors.halfToFloat((short) 0x8000)));
    }

    @Test
    void writesWhatItReadsWithAlignedData() throws IOException {
        Map<String, SafeTensors.Tensor> tensors = new LinkedHashMap<>();
        tensors.put("a.weight", new SafeTensors.Tensor(new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, -0f, 7e-42f}));
        tensors.put("b", new SafeTensors.Tensor(new long[] {1}, new float[] {Float.MAX_VALUE}));
        Path file = tmp.resolve("w.safetensors");
        SafeTensors.write(file, tensors, Map.of("note", "hi"));
        byte[] bytes = Files.readAllBytes(file);
        long header = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, header % 8, "data starts 8-aligned");
        assertEquals(8 + header + 7 * 4, bytes.length);
        SafeTensors st = SafeTensors.open(file);
        assertEquals(java.util.List.of("a.weight", "b"), java.util.List.copyOf(st.entries().keySet()));
        assertArrayEquals(tensors.get("a.weight").values(), st.floats("a.weight"));
        assertEquals(Float.MAX_VALUE, st.floats("b")[0]);
        assertEquals("hi", st.metadata().get("note"));
    }

    @Test
    void truncatedOrForeignFilesAreOneLineErrors() throws IOException {
        byte[] good = Files.readAllBytes(DTYPES);
        Path truncated = Files.write(tmp.resolve("t.safetensors"), Arrays.copyOf(good, good.length - 10));
        assertMessage(truncated, "is truncated");
        Path text = Files.writeString(tmp.resolve("x.safetensors"), "this is not a weights file at all\n");
        assertMessage(text, "does not start with a safetensors header");
        Path tiny = Files.write(tmp.resolve("tiny.safetensors"), new byte[] {1, 2, 3});
        assertMessage(tiny, "shorter than a safetensors header");
        byte[] json = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 4]}}"
                .getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        Path inconsistent = Files.write(tmp.resolve("i.safetensors"), b.array());
        assertMessage(inconsistent, "should take 8 bytes, the header gives 4");
        byte[] broken = "{\"a\": {\"dtype\": ".getBytes(StandardCharsets.UTF_8);
        ByteBuffer c = ByteBuffer.allocate(8 + broken.length).order(ByteOrder.LITTLE_ENDIAN);
        c.putLong(broken.length).put(broken);
        assertMessage(Files.write(tmp.resolve("b.safetensors"), c.array()), "broken safetensors header");
        assertMessage(tmp.resolve("missing.safetensors"), "does not exist");
    }

    private static void assertMessage(Path file, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.open(file));
        assertTrue(e.getMessage().contains(part), e.getMessage());
        assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), e.getMessage());
    }
}
