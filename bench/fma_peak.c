/*
 * The CPU's FP32 FMA peak (issue 28): per thread, 12 independent chains of fused multiply-adds of
 * the widest vector the CPU has (512-bit zmm with AVX-512, else 256-bit ymm with AVX2/FMA), enough
 * to keep two FMA pipes with 4-cycle latency busy; each FMA is LANES x 2 FLOPs (LANES = 16 or 8).
 * Prints GFLOP/s for 1 thread and for every count up to the number of cores (OpenMP's default),
 * best of several timed repetitions, then one JSON line for bench/compare.py:
 *   {"fma_peak_gflops":{"1":244.1,"2":464.3}}
 *
 * Build (bench/setup-peers.sh does this):  gcc -O3 -march=native -fopenmp -o bench/fma_peak bench/fma_peak.c
 * Run:                                     bench/fma_peak [seconds per measurement, default 0.5]
 * Nothing else should run on the machine: the figure is a ceiling, not a typical speed.
 */
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define VSET1 _mm512_set1_ps
#define VFMA _mm512_fmadd_ps
#define VADD _mm512_add_ps
static float vsum(vec v) { return _mm512_reduce_add_ps(v); }
#elif defined(__AVX2__) && defined(__FMA__)
/* Zen 2/3 and most Intel client parts: two 256-bit FMA pipes */
typedef __m256 vec;
#define LANES 8
#define VSET1 _mm256_set1_ps
#define VFMA _mm256_fmadd_ps
#define VADD _mm256_add_ps
static float vsum(vec v) {
    float f[8];
    _mm256_storeu_ps(f, v);
    return f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
}
#else
#error "needs AVX-512F or AVX2+FMA: build with -march=native"
#endif

#define CHAINS 12

/* Runs `iters` iterations of CHAINS independent FMAs; returns a value that depends on all of them
   so that the compiler keeps the work. */
static float fma_loop(long iters) {
    vec a = VSET1(0.999999f), b = VSET1(1e-6f);
    vec acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = VSET1((float)i);
    for (long n = 0; n < iters; n++) {
        /* a constant trip count: gcc -O3 unrolls it and keeps every chain in its own register */
        for (int i = 0; i < CHAINS; i++) acc[i] = VFMA(acc[i], a, b);
    }
    vec s = acc[0];
    for (int i = 1; i < CHAINS; i++) s = VADD(s, acc[i]);
    return vsum(s);
}

/* GFLOP/s of `threads` threads each running fma_loop(iters); best of `reps`. */
static double measure(int threads, long iters, int reps, volatile float *sink) {
    double best = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = omp_get_wtime();
#pragma omp parallel num_threads(threads)
        {
            float v = fma_loop(iters);
#pragma omp atomic
            *sink += v;
        }
        double dt = omp_get_wtime() - t0;
        double gflops = (double)threads * iters * CHAINS * LANES * 2 / dt / 1e9;
        if (gflops > best) best = gflops;
    }
    return best;
}

int main(int argc, char **argv) {
    double seconds = argc > 1 ? atof(argv[1]) : 0.5;
    if (!(seconds > 0)) {
        fprintf(stderr, "usage: fma_peak [seconds per measurement > 0]\n");
        return 2;
    }
    int max_threads = omp_get_num_procs();
    volatile float sink = 0;
    /* calibrate: iterations of one thread in about `seconds` */
    long iters = 1000000;
    double t0 = omp_get_wtime();
    sink += fma_loop(iters);
    double dt = omp_get_wtime() - t0;
    if (dt > 0) iters = (long)(iters * seconds / dt);
    if (iters < 1000) iters = 1000;

    double result[256];
    int n = max_threads < 256 ? max_threads : 256;
    for (int t = 1; t <= n; t++) {
        result[t - 1] = measure(t, iters, 5, &sink);
        printf("%d thread%s: %.1f GFLOP/s FP32 FMA (%d-bit vectors)\n", t, t == 1 ? "" : "s", result[t - 1],
               LANES * 32);
    }
    printf("{\"fma_peak_gflops\":{");
    for (int t = 1; t <= n; t++) printf("%s\"%d\":%.1f", t == 1 ? "" : ",", t, result[t - 1]);
    printf("}}\n");
    return sink == 12345.0f ? 1 : 0; /* never true in practice; keeps `sink` live */
}
