/*
 * fuzz_utf8 - the UTF-8 validator on arbitrary bytes against a reference
 * written from the table of well-formed byte sequences (Unicode 15, table
 * 3-7), with invariants:
 *   - ws_utf8_validate agrees with the reference;
 *   - fed whole, the error offset is the reference's first impossible byte;
 *   - fed in two pieces split at a point derived from the input, the result
 *     and the offset are the same;
 *   - every implementation compiled in (portable, SSE2, AVX2, AVX-512, NEON) agrees;
 *   - the stream parser's check of a cut small text (AVX-512) accepts
 *     exactly what the reference finds valid or only truncated.
 */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "utf8_avx512.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

enum { VALID = -1, TRUNCATED = -2 };

/* Well-formed sequences: a lead range and the ranges of the bytes after it. */
static const struct {
    uint8_t lead_lo, lead_hi;
    uint8_t n;
    uint8_t lo[3], hi[3];
} table[] = {
    {0x00, 0x7F, 0, {0}, {0}},
    {0xC2, 0xDF, 1, {0x80}, {0xBF}},
    {0xE0, 0xE0, 2, {0xA0, 0x80}, {0xBF, 0xBF}},
    {0xE1, 0xEC, 2, {0x80, 0x80}, {0xBF, 0xBF}},
    {0xED, 0xED, 2, {0x80, 0x80}, {0x9F, 0xBF}},
    {0xEE, 0xEF, 2, {0x80, 0x80}, {0xBF, 0xBF}},
    {0xF0, 0xF0, 3, {0x90, 0x80, 0x80}, {0xBF, 0xBF, 0xBF}},
    {0xF1, 0xF3, 3, {0x80, 0x80, 0x80}, {0xBF, 0xBF, 0xBF}},
    {0xF4, 0xF4, 3, {0x80, 0x80, 0x80}, {0x8F, 0xBF, 0xBF}},
};

static long reference(const uint8_t *d, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t row = sizeof table / sizeof table[0];
        for (size_t t = 0; t < sizeof table / sizeof table[0]; t++)
            if (d[i] >= table[t].lead_lo && d[i] <= table[t].lead_hi)
                row = t;
        if (row == sizeof table / sizeof table[0])
            return (long)i;
        for (size_t k = 0; k < table[row].n; k++) {
            if (i + 1 + k >= len)
                return TRUNCATED;
            uint8_t b = d[i + 1 + k];
            if (b < table[row].lo[k] || b > table[row].hi[k])
                return (long)(i + 1 + k);
        }
        i += 1 + table[row].n;
    }
    return VALID;
}

typedef ws_status (*feed_fn)(ws_utf8 *, const uint8_t *, size_t, size_t *);

static long run(feed_fn feed, const uint8_t *d, size_t len, size_t split)
{
    ws_utf8 v;
    ws_utf8_init(&v);
    size_t at = (size_t)-1;
    if (feed(&v, d, split, &at) != WS_OK) {
        CHECK(at < split);
        return (long)at;
    }
    if (feed(&v, d + split, len - split, &at) != WS_OK) {
        CHECK(at < len - split);
        return (long)(split + at);
    }
    return ws_utf8_finish(&v) == WS_OK ? VALID : TRUNCATED;
}

typedef ws_status (*unmask_feed_fn)(ws_utf8 *v, uint8_t *data, size_t len, const uint8_t key[4],
                                    size_t *key_offset, size_t *error_at);

/* d masked from key offset 1, fed in two pieces cut at split. */
static long run_unmask(unmask_feed_fn feed, uint8_t *d, size_t len, const uint8_t key[4],
                       size_t split)
{
    ws_utf8 v;
    ws_utf8_init(&v);
    size_t key_offset = 1, at = 0;
    if (feed(&v, d, split, key, &key_offset, &at) != WS_OK)
        return (long)at;
    CHECK(key_offset == ((1 + split) & 3));
    if (feed(&v, d + split, len - split, key, &key_offset, &at) != WS_OK)
        return (long)(split + at);
    CHECK(key_offset == ((1 + len) & 3));
    return ws_utf8_finish(&v) == WS_OK ? VALID : TRUNCATED;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long want = reference(data, size);
    const ws_status want_status = want == VALID ? WS_OK : WS_E_INVALID_UTF8;
    CHECK(ws_utf8_validate(data, size) == want_status);
    CHECK(ws_utf8_validate_stepwise(data, size) == want_status);
#ifdef WS_HAVE_AVX512
    /* The stream parser's checks of short whole texts from registers. */
    if (ws_cpu_has_avx512() && size >= 16 && size < 32)
        CHECK(ws_utf8_valid_16_to_31_avx512(data, size) == want_status);
    if (ws_cpu_has_avx512() && size >= 2 && size < 16) {
        uint64_t lo = 0, hi = 0;
        if (size <= 8) {
            memcpy((uint8_t *)&lo + 8 - size, data, size);
        } else {
            memcpy(&lo, data, 8);
            memcpy(&hi, data + size - 8, 8);
        }
        CHECK(ws_utf8_valid_2_to_15_words_avx512(lo, hi, size) == want_status);
    }
#endif

    /* Masked (key from the input), the one-pass unmask-and-validate paths
     * agree and give the text back, all of it where they promise to. */
    static uint8_t masked[8192];
    if (size <= sizeof masked) {
        const uint8_t key[4] = {(uint8_t)(size * 7u + 1u), size ? data[0] : 0x5a, 0x80,
                                size > 1 ? data[1] : 0xa5};
        for (int variant = 0; variant < 5; variant++) {
            memcpy(masked, data, size);
            ws_mask(masked, size, key, 0);
            ws_status st;
            if (variant == 0)
                st = ws_utf8_unmask_validate(masked, size, key);
            else if (variant == 1)
                st = ws_utf8_unmask_validate_stepwise(masked, size, key);
#ifdef WS_HAVE_AVX2
            else if (variant == 2 && ws_cpu_has_avx2() && size >= 4)
                st = ws_utf8_unmask_whole_avx2(masked, size, key);
#endif
#ifdef WS_HAVE_AVX512
            else if (variant == 3 && ws_cpu_has_avx512() && size <= WS_UTF8_WHOLE_AVX512_MAX_LEN)
                st = ws_utf8_unmask_whole_avx512(masked, size, key);
            else if (variant == 4 && ws_cpu_has_avx512() && size <= 128)
                st = ws_utf8_unmask_short_avx512(masked, size, key);
#endif
            else
                continue;
            CHECK(st == want_status);
            if (st == WS_OK || variant >= 2)
                CHECK(memcmp(masked, data, size) == 0);
        }
#ifdef WS_HAVE_AVX512
        /* The stream parser's judgement of a small text cut short, from
         * registers: these bytes can begin a valid text exactly when the
         * reference finds them valid or only truncated. */
        if (ws_cpu_has_avx512() && size >= 1 && size <= 128) {
            memcpy(masked, data, size);
            ws_mask(masked, size, key, 0);
            uint32_t k4;
            memcpy(&k4, key, 4);
            CHECK((ws_utf8_masked_prefix_valid_avx512(masked, size, k4) == WS_OK) ==
                  (want == VALID || want == TRUNCATED));
        }
#endif
        /* The streaming one-pass variants, whole and in two pieces at a
         * key offset of 1: the failing byte too is the reference's. */
        unmask_feed_fn unmask_feeds[3];
        size_t nu = 0;
        unmask_feeds[nu++] = ws_utf8_unmask_feed;
#ifdef WS_HAVE_AVX2
        if (ws_cpu_has_avx2())
            unmask_feeds[nu++] = ws_utf8_unmask_feed_avx2;
#endif
#ifdef WS_HAVE_AVX512
        if (ws_cpu_has_avx512())
            unmask_feeds[nu++] = ws_utf8_unmask_feed_avx512;
#endif
        const size_t cut = size ? ((size_t)data[0] * 257u + size) % (size + 1) : 0;
        for (size_t f = 0; f < nu; f++) {
            for (int pieces = 1; pieces <= 2; pieces++) {
                memcpy(masked, data, size);
                ws_mask(masked, size, key, 1);
                CHECK(run_unmask(unmask_feeds[f], masked, size, key, pieces == 1 ? size : cut) ==
                      want);
                if (want == VALID || want == TRUNCATED)
                    CHECK(memcmp(masked, data, size) == 0);
            }
        }
    }
#ifdef WS_HAVE_AVX512
    if (ws_cpu_has_avx512()) {
        if (size <= WS_UTF8_WHOLE_AVX512_MAX_LEN)
            CHECK(ws_utf8_whole_valid_avx512(data, size) == want_status);
        if (size >= 16 && size < 32)
            CHECK(ws_utf8_valid_16_to_31_avx512(data, size) == want_status);
    }
#endif
    size_t split = size ? ((size_t)data[size - 1] * 131u + size) % (size + 1) : 0;

    feed_fn impls[6];
    size_t n = 0;
    impls[n++] = ws_utf8_feed;
    impls[n++] = ws_utf8_feed_portable;
#ifdef WS_HAVE_SSE2
    impls[n++] = ws_utf8_feed_sse2;
#endif
#ifdef WS_HAVE_AVX2
    if (ws_cpu_has_avx2())
        impls[n++] = ws_utf8_feed_avx2;
#endif
#ifdef WS_HAVE_AVX512
    if (ws_cpu_has_avx512())
        impls[n++] = ws_utf8_feed_avx512;
#endif
#ifdef WS_HAVE_NEON
    impls[n++] = ws_utf8_feed_neon;
#endif
    for (size_t i = 0; i < n; i++) {
        CHECK(run(impls[i], data, size, size) == want);
        CHECK(run(impls[i], data, size, split) == want);
        CHECK(run(impls[i], data, size, 0) == want);
    }
    return 0;
}
