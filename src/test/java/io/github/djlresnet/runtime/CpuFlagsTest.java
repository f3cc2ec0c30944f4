package io.github.djlresnet.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CpuFlagsTest {

    /** Flags as three CPUs of this project's machines print them (shortened). */
    private static final String ZEN3 = "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n"
            + "flags\t\t: fpu sse sse2 avx fma avx2 bmi2 sha_ni vaes\nbugs\t\t: sysret_ss_attrs\n\n"
            + "processor\t: 1\nflags\t\t: fpu sse sse2 avx fma avx2 bmi2 sha_ni vaes\n";
    private static final String ZEN4 = "flags\t\t: sse2 avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl"
            + " avx512_bf16 avx512_vnni\n";
    private static final String AVX2_VNNI_2 = "flags\t\t: sse2 avx2 fma avx_vnni avx_ne_convert\n";

    @Test
    void parsesTheFirstFlagsLine() {
        assertEquals(Set.of("fpu", "sse", "sse2", "avx", "fma", "avx2", "bmi2", "sha_ni", "vaes"),
                CpuFlags.parse(ZEN3));
        assertEquals(Set.of(), CpuFlags.parse("processor\t: 0\n"));
    }

    @Test
    void bf16ConvolutionsNeedAvx512OrAvxNeConvert() {
        assertFalse(CpuFlags.hasBf16Convolutions(CpuFlags.parse(ZEN3)));
        assertTrue(CpuFlags.hasBf16Convolutions(CpuFlags.parse(ZEN4)));
        assertTrue(CpuFlags.hasBf16Convolutions(CpuFlags.parse(AVX2_VNNI_2)));
        // AVX-512F alone (Xeon Phi) is not enough
        assertFalse(CpuFlags.hasBf16Convolutions(Set.of("avx512f", "avx512cd")));
    }

    @Test
    void warnsForBf16OnlyWithoutItsFastPath() {
        assertTrue(CpuFlags.bf16Warning(CpuFlags.parse(ZEN3)).orElseThrow().contains("--precision fp32"));
        assertTrue(CpuFlags.bf16Warning(CpuFlags.parse(ZEN4)).isEmpty());
        assertTrue(CpuFlags.bf16Warning(Set.of()).isEmpty(), "flags unreadable: no guess");
    }

    /** fp32 inference: channels-last throughout on AVX2, the measured per-block layout on AVX-512. */
    @Test
    void fp32InferenceLayoutFollowsTheCpu() {
        assertEquals(TorchScriptFeaturesKernel.CHANNELS_LAST, Precision.fp32InferenceLayout(CpuFlags.parse(ZEN3)));
        assertEquals(7, Precision.fp32InferenceLayout(CpuFlags.parse(ZEN4)));
        assertEquals(7, Precision.fp32InferenceLayout(Set.of()), "flags unreadable: the AVX-512 choice");
    }

    @Test
    void fp32TrainingLayoutFollowsTheCpuAndTheMapSize() {
        assertTrue(Precision.fp32TrainsChannelsLast(CpuFlags.parse(ZEN3), 28), "s28g on AVX2");
        assertTrue(Precision.fp32TrainsChannelsLast(CpuFlags.parse(ZEN3), 7), "w28g on AVX2");
        assertFalse(Precision.fp32TrainsChannelsLast(CpuFlags.parse(ZEN3), 56), "w224 stays NCHW");
        assertFalse(Precision.fp32TrainsChannelsLast(CpuFlags.parse(ZEN4), 28), "AVX-512 keeps DJL's NCHW layers");
        assertFalse(Precision.fp32TrainsChannelsLast(Set.of(), 28), "flags unreadable: the AVX-512 choice");
    }

    /** The real file on an x86-64 Linux machine (every x86-64 CPU has SSE2). */
    @Test
    void readsThisMachinesFlags() {
        String arch = System.getProperty("os.arch");
        if (!Files.isReadable(Path.of("/proc/cpuinfo")) || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return;
        }
        assertTrue(CpuFlags.read().contains("sse2"), "sse2 among " + CpuFlags.read());
    }
}
