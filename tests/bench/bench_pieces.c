/*
 * bench_pieces: what calling an unmasking loop once per read costs the
 * machine itself, with no library code at all.
 *
 * bench_parser's split group shows the stream parser keeping 58-80% of its
 * whole-buffer rate on large binary frames read 1460 bytes at a time. This
 * program times the least code that can unmask in place, an aligned loop of
 * 64-byte XORs with no head, tail or call but its own, over the same bytes
 * three ways, interleaved in one process on the same memory (so page
 * placement, which moves whole runs on a VM, is shared):
 *
 *   whole   one call for the whole buffer;
 *   same    one call per piece, every piece the same length;
 *   random  one call per piece, each L or L+64 bytes at random, so the
 *           loop's trip count changes in a way no predictor can learn.
 *
 * x86-64 with AVX-512F only (the Zen 5 and Intel tables in
 * docs/PERFORMANCE.md); elsewhere it says so and exits 0.
 *
 *   bench_pieces [--footprint BYTES] [--passes N] [--quick]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_LOOP 1
#endif

#ifdef HAVE_LOOP
__attribute__((target("avx512f"), noinline)) static void xor_blocks(uint8_t *data, size_t len,
                                                                     uint32_t key)
{
    const __m512i k = _mm512_set1_epi32((int)key);
    for (size_t i = 0; i < len; i += 64)
        _mm512_store_si512((void *)(data + i),
                           _mm512_xor_si512(_mm512_load_si512((const void *)(data + i)), k));
}

static uint64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

enum { WHOLE, SAME, RANDOM, WAYS };

typedef struct plan {
    size_t *lens;
    size_t calls, bytes;
} plan;

/* Piece lengths fixed before timing, so the timed loop draws no numbers. */
static void make_plan(plan *p, int way, size_t footprint, size_t piece, uint32_t *seed)
{
    p->calls = p->bytes = 0;
    if (way == WHOLE) {
        p->lens[p->calls++] = footprint;
        p->bytes = footprint;
        return;
    }
    while (p->bytes + piece + 64 <= footprint) {
        *seed = *seed * 1103515245u + 12345u;
        const size_t len = piece + (way == RANDOM && (*seed >> 16 & 1) ? 64 : 0);
        p->lens[p->calls++] = len;
        p->bytes += len;
    }
}

static uint64_t time_pass(uint8_t *buf, const uint8_t *pristine, size_t footprint,
                          const plan *p)
{
    memcpy(buf, pristine, footprint);
    uint64_t t0 = now_ns();
    size_t off = 0;
    for (size_t i = 0; i < p->calls; i++) {
        xor_blocks(buf + off, p->lens[i], 0x5a3c96e1u);
        off += p->lens[i];
    }
    return now_ns() - t0;
}

static size_t parse_size(const char *opt, const char *v, size_t min)
{
    char *end;
    unsigned long long n = v ? strtoull(v, &end, 10) : 0;
    if (!v || *end || n < min) {
        fprintf(stderr, "bench_pieces: %s wants a number from %zu\n", opt, min);
        exit(2);
    }
    return (size_t)n;
}

int main(int argc, char **argv)
{
    size_t footprint = 258048, passes = 1000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--footprint") == 0) {
            footprint = parse_size(argv[i], argv[i + 1], 8192);
            i++;
        } else if (strcmp(argv[i], "--passes") == 0) {
            passes = parse_size(argv[i], argv[i + 1], 1);
            i++;
        } else if (strcmp(argv[i], "--quick") == 0) {
            passes = 3;
        } else {
            fprintf(stderr, "usage: bench_pieces [--footprint BYTES] [--passes N] [--quick]\n");
            return strcmp(argv[i], "--help") == 0 ? 0 : 2;
        }
    }
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) {
        printf("bench_pieces: this CPU has no AVX-512F; nothing to time\n");
        return 0;
    }
    footprint &= ~(size_t)63;
    uint8_t *buf = aligned_alloc(64, footprint), *pristine = aligned_alloc(64, footprint);
    plan plans[WAYS];
    bool have_memory = buf && pristine;
    for (int w = 0; w < WAYS; w++) {
        plans[w].lens = malloc((footprint / 512 + 1) * sizeof(size_t));
        have_memory = have_memory && plans[w].lens;
    }
    if (!have_memory) {
        fprintf(stderr, "bench_pieces: out of memory\n");
        return 1;
    }
    uint32_t seed = 1;
    for (size_t i = 0; i < footprint; i++) {
        seed = seed * 1103515245u + 12345u;
        pristine[i] = (uint8_t)(seed >> 16);
    }

    static const size_t pieces[] = {512, 1024, 1472, 2048, 4096};
    printf("bench_pieces: aligned in-place 64-byte XOR loop over %zu bytes, fastest of %zu "
           "passes per way, the three ways interleaved\n\n",
           footprint, passes);
    printf("%7s | %11s | %11s %8s | %11s %8s | %s\n", "piece", "whole", "same", "ns/call",
           "random", "ns/call", "random's extra ns per call");
    for (size_t pi = 0; pi < sizeof pieces / sizeof pieces[0]; pi++) {
        uint64_t best[WAYS];
        for (int w = 0; w < WAYS; w++) {
            make_plan(&plans[w], w, footprint, pieces[pi], &seed);
            best[w] = UINT64_MAX;
        }
        for (size_t pass = 0; pass < passes * WAYS; pass++) {
            const plan *p = &plans[pass % WAYS];
            const uint64_t t = time_pass(buf, pristine, footprint, p);
            if (t < best[pass % WAYS])
                best[pass % WAYS] = t;
        }
        double gbs[WAYS], ns_call[WAYS];
        for (int w = 0; w < WAYS; w++) {
            gbs[w] = (double)plans[w].bytes / (double)(best[w] ? best[w] : 1);
            ns_call[w] = (double)best[w] / (double)plans[w].calls;
        }
        /* What the random lengths cost beyond their extra bytes, which the
         * same-length way's rate prices. */
        const double extra =
            ns_call[RANDOM] - (double)plans[RANDOM].bytes / (double)plans[RANDOM].calls / gbs[SAME];
        printf("%5zu B | %6.1f GB/s | %6.1f GB/s %8.2f | %6.1f GB/s %8.2f | %+.2f\n", pieces[pi],
               gbs[WHOLE], gbs[SAME], ns_call[SAME], gbs[RANDOM], ns_call[RANDOM], extra);
    }
    printf("\nGB/s of bytes XORed in place. same: one call per piece of L bytes; random: one\n"
           "call per piece of L or L+64 bytes; its extra is beyond the time of those bytes\n"
           "at the same-length rate.\n");
    for (int w = 0; w < WAYS; w++)
        free(plans[w].lens);
    free(buf);
    free(pristine);
    return 0;
}
#else
int main(void)
{
    printf("bench_pieces: x86-64 (AVX-512F) only; nothing to time here\n");
    return 0;
}
#endif
