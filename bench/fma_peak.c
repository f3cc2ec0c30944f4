/*
 * The CPU's FP32 FMA peak (issue 28): per thread, 12 independent chains of 512-bit (zmm) fused
 * multiply-adds, enough to keep two FMA pipes with 4-cycle latency busy; each FMA is 16 x 2 FLOPs.
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

#ifndef __AVX512F__
#error "needs AVX-512F: build with -march=native on an AVX-512 CPU"
#endif

#define CHAINS 12

/* Runs `iters` iterations of CHAINS independent FMAs; returns a value that depends on all of them
   so that the compiler keeps the work. */
static float fma_loop(long iters) {
    __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-6f);
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    for (long n = 0; n < iters; n++) {
        /* a constant trip count: gcc -O3 unrolls it and keeps every chain in its own register */
        for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    }
    __m512 s = acc[0];
    for (int i = 1; i < CHAINS; i++) s = _mm512_add_ps(s, acc[i]);
    return _mm512_reduce_add_ps(s);
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
        double gflops = (double)threads * iters * CHAINS * 16 * 2 / dt / 1e9;
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
        printf("%d thread%s: %.1f GFLOP/s FP32 FMA\n", t, t == 1 ? "" : "s", result[t - 1]);
    }
    printf("{\"fma_peak_gflops\":{");
    for (int t = 1; t <= n; t++) printf("%s\"%d\":%.1f", t == 1 ? "" : ",", t, result[t - 1]);
    printf("}}\n");
    return sink == 12345.0f ? 1 : 0; /* never true in practice; keeps `sink` live */
}
