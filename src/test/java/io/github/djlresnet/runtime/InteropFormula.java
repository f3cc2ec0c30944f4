package io.github.djlresnet.runtime;

import io.github.djlresnet.model.ResNetConfig;
import io.github.djlresnet.model.TorchvisionNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights and input of bench/interop_fixture.py, computed here the same way (an integer hash,
 * so both sides get the same float32 values), and a plain safetensors writer of its own so that
 * tests do not write their input with the code they test.
 */
public final class InteropFormula {

    public static final Path RESOURCES = Paths.get(System.getProperty("basedir", "."), "src", "test", "resources",
            "interop");

    /** One tensor: torchvision name, shape, float32 values, and the dtype tag to write it under. */
    public record Named(String name, long[] shape, float[] values, String dtype) {}

    private InteropFormula() {}

    /** n values in [-1, 1): the script's {@code uniform(n, t)}. */
    public static double[] uniform(int n, int t) {
        double[] out = new double[n];
        for (int j = 0; j < n; j++) {
            long h = (j * 2654435761L + t * 40503L + 12345L) % (1L << 32);
            h ^= h >>> 15;
            h = (h * 2146121005L) % (1L << 32);
            h ^= h >>> 13;
            out[j] = h / (double) (1L << 31) - 1;
        }
        return out;
    }

    /** The script's {@code formula_value}: every tensor of {@code config}, in torchvision's order. */
    public static List<Named> weights(ResNetConfig config) {
        List<Named> out = new ArrayList<>();
        int t = 0;
        for (TorchvisionNames.Tensor tensor : TorchvisionNames.of(config)) {
            long[] shape = tensor.shape();
            int n = 1;
            for (long d : shape) {
                n *= (int) d;
            }
            double[] b = uniform(n, t);
            float[] v = new float[n];
            String name = tensor.torchName();
            for (int j = 0; j < n; j++) {
                double x;
                if (name.endsWith("running_var")) {
                    x = 1 + 0.25 * b[j];
                } else if (name.endsWith("running_mean") || name.endsWith("bias")) {
                    x = 0.1 * b[j];
                } else if (shape.length > 1) {
                    x = b[j] * Math.sqrt(3.0 / (n / shape[0]));
                } else {
                    x = 1 + 0.2 * b[j];
                }
                v[j] = (float) x;
            }
            out.add(new Named(name, shape, v, "F32"));
            t++;
        }
        return out;
    }

    /** The script's input: 0.5 + 0.5 * uniform(n, 1000). */
    public static float[] input(int n) {
        double[] b = uniform(n, 1000);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (0.5 + 0.5 * b[i]);
        }
        return x;
    }

    /** torchvision's logits as the script wrote them. */
    public static float[] torchLogits(String caseName) throws IOException {
        return Files.readAllLines(RESOURCES.resolve("parity-" + caseName + ".txt")).stream()
                .filter(l -> !l.startsWith("#") && !l.isBlank())
                .map(Float::parseFloat).collect(java.util.stream.Collectors.collectingAndThen(
                        java.util.stream.Collectors.toList(), l -> {
                            float[] a = new float[l.size()];
                            for (int i = 0; i < a.length; i++) {
                                a[i] = l.get(i);
                            }
                            return a;
                        }));
    }

    /** Writes tensors as safetensors: F32 values as given, other dtype tags as raw 4-byte copies. */
    public static Path write(Path file, List<Named> tensors) throws IOException {
        StringBuilder json = new StringBuilder("{");
        long offset = 0;
        for (Named t : tensors) {
            long end = offset + 4L * t.values().length;
            json.append(json.length() > 1 ? "," : "").append('"').append(t.name()).append("\":{\"dtype\":\"")
                    .append(t.dtype()).append("\",\"shape\":").append(java.util.Arrays.toString(t.shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate((int) (8 + header.length + offset)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header);
        for (Named t : tensors) {
            for (float v : t.values()) {
                b.putFloat(v);
            }
        }
        return Files.write(file, b.array());
    }

    /** Tensors by name, for tests that read a file back. */
    public static Map<String, Named> byName(List<Named> tensors) {
        Map<String, Named> m = new LinkedHashMap<>();
        tensors.forEach(t -> m.put(t.name(), t));
        return m;
    }
}
