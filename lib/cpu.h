/*
 * cpu.h - which SIMD code paths this build may compile, shared by mask.c and
 * utf8.c. Internal; not installed.
 *
 * x86-64: SSE2 is part of the base ABI, so SSE2 paths are chosen at compile
 * time. AVX2 is not: those functions carry __attribute__((target("avx2"))) so
 * the rest of the build needs no -mavx2, and are chosen at run time with
 * __builtin_cpu_supports. The library keeps no global mutable state, so the
 * answer is not cached in a variable of ours: the builtin reads the CPU model
 * that libgcc / compiler-rt fills once at start-up, a load and a bit test, so
 * asking on every call that is big enough to benefit costs about a nanosecond.
 *
 * AVX-512 is asked for as one level, the one of Ice Lake and Zen 4 on:
 * F, BW (byte lanes and masked byte loads and stores, which make a tail
 * of any length one instruction with no read past the end), VL, VBMI
 * (byte permutes across the whole register) and BMI2 (building those
 * masks). Earlier AVX-512 parts lack VBMI and slow their clock for 512-bit
 * work, so they keep the AVX2 paths.
 *
 * aarch64: NEON is part of the base ABI; chosen at compile time.
 */
#ifndef WS_CPU_H
#define WS_CPU_H

#include <stdbool.h>

#if defined(__x86_64__) && defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#define WS_HAVE_SSE2 1
#define WS_HAVE_AVX2 1
#define WS_TARGET_AVX2 __attribute__((target("avx2")))
static inline bool ws_cpu_has_avx2(void) { return __builtin_cpu_supports("avx2"); }
#define WS_HAVE_AVX512 1
#define WS_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,bmi,bmi2")))
static inline bool ws_cpu_has_avx512(void)
{
    return __builtin_cpu_supports("avx512vbmi") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("bmi2");
}
#endif

#if defined(__aarch64__) && defined(__ARM_NEON)
#define WS_HAVE_NEON 1
#endif

#endif
