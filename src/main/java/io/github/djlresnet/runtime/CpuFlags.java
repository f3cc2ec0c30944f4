package io.github.djlresnet.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The CPU's instruction-set flags (Linux's /proc/cpuinfo), for two questions: which layout fp32
 * inference runs ({@link Precision#inferenceKernel}: AVX-512 or not), and will LibTorch's bf16
 * convolutions be fast here? LibTorch 2.7 sends bf16 convolutions to
 * oneDNN only where oneDNN has a bf16 path (ATen's {@code mkldnn_bf16_device_check}: AVX-512 with
 * BW, VL and DQ, or AVX-NE-CONVERT); elsewhere they run on reference kernels. Measured on an AVX2
 * machine (AMD Zen 3, 2026-12-06): s28g training in bf16 did not finish 3 steps in 300 s, in
 * djl-resnet or in PyTorch 2.13 autocast, against about 20 img/s in fp32 (bench/RESULTS.md).
 */
public final class CpuFlags {

    private static final Path CPUINFO = Path.of("/proc/cpuinfo");

    private CpuFlags() {}

    /** Read once per JVM: the flags do not change while it runs. */
    private static final class Holder {
        static final Set<String> FLAGS = readFile();
    }

    /** The flags of the first processor listed, or empty where /proc/cpuinfo is not readable. */
    public static Set<String> read() {
        return Holder.FLAGS;
    }

    private static Set<String> readFile() {
        try {
            return parse(Files.readString(CPUINFO));
        } catch (IOException | RuntimeException e) {
            return Set.of();
        }
    }

    /** The words of the first "flags" line of a /proc/cpuinfo text. */
    static Set<String> parse(String cpuinfo) {
        return cpuinfo.lines()
                .filter(l -> l.startsWith("flags"))
                .findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).trim())
                .map(f -> Arrays.stream(f.split("\\s+")).collect(Collectors.toUnmodifiableSet()))
                .orElse(Set.of());
    }

    /**
     * Whether these flags are known and lack AVX-512 (AVX2-only CPUs such as AMD Zen 3), where
     * oneDNN's fp32 NCHW convolutions run on its slower blocked kernels and fp32 runs channels-last
     * ({@link Precision}); unreadable flags count as AVX-512, the layout measured first.
     */
    static boolean lacksAvx512(Set<String> flags) {
        return !flags.isEmpty() && !flags.contains("avx512f");
    }

    /** Whether these flags give oneDNN a bf16 convolution path (see the class comment). */
    static boolean hasBf16Convolutions(Set<String> flags) {
        return flags.containsAll(Set.of("avx512f", "avx512bw", "avx512vl", "avx512dq"))
                || flags.contains("avx_ne_convert");
    }

    /**
     * A warning for {@code --precision bf16} on this CPU, or empty where bf16 has its fast path
     * (or the flags cannot be read, e.g. not on Linux or not x86).
     */
    public static Optional<String> bf16Warning() {
        return bf16Warning(read());
    }

    static Optional<String> bf16Warning(Set<String> flags) {
        if (flags.isEmpty() || !flags.contains("sse2") || hasBf16Convolutions(flags)) {
            return Optional.empty();
        }
        return Optional.of("this CPU has no AVX-512 (BW/VL/DQ) or AVX-NE-CONVERT, so LibTorch runs bf16"
                + " convolutions on its slow reference kernels here, far below fp32 (PyTorch's autocast too):"
                + " use --precision fp32 on this machine");
    }
}
