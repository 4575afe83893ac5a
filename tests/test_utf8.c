/* UTF-8 validation (RFC 3629): vectors as data with the exact byte of
 * failure, fed whole, at every split point and one byte at a time, through
 * every implementation compiled here; random byte strings against a plain
 * reference validator written below. */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "utf8_avx512.h"

typedef ws_status (*feed_fn)(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);

typedef struct impl {
    const char *name;
    feed_fn feed;
    bool usable;
} impl;

static size_t impl_list(impl *out)
{
    size_t n = 0;
    out[n++] = (impl){"portable", ws_utf8_feed_portable, true};
#ifdef WS_HAVE_SSE2
    out[n++] = (impl){"sse2", ws_utf8_feed_sse2, true};
#endif
#ifdef WS_HAVE_AVX2
    out[n++] = (impl){"avx2", ws_utf8_feed_avx2, ws_cpu_has_avx2()};
#endif
#ifdef WS_HAVE_AVX512
    out[n++] = (impl){"avx512", ws_utf8_feed_avx512, ws_cpu_has_avx512()};
#endif
#ifdef WS_HAVE_NEON
    out[n++] = (impl){"neon", ws_utf8_feed_neon, true};
#endif
    out[n++] = (impl){"ws_utf8_feed", ws_utf8_feed, true};
    return n;
}

/* Outcome of a text: valid, invalid at a byte offset, or valid so far but
 * cut in the middle of a sequence. */
enum { VALID = -1, TRUNCATED = -2 };

typedef struct vector {
    const char *name;
    const char *hex;
    long expect; /* VALID, TRUNCATED, or the offset of the failing byte */
} vector;

static const vector vectors[] = {
    /* valid */
    {"empty", "", VALID},
    {"ASCII", "48 65 6c 6c 6f 2c 20 77 6f 72 6c 64", VALID},
    {"NUL and DEL", "00 7f", VALID},
    {"2-byte smallest U+0080", "c2 80", VALID},
    {"2-byte largest U+07FF", "df bf", VALID},
    {"2-byte e-acute", "63 61 66 c3 a9", VALID},
    {"3-byte smallest U+0800", "e0 a0 80", VALID},
    {"3-byte U+D7FF below surrogates", "ed 9f bf", VALID},
    {"3-byte U+E000 above surrogates", "ee 80 80", VALID},
    {"3-byte U+FFFD", "ef bf bd", VALID},
    {"3-byte U+FFFF", "ef bf bf", VALID},
    {"BOM U+FEFF", "ef bb bf 61", VALID},
    {"3-byte euro", "e2 82 ac", VALID},
    {"4-byte smallest U+10000", "f0 90 80 80", VALID},
    {"4-byte emoji U+1F600", "f0 9f 98 80", VALID},
    {"4-byte U+FFFFF", "f3 bf bf bf", VALID},
    {"4-byte U+100000", "f4 80 80 80", VALID},
    {"4-byte largest U+10FFFF", "f4 8f bf bf", VALID},
    {"Hello-world mixed", "ce ba e1 bd b9 cf 83 ce bc ce b5 20 f0 9f 8c 8d", VALID},
    /* overlong forms */
    {"overlong 2-byte C0 80 (NUL)", "c0 80", 0},
    {"overlong 2-byte C1 BF", "c1 bf", 0},
    {"overlong 2-byte after ASCII", "61 62 c0 af", 2},
    {"overlong 3-byte E0 80 80", "e0 80 80", 1},
    {"overlong 3-byte E0 9F BF", "e0 9f bf", 1},
    {"overlong 4-byte F0 80 80 80", "f0 80 80 80", 1},
    {"overlong 4-byte F0 8F BF BF", "f0 8f bf bf", 1},
    /* surrogates */
    {"surrogate U+D800", "ed a0 80", 1},
    {"surrogate U+DBFF", "ed af bf", 1},
    {"surrogate U+DC00", "ed b0 80", 1},
    {"surrogate U+DFFF", "ed bf bf", 1},
    {"surrogate pair", "ed a0 bd ed b8 80", 1},
    /* above U+10FFFF */
    {"F4 90 (U+110000)", "f4 90 80 80", 1},
    {"F4 BF", "f4 bf bf bf", 1},
    {"F5", "f5 80 80 80", 0},
    {"F7 BF BF BF (old 4-byte U+1FFFFF)", "f7 bf bf bf", 0},
    {"F8 (old 5-byte)", "f8 88 80 80 80", 0},
    {"FC (old 6-byte)", "fc 84 80 80 80 80", 0},
    {"FE", "fe", 0},
    {"FF", "61 ff", 1},
    /* stray and missing continuation bytes */
    {"lone continuation 80", "80", 0},
    {"lone continuation BF after ASCII", "61 bf", 1},
    {"continuation after complete 2-byte", "c3 a9 a9", 2},
    {"2-byte lead then ASCII", "c3 41", 1},
    {"3-byte lead, one cont, then ASCII", "e2 82 41", 2},
    {"4-byte lead, two conts, then lead", "f0 9f 98 f0 9f 98 80", 3},
    {"lead then lead", "c3 c3 a9", 1},
    /* truncated at the end of the text */
    {"truncated 2-byte", "c3", TRUNCATED},
    {"truncated 3-byte after 1", "e2", TRUNCATED},
    {"truncated 3-byte after 2", "e2 82", TRUNCATED},
    {"truncated 4-byte after 3", "f0 9f 98", TRUNCATED},
    {"truncated after ASCII", "61 62 63 f4 8f bf", TRUNCATED},
};

/* Feed data in pieces cut at the given offsets; returns the outcome in the
 * vector's terms. */
static long run_pieces(feed_fn feed, const uint8_t *data, size_t len, const size_t *cuts,
                       size_t ncuts)
{
    ws_utf8 v;
    ws_utf8_init(&v);
    size_t start = 0;
    for (size_t c = 0; c <= ncuts; c++) {
        size_t end = c < ncuts ? cuts[c] : len;
        size_t at = (size_t)-1;
        ws_status st = feed(&v, data + start, end - start, &at);
        if (st != WS_OK) {
            assert_int_equal(st, WS_E_INVALID_UTF8);
            assert_true(at < end - start);
            /* It keeps failing until reset, at offset 0 of any new piece. */
            size_t again = (size_t)-1;
            assert_int_equal(feed(&v, (const uint8_t *)"a", 1, &again), WS_E_INVALID_UTF8);
            assert_int_equal(again, 0);
            assert_int_equal(ws_utf8_finish(&v), WS_E_INVALID_UTF8);
            return (long)(start + at);
        }
        start = end;
    }
    return ws_utf8_finish(&v) == WS_OK ? VALID : TRUNCATED;
}

/* Whole, at every split point, and one byte at a time, through every
 * implementation. The input sits just before a guard page so an over-read
 * faults. */
static void check_all_splits(const char *name, const uint8_t *bytes, size_t len, long expect)
{
    uint8_t *data = ws_test_guard_copy(bytes, len);
    impl impls[8];
    size_t n = impl_list(impls);
    for (size_t m = 0; m < n; m++) {
        if (!impls[m].usable)
            continue;
        long got = run_pieces(impls[m].feed, data, len, NULL, 0);
        if (got != expect)
            fail_msg("%s [%s] whole: got %ld want %ld", name, impls[m].name, got, expect);
        for (size_t cut = 0; cut <= len; cut++) {
            got = run_pieces(impls[m].feed, data, len, &cut, 1);
            if (got != expect)
                fail_msg("%s [%s] split at %zu: got %ld want %ld", name, impls[m].name, cut, got,
                         expect);
        }
        size_t cuts[300];
        assert_true(len <= 300);
        for (size_t i = 0; i < len; i++)
            cuts[i] = i + 1;
        got = run_pieces(impls[m].feed, data, len, cuts, len ? len - 1 : 0);
        if (got != expect)
            fail_msg("%s [%s] byte by byte: got %ld want %ld", name, impls[m].name, got, expect);
    }
    ws_status whole = ws_utf8_validate(data, len);
    assert_int_equal(whole, expect == VALID ? WS_OK : WS_E_INVALID_UTF8);
    ws_test_guard_free(data, len);
}

static void test_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        uint8_t data[64];
        size_t len = ws_test_hex(vectors[i].hex, data, sizeof data);
        check_all_splits(vectors[i].name, data, len, vectors[i].expect);
    }
}

/* The same vectors behind a long run of ASCII and 2-byte text, so the error
 * lands past the fast paths' strides and across block edges. */
static void test_vectors_after_long_prefix(void **state)
{
    (void)state;
    static const size_t prefixes[] = {15, 16, 31, 32, 63, 64, 65, 127, 200};
    for (size_t p = 0; p < sizeof prefixes / sizeof prefixes[0]; p++) {
        for (int twobyte = 0; twobyte < 2; twobyte++) {
            for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
                uint8_t data[300];
                size_t pre = prefixes[p];
                for (size_t k = 0; k < pre; k++)
                    data[k] = 'a' + (uint8_t)(k % 26);
                if (twobyte)
                    for (size_t k = 0; k + 1 < pre; k += 2)
                        data[k] = 0xc3, data[k + 1] = 0xa9;
                if (twobyte && pre % 2)
                    data[pre - 1] = 'z';
                size_t len = pre + ws_test_hex(vectors[i].hex, data + pre, sizeof data - pre);
                long expect = vectors[i].expect >= 0 ? vectors[i].expect + (long)pre
                                                     : vectors[i].expect;
                char name[128];
                snprintf(name, sizeof name, "%s after %zu%s", vectors[i].name, pre,
                         twobyte ? " (2-byte)" : "");
                check_all_splits(name, data, len, expect);
            }
        }
    }
}

/* ------------------------------------------------------------ reference */

/* A plain validator: decode each sequence the long way, and find the first
 * failing byte as the first one after which the text so far cannot be the
 * beginning of any valid text. */
static int ref_sequence_length(uint8_t lead)
{
    if (lead < 0x80)
        return 1;
    if ((lead & 0xE0) == 0xC0)
        return 2;
    if ((lead & 0xF0) == 0xE0)
        return 3;
    if ((lead & 0xF8) == 0xF0)
        return 4;
    return 0;
}

static bool ref_sequence_valid(const uint8_t *s, int n)
{
    static const uint32_t smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
    uint32_t cp = n == 1 ? s[0] : n == 2 ? s[0] & 0x1Fu : n == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
    for (int i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return false;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (cp < smallest[n] || cp > 0x10FFFF)
        return false;
    return !(cp >= 0xD800 && cp <= 0xDFFF);
}

/* Can the first k bytes of a sequence be completed into a valid one? Only the
 * second byte narrows the code point range, so trying every second byte and
 * padding with 0x80 decides it. */
static bool ref_completable(const uint8_t *s, int k)
{
    int n = ref_sequence_length(s[0]);
    if (n == 0)
        return false;
    uint8_t t[4] = {s[0], 0x80, 0x80, 0x80};
    for (int i = 1; i < k; i++)
        t[i] = s[i];
    if (k >= 2 || n == 1)
        return ref_sequence_valid(t, n);
    for (int b = 0x80; b <= 0xBF; b++) {
        t[1] = (uint8_t)b;
        if (ref_sequence_valid(t, n))
            return true;
    }
    return false;
}

static long ref_validate(const uint8_t *d, size_t len)
{
    size_t i = 0;
    while (i < len) {
        int n = ref_sequence_length(d[i]);
        for (int k = 1;; k++) {
            if (!ref_completable(d + i, k))
                return (long)(i + (size_t)k - 1);
            if (k == n)
                break;
            if (i + (size_t)k >= len)
                return TRUNCATED;
        }
        i += (size_t)n;
    }
    return VALID;
}

/* Sanity of the reference itself against the written-out vectors. */
static void test_reference_agrees_with_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
        uint8_t data[64];
        size_t len = ws_test_hex(vectors[i].hex, data, sizeof data);
        long got = ref_validate(data, len);
        if (got != vectors[i].expect)
            fail_msg("reference on %s: %ld want %ld", vectors[i].name, got, vectors[i].expect);
    }
}

static size_t encode(uint32_t cp, uint8_t *out)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Mostly well-formed text of every sequence length (surrogates and values
 * above U+10FFFF included, which encode() writes as the invalid bytes they
 * would be), sometimes with a random byte dropped in. */
static size_t random_text(ws_test_rng *rng, uint8_t *out, size_t cap, bool dirty)
{
    size_t len = 0;
    size_t target = (size_t)ws_test_rng_below(rng, cap - 4);
    while (len < target) {
        uint32_t cp;
        switch (ws_test_rng_below(rng, dirty ? 8 : 6)) {
        case 0:
        case 1:
        case 2:
            cp = (uint32_t)ws_test_rng_below(rng, 0x80);
            break;
        case 3:
            cp = 0x80 + (uint32_t)ws_test_rng_below(rng, 0x800 - 0x80);
            break;
        case 4:
            cp = 0x800 + (uint32_t)ws_test_rng_below(rng, 0x10000 - 0x800);
            break;
        case 5:
            cp = 0x10000 + (uint32_t)ws_test_rng_below(rng, 0x110000 - 0x10000 + (dirty ? 0x1000 : 0));
            break;
        case 6:
            cp = 0xD000 + (uint32_t)ws_test_rng_below(rng, 0x1000); /* near surrogates */
            break;
        default:
            if (ws_test_rng_below(rng, 16) == 0) {
                out[len++] = (uint8_t)ws_test_rng_next(rng);
                continue;
            }
            cp = (uint32_t)ws_test_rng_below(rng, 0x80);
            break;
        }
        if (cp > 0x1FFFFF)
            cp = 0x1FFFFF;
        len += encode(cp, out + len);
    }
    /* Sometimes cut the last sequence short. */
    if (len > 0 && ws_test_rng_below(rng, 4) == 0)
        len--;
    return len;
}

static void test_random_against_reference(void **state)
{
    (void)state;
    const char *env = getenv("WS_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : 0x07f8u;
    printf("test_utf8: seed 0x%" PRIx64 " (set WS_TEST_SEED to repeat)\n", seed);
    ws_test_rng rng;
    ws_test_rng_seed(&rng, seed);
    impl impls[8];
    size_t n = impl_list(impls);
    static uint8_t data[600];
    long counts[3] = {0, 0, 0};
    for (int iter = 0; iter < 20000; iter++) {
        size_t len;
        if (ws_test_rng_below(&rng, 4) == 0) {
            len = (size_t)ws_test_rng_below(&rng, 40);
            ws_test_rng_fill(&rng, data, len); /* raw noise */
        } else {
            len = random_text(&rng, data, sizeof data, ws_test_rng_below(&rng, 2));
        }
        long want = ref_validate(data, len);
        counts[want == VALID ? 0 : want == TRUNCATED ? 1 : 2]++;
        assert_int_equal(ws_utf8_validate(data, len), want == VALID ? WS_OK : WS_E_INVALID_UTF8);
        size_t cuts[2] = {(size_t)ws_test_rng_below(&rng, len + 1), 0};
        cuts[1] = cuts[0] + (size_t)ws_test_rng_below(&rng, len - cuts[0] + 1);
        for (size_t m = 0; m < n; m++) {
            if (!impls[m].usable)
                continue;
            long whole = run_pieces(impls[m].feed, data, len, NULL, 0);
            long split = run_pieces(impls[m].feed, data, len, cuts, 2);
            if (whole != want || split != want)
                fail_msg("seed 0x%" PRIx64 " iter %d [%s]: whole %ld split(%zu,%zu) %ld, reference "
                         "%ld",
                         seed, iter, impls[m].name, whole, cuts[0], cuts[1], split, want);
        }
    }
    /* The generator must exercise all three outcomes, or this test proves
     * little. */
    printf("test_utf8: %ld valid, %ld truncated, %ld invalid\n", counts[0], counts[1], counts[2]);
    assert_true(counts[0] > 1000 && counts[1] > 100 && counts[2] > 1000);
}

/* A large valid text, then one bad byte at each position of a range crossing
 * every stride of the fast paths. */
static void test_error_position_in_long_text(void **state)
{
    (void)state;
    enum { LEN = 2200 }; /* two of the longest DFA windows */
    static uint8_t data[LEN];
    impl impls[8];
    size_t n = impl_list(impls);
    /* 3- and 4-byte texts put the cut of the two-DFA windows (utf8.c) at
     * every phase of a sequence. */
    static const char *const runs[] = {"\xE4\xB8\x96", "\xF0\x9F\x98\x80", "\xE4\xB8\x96z",
                                       "\xED\x9F\xBF\xF4\x8F\xBF\xBF\xC3\xA9"};
    for (int kind = 0; kind < 6; kind++) {
        for (size_t bad = 0; bad < LEN; bad++) {
            for (size_t i = 0; i < LEN; i++)
                data[i] = (uint8_t)('A' + i % 50);
            if (kind == 1) /* U+00E9 pairs, so the DFA path runs too */
                for (size_t i = 0; i + 1 < LEN; i += 5)
                    data[i] = 0xc3, data[i + 1] = 0xa9;
            if (kind >= 2) {
                const char *run = runs[kind - 2];
                size_t rl = strlen(run);
                for (size_t i = 0; i + rl <= LEN; i += rl)
                    memcpy(data + i, run, rl);
            }
            size_t at = bad;
            /* Keep a 2-byte pair intact by failing on its lead byte. */
            if (kind == 1 && bad % 5 == 1)
                at = bad - 1;
            data[at] = 0xff;
            for (size_t m = 0; m < n; m++) {
                if (!impls[m].usable)
                    continue;
                long got = run_pieces(impls[m].feed, data, LEN, NULL, 0);
                if (got != (long)at)
                    fail_msg("[%s] kind %d: bad byte at %zu reported at %ld", impls[m].name, kind,
                             at, got);
            }
        }
    }
}

/* Long clean texts of every mix, each with one corruption (a random byte,
 * a dropped byte, or a cut at the end) at a random place, so the block
 * validators see errors at every phase of their blocks. */
static void test_long_texts_with_one_fault(void **state)
{
    (void)state;
    enum { CAP = 5000 };
    static uint8_t data[CAP];
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 0x10e7);
    impl impls[8];
    size_t n = impl_list(impls);
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = random_text(&rng, data, CAP, false);
        if (len == 0)
            continue;
        size_t at = (size_t)ws_test_rng_below(&rng, len);
        switch (ws_test_rng_below(&rng, 3)) {
        case 0:
            data[at] = (uint8_t)ws_test_rng_next(&rng);
            break;
        case 1:
            memmove(data + at, data + at + 1, len - at - 1);
            len--;
            break;
        default:
            len = at + 1;
            break;
        }
        long want = ref_validate(data, len);
        for (size_t m = 0; m < n; m++) {
            if (!impls[m].usable)
                continue;
            long got = run_pieces(impls[m].feed, data, len, NULL, 0);
            if (got != want)
                fail_msg("iter %d [%s] len %zu: got %ld, reference %ld", iter, impls[m].name, len,
                         got, want);
        }
    }
}

/* Texts of 1-80 bytes (the block validators' short path covers 16-63) with
 * one fault at every position, or cut after every byte: the verdict and
 * the failing byte are the reference's in every implementation, whole, and
 * ws_utf8_validate agrees. Each text sits before a guard page, so a read
 * past its end faults. */
static void test_short_texts_every_fault(void **state)
{
    (void)state;
    static const char *const seeds[] = {"Hello w\xc3\xb6rld, \xd0\x9f\xd1\x80\xd0\xb8 "
                                        "\xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80 ok "
                                        "\xe2\x82\xac\xc2\xa9 end of text, \xd0\x9a\xd0\xbe\xd0\xbd\xd0\xb5\xd1\x86 "
                                        "\xe7\xb5\x82\xe3\x82\x8f\xe3\x82\x8a end of text.",
                                        "\xf0\x9f\x98\x80\xf0\x9f\x98\x81\xe4\xbd\xa0"
                                        "\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c\xc3\xa9\xc3\xa8"
                                        "\xf4\x8f\xbf\xbf\xee\x80\x80\xef\xbf\xbf\xed\x9f\xbf"
                                        "\xe0\xa0\x80\xf0\x90\x80\x80\xc2\x80\xdf\xbf\x7f"
                                        "abcdefghijklmnopqrstuvwxyz0123456789"};
    static const uint8_t bad[] = {0xFF, 0x80, 0xC0, 0xED, 0xF4, 'a'};
    impl impls[8];
    size_t n = impl_list(impls);
    uint8_t text[96];
    for (size_t t = 0; t < sizeof seeds / sizeof seeds[0]; t++) {
        const size_t avail = strlen(seeds[t]);
        assert_true(avail >= 80);
        for (size_t len = 1; len <= 80; len++) {
            for (size_t at = 0; at <= len; at++) {
                for (size_t b = 0; b < sizeof bad; b++) {
                    memcpy(text, seeds[t], len);
                    if (at < len)
                        text[at] = bad[b];
                    else if (b > 0)
                        break; /* at == len: the clean (possibly cut) text, once */
                    const long want = ref_validate(text, len);
                    uint8_t *g = ws_test_guard_copy(text, len);
                    for (size_t m = 0; m < n; m++) {
                        if (!impls[m].usable)
                            continue;
                        const long got = run_pieces(impls[m].feed, g, len, NULL, 0);
                        if (got != want)
                            fail_msg("text %zu len %zu byte %zu = %02x [%s]: got %ld, reference %ld",
                                     t, len, at, bad[b], impls[m].name, got, want);
                    }
                    assert_int_equal(ws_utf8_validate(g, len),
                                     want == VALID ? WS_OK : WS_E_INVALID_UTF8);
                    ws_test_guard_free(g, len);
                }
            }
        }
    }
}

/* Unmasking fused with validation (the stream parser's text path), the
 * dispatcher and the one-pass AVX2 variant: for long random texts with one
 * fault, masked at a random key offset and fed whole or in three pieces
 * (the key offset carried along), the verdict and the failing byte are the
 * reference's, the key offset comes out as ws_mask's, and a valid text
 * comes out unmasked. */
typedef ws_status (*unmask_feed_fn)(ws_utf8 *v, uint8_t *data, size_t len, const uint8_t key[4],
                                    size_t *key_offset, size_t *error_at);

static long run_unmask_pieces(unmask_feed_fn fn, uint8_t *data, size_t len, const uint8_t key[4],
                              size_t key_offset, const size_t cuts[2])
{
    ws_utf8 v;
    ws_utf8_init(&v);
    size_t start = 0, ko = key_offset;
    for (int c = 0; c <= 2; c++) {
        size_t end = c < 2 ? cuts[c] : len;
        size_t at = 0;
        size_t want_ko = (ko + (end - start)) & 3;
        if (fn(&v, data + start, end - start, key, &ko, &at) != WS_OK)
            return (long)(start + at);
        assert_int_equal(ko, want_ko);
        start = end;
    }
    return ws_utf8_finish(&v) == WS_OK ? VALID : TRUNCATED;
}

/* The streaming unmask+validate functions this CPU can run. */
static size_t unmask_feed_list(unmask_feed_fn out[3])
{
    size_t n = 0;
    out[n++] = ws_utf8_unmask_feed;
#ifdef WS_HAVE_AVX2
    if (ws_cpu_has_avx2())
        out[n++] = ws_utf8_unmask_feed_avx2;
#endif
#ifdef WS_HAVE_AVX512
    if (ws_cpu_has_avx512())
        out[n++] = ws_utf8_unmask_feed_avx512;
#endif
    return n;
}

static void test_unmask_feed(void **state)
{
    (void)state;
    enum { CAP = 9000 };
    static uint8_t plain[CAP], wire[CAP];
    unmask_feed_fn fns[3];
    const size_t nf = unmask_feed_list(fns);
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 0x3a5c);
    for (int iter = 0; iter < 1500; iter++) {
        size_t len = random_text(&rng, plain, CAP, false);
        if (len > 0 && ws_test_rng_below(&rng, 3) != 0)
            plain[ws_test_rng_below(&rng, len)] = (uint8_t)ws_test_rng_next(&rng);
        long want = ref_validate(plain, len);
        uint8_t key[4];
        ws_test_rng_fill(&rng, key, 4);
        size_t key_offset = (size_t)ws_test_rng_below(&rng, 4);
        size_t cuts[2] = {(size_t)ws_test_rng_below(&rng, len + 1), 0};
        cuts[1] = cuts[0] + (size_t)ws_test_rng_below(&rng, len - cuts[0] + 1);
        size_t whole[2] = {len, len};
        for (size_t f = 0; f < nf; f++) {
            for (int split = 0; split < 2; split++) {
                memcpy(wire, plain, len);
                ws_mask(wire, len, key, key_offset);
                long got = run_unmask_pieces(fns[f], wire, len, key, key_offset,
                                             split ? cuts : whole);
                if (got != want)
                    fail_msg("iter %d fn %zu split %d len %zu: got %ld, reference %ld", iter, f,
                             split, len, got, want);
                if (want == VALID || want == TRUNCATED)
                    assert_memory_equal(wire, plain, len);
            }
        }
    }
}

/* The one-shot paths for a whole text: ws_utf8_validate, and masked,
 * ws_utf8_unmask_validate and ws_utf8_unmask_feed from a fresh validator
 * (at a key offset other than 0 too), each with its AVX2 variant and the
 * path taken without it (_stepwise, _two_pass), and the AVX-512 ones. Texts of
 * 0-300 bytes (across every 32-byte block edge and the one-shot range's
 * end at 256) of mixed text and of ASCII, clean, cut after every byte, and
 * with one fault at every position: the verdict, and for the feed the
 * failing byte, are the reference's; a valid text (and with AVX2 any text)
 * comes out unmasked. Each text sits before a guard page. */
static void check_whole(uint8_t *g, const uint8_t *text, size_t len, long want)
{
    static const uint8_t key[4] = {0x5a, 0xc3, 0x0f, 0x96};
    const ws_status want_status = want == VALID ? WS_OK : WS_E_INVALID_UTF8;
    memcpy(g, text, len);
    assert_int_equal(ws_utf8_validate(g, len), want_status);
    assert_int_equal(ws_utf8_validate_stepwise(g, len), want_status);
    const bool avx2 = false
#ifdef WS_HAVE_AVX2
                      || (ws_cpu_has_avx2() && len >= 4)
#endif
        ;
    const bool avx512 = false
#ifdef WS_HAVE_AVX512
                        || (ws_cpu_has_avx512() && len <= WS_UTF8_WHOLE_AVX512_MAX_LEN)
#endif
        ;
#ifdef WS_HAVE_AVX2
    if (avx2 && ws_utf8_whole_valid_avx2(g, len) != want_status)
        fail_msg("whole_valid_avx2 len %zu: reference %ld", len, want);
    /* The words ws_unmask_2_to_15_after_header leaves (x86: little
     * endian): up to 8 bytes at the top of lo, else the first and the last
     * 8; and the first and last 16 bytes of a 16-31-byte text. */
    uint64_t lo = 0, hi = 0;
    if (len >= 2 && len <= 8) {
        memcpy((uint8_t *)&lo + 8 - len, g, len);
    } else if (len > 8 && len < 16) {
        memcpy(&lo, g, 8);
        memcpy(&hi, g + len - 8, 8);
    }
    if (ws_cpu_has_avx2() && len >= 2 && len < 16 &&
        ws_utf8_valid_2_to_15_words_avx2(lo, hi, len) != want_status)
        fail_msg("valid_2_to_15_words_avx2 len %zu: reference %ld", len, want);
    if (ws_cpu_has_avx2() && len >= 16 && len < 32 &&
        ws_utf8_valid_16_to_31_regs_avx2(_mm_loadu_si128((const __m128i *)(const void *)g),
                                         _mm_loadu_si128((const __m128i *)(const void *)(g + len - 16)),
                                         len) != want_status)
        fail_msg("valid_16_to_31_regs_avx2 len %zu: reference %ld", len, want);
#endif
#ifdef WS_HAVE_AVX512
    if (avx512 && ws_utf8_whole_valid_avx512(g, len) != want_status)
        fail_msg("whole_valid_avx512 len %zu: reference %ld", len, want);
    if (avx512 && len >= 16 && len < 32 && ws_utf8_valid_16_to_31_avx512(g, len) != want_status)
        fail_msg("valid_16_to_31_avx512 len %zu: reference %ld", len, want);
    if (avx512 && len >= 2 && len < 16 &&
        ws_utf8_valid_2_to_15_words_avx512(lo, hi, len) != want_status)
        fail_msg("valid_2_to_15_words_avx512 len %zu: reference %ld", len, want);
#endif
    /* 0: the dispatcher, 1: stepwise, 2: AVX2, 3: AVX-512, 4: its inline
     * part for up to 128 bytes. */
    for (int variant = 0; variant < 5; variant++) {
        if ((variant == 2 && !avx2) || (variant == 3 && !avx512) ||
            (variant == 4 && !(avx512 && len <= 128)))
            continue;
        ws_mask(g, len, key, 0);
        ws_status st = WS_OK;
#ifdef WS_HAVE_AVX2
        if (variant == 2)
            st = ws_utf8_unmask_whole_avx2(g, len, key);
        else
#endif
#ifdef WS_HAVE_AVX512
            if (variant == 3)
            st = ws_utf8_unmask_whole_avx512(g, len, key);
        else if (variant == 4)
            st = ws_utf8_unmask_short_avx512(g, len, key);
        else
#endif
            st = variant == 0 ? ws_utf8_unmask_validate(g, len, key)
                              : ws_utf8_unmask_validate_stepwise(g, len, key);
        if (st != want_status)
            fail_msg("unmask_validate variant %d len %zu: got %d, reference %ld", variant, len,
                     st, want);
        if (want == VALID || want == TRUNCATED || variant >= 2)
            assert_memory_equal(g, text, len);
        else
            memcpy(g, text, len);
    }
    unmask_feed_fn feeds[4];
    size_t nfeeds = 0;
    feeds[nfeeds++] = ws_utf8_unmask_feed;
    feeds[nfeeds++] = ws_utf8_unmask_feed_two_pass;
#ifdef WS_HAVE_AVX2
    if (ws_cpu_has_avx2())
        feeds[nfeeds++] = ws_utf8_unmask_feed_avx2;
#endif
#ifdef WS_HAVE_AVX512
    if (ws_cpu_has_avx512())
        feeds[nfeeds++] = ws_utf8_unmask_feed_avx512;
#endif
    /* The dispatcher and the two-pass path at key offsets 0 and 3, the
     * one-pass variants at 3 (their key offset is one broadcast). */
    for (size_t f = 0; f < 2 * nfeeds; f++) {
        if (f >= 4 && (f & 1) == 0)
            continue;
        const size_t ko = f & 1 ? 3 : 0;
        ws_mask(g, len, key, ko);
        ws_utf8 v;
        ws_utf8_init(&v);
        size_t key_offset = ko, at = (size_t)-1;
        long got;
        if (feeds[f / 2](&v, g, len, key, &key_offset, &at) != WS_OK)
            got = (long)at;
        else
            got = ws_utf8_finish(&v) == WS_OK ? VALID : TRUNCATED;
        if (got != want)
            fail_msg("unmask_feed %zu key offset %zu len %zu: got %ld, reference %ld", f, ko, len,
                     got, want);
        if (got == VALID || got == TRUNCATED) {
            assert_int_equal(key_offset, (ko + len) & 3);
            assert_memory_equal(g, text, len);
        }
        memcpy(g, text, len);
    }
}

static void test_whole_texts_every_fault(void **state)
{
    (void)state;
    enum { MAX = 300 };
    static const uint8_t bad[] = {0xFF, 0x80, 0xC0, 0xED, 0xF4, 'a'};
    uint8_t seeds[2][MAX + 4], text[MAX];
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 0x5e11);
    for (size_t len = 0; len < MAX;) /* mixed text of 1-4 byte sequences */
        len += encode((uint32_t)ws_test_rng_below(&rng, 4) == 0 ? 0x41
                      : ws_test_rng_below(&rng, 3) == 0    ? 0xE9
                      : ws_test_rng_below(&rng, 2) == 0    ? 0x4E2D
                                                           : 0x1F600,
                      seeds[0] + len);
    for (size_t k = 0; k < MAX; k++)
        seeds[1][k] = (uint8_t)('a' + k % 26);
    for (size_t t = 0; t < 2; t++) {
        for (size_t len = 0; len <= MAX; len++) {
            uint8_t *g = ws_test_guard_copy(seeds[t], len);
            for (size_t at = 0; at <= len; at++) {
                for (size_t b = 0; b < sizeof bad; b++) {
                    memcpy(text, seeds[t], len);
                    if (at < len)
                        text[at] = bad[b];
                    else if (b > 0)
                        break; /* at == len: the clean (possibly cut) text, once */
                    check_whole(g, text, len, ref_validate(text, len));
                }
            }
            ws_test_guard_free(g, len);
        }
    }
}

/* Text of ASCII and 2-byte sequences only (the 2-byte fast paths of the
 * portable and SSE2 variants), long enough for several of their blocks,
 * with one byte replaced at every position by each byte those paths must
 * tell apart (C0-C1 and E0 from C2-DF, continuations, ASCII after a lead),
 * fed whole and cut at a position that moves with the fault: the verdict
 * and the failing byte are the reference's. */
static void test_two_byte_texts_every_fault(void **state)
{
    (void)state;
    enum { LEN = 160 };
    static const uint8_t bad[] = {0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xF0, 0xFF,
                                  0x80, 0xBF, 0x7F, 'a'};
    impl impls[8];
    size_t n = impl_list(impls);
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 0x2b7e);
    uint8_t text[LEN];
    for (int mix = 0; mix < 6; mix++) {
        /* From all pairs to one pair in ten, pairs of random code points. */
        for (size_t i = 0; i < LEN;) {
            if (i + 1 < LEN && ws_test_rng_below(&rng, 10) < (uint64_t)(10 - mix * 2)) {
                const uint32_t cp = 0x80 + (uint32_t)ws_test_rng_below(&rng, 0x780);
                text[i++] = (uint8_t)(0xC0 | cp >> 6);
                text[i++] = (uint8_t)(0x80 | (cp & 0x3F));
            } else {
                text[i++] = (uint8_t)(0x20 + ws_test_rng_below(&rng, 0x5F));
            }
        }
        for (size_t at = 0; at <= LEN; at++) {
            for (size_t b = 0; b < sizeof bad; b++) {
                uint8_t data[LEN];
                memcpy(data, text, LEN);
                size_t len = LEN;
                if (at < LEN)
                    data[at] = bad[b];
                else if (b > 0)
                    break; /* at == LEN: the clean text, once */
                /* Also cut right after the fault, so a lead can end the text. */
                if (b % 2 && at < LEN)
                    len = at + 1;
                const long want = ref_validate(data, len);
                const size_t cut = (at * 7) % (len + 1);
                uint8_t *g = ws_test_guard_copy(data, len);
                for (size_t m = 0; m < n; m++) {
                    if (!impls[m].usable)
                        continue;
                    const long whole = run_pieces(impls[m].feed, g, len, NULL, 0);
                    const long split = run_pieces(impls[m].feed, g, len, &cut, 1);
                    if (whole != want || split != want)
                        fail_msg("mix %d len %zu byte %zu = %02x [%s]: whole %ld, split at %zu "
                                 "%ld, reference %ld",
                                 mix, len, at, bad[b], impls[m].name, whole, cut, split, want);
                }
                ws_test_guard_free(g, len);
            }
        }
    }
}

/* Texts of 3- and 4-byte sequences (and a mix), after 0-3 ASCII bytes so
 * that every phase of a sequence meets every edge of the block validators'
 * 16-, 32- and 64-byte blocks and of their overlapping last block. */
enum { EDGE_LEN = 200 };

static size_t edge_text(uint8_t *out, size_t kind)
{
    static const char *const runs[] = {"\xE4\xB8\x96", "\xF0\x9F\x98\x80",
                                       "\xED\x9F\xBF\xF4\x8F\xBF\xBF\xC3\xA9"};
    const size_t shift = kind % 4;
    const char *run = runs[kind / 4];
    const size_t rl = strlen(run);
    memset(out, 'a', shift);
    size_t len = shift;
    while (len + rl <= EDGE_LEN) {
        memcpy(out + len, run, rl);
        len += rl;
    }
    memset(out + len, 'z', EDGE_LEN - len);
    return EDGE_LEN;
}
#define EDGE_KINDS 12

/* Every implementation, and every unmask+validate one on the masked data,
 * fed whole and in two pieces cut at each of cuts (those past len are
 * skipped): the reference's verdict and byte. */
static void expect_at_every_cut(const char *what, size_t kind, size_t at, const uint8_t *data,
                                size_t len, const size_t *cuts, size_t ncuts)
{
    const long want = ref_validate(data, len);
    uint8_t *g = ws_test_guard_copy(data, len);
    impl impls[8];
    const size_t n = impl_list(impls);
    for (size_t m = 0; m < n; m++) {
        if (!impls[m].usable)
            continue;
        const long whole = run_pieces(impls[m].feed, g, len, NULL, 0);
        if (whole != want)
            fail_msg("%s kind %zu at %zu len %zu [%s] whole: got %ld, reference %ld", what, kind,
                     at, len, impls[m].name, whole, want);
        for (size_t c = 0; c < ncuts; c++) {
            if (cuts[c] > len)
                continue;
            const long split = run_pieces(impls[m].feed, g, len, &cuts[c], 1);
            if (split != want)
                fail_msg("%s kind %zu at %zu len %zu [%s] split at %zu: got %ld, reference %ld",
                         what, kind, at, len, impls[m].name, cuts[c], split, want);
        }
    }
    /* A piece that starts inside a sequence, or ends inside one, is what
     * a text arriving in many reads gives the unmasking validators. */
    static const uint8_t key[4] = {0x9d, 0x21, 0xc4, 0x6e};
    unmask_feed_fn ufns[3];
    const size_t nu = unmask_feed_list(ufns);
    uint8_t *w = ws_test_guard_copy(data, len);
    for (size_t u = 0; u < nu; u++) {
        for (size_t c = 0; c <= ncuts; c++) {
            const size_t cut = c < ncuts ? cuts[c] : len;
            if (cut > len)
                continue;
            const size_t two[2] = {cut, len}, key_offset = (cut + u) & 3;
            memcpy(w, data, len);
            ws_mask(w, len, key, key_offset);
            const long got = run_unmask_pieces(ufns[u], w, len, key, key_offset, two);
            if (got != want)
                fail_msg("%s kind %zu at %zu len %zu unmask_feed %zu split at %zu: got %ld, "
                         "reference %ld",
                         what, kind, at, len, u, cut, got, want);
            if (want == VALID || want == TRUNCATED)
                assert_memory_equal(w, data, len);
        }
    }
    ws_test_guard_free(w, len);
    assert_int_equal(ws_utf8_validate(g, len), want == VALID ? WS_OK : WS_E_INVALID_UTF8);
    ws_test_guard_free(g, len);
}

/* Cuts next to position at (from one byte before to three after), and at
 * the 16-byte block edges: every one, or (to keep the test short under
 * sanitizers and qemu) those of the 16- and 64-byte blocks holding at. */
static size_t edge_cuts(size_t *cuts, size_t at, bool every_edge)
{
    size_t n = 0;
    if (every_edge) {
        for (size_t edge = 16; edge < EDGE_LEN; edge += 16)
            cuts[n++] = edge;
    } else {
        cuts[n++] = at / 16 * 16;
        cuts[n++] = at / 16 * 16 + 16;
        cuts[n++] = at / 64 * 64;
    }
    for (size_t d = 0; d < 5; d++)
        if (at + d >= 1)
            cuts[n++] = at + d - 1;
    return n;
}

/* Each kind of error of the block check (and a lead cut short by what
 * follows it) written over every position of those texts, fed whole and
 * in two pieces cut at the block edges and around the error. */
static void test_block_edges_every_fault(void **state)
{
    (void)state;
    static const char *const faults[] = {
        "\xFF",         "\x80",         "\xC0\x80",     "\xC1\xBF",     "\xE0\x9F\xBF",
        "\xED\xA0\x80", "\xF0\x8F\xBF", "\xF4\x90\x80", "\xF5\x80",     "\xC3",
        "\xE4\xB8",     "\xF0\x9F\x98", "\x80\x80\x80\x80"};
    uint8_t text[EDGE_LEN], data[EDGE_LEN];
    size_t cuts[EDGE_LEN / 16 + 5];
    for (size_t kind = 0; kind < EDGE_KINDS; kind++) {
        const size_t len = edge_text(text, kind);
        for (size_t at = 0; at < len; at++) {
            for (size_t f = 0; f < sizeof faults / sizeof faults[0]; f++) {
                memcpy(data, text, len);
                const size_t fl = strlen(faults[f]);
                memcpy(data + at, faults[f], at + fl <= len ? fl : len - at);
                expect_at_every_cut("fault", kind, at, data, len, cuts, edge_cuts(cuts, at, false));
            }
        }
    }
}

/* Those texts, clean, ending at every length (so cut inside a sequence at
 * every block edge), whole and in two pieces; at full length also cut at
 * every position, and in three pieces with a sequence across all three. */
static void test_block_edges_cut_sequences(void **state)
{
    (void)state;
    uint8_t text[EDGE_LEN];
    size_t cuts[EDGE_LEN + 1];
    impl impls[8];
    const size_t n = impl_list(impls);
    for (size_t kind = 0; kind < EDGE_KINDS; kind++) {
        const size_t full = edge_text(text, kind);
        for (size_t len = 0; len <= full; len++)
            expect_at_every_cut("cut", kind, len, text, len, cuts, edge_cuts(cuts, len, true));
        for (size_t c = 0; c <= full; c++)
            cuts[c] = c;
        expect_at_every_cut("every split", kind, full, text, full, cuts, full + 1);
        for (size_t c = 0; c + 2 <= full; c++) {
            const size_t three[2] = {c, c + 2};
            for (size_t m = 0; m < n; m++)
                if (impls[m].usable && run_pieces(impls[m].feed, text, full, three, 2) != VALID)
                    fail_msg("kind %zu [%s] cut at %zu and %zu: not valid", kind, impls[m].name,
                             c, c + 2);
        }
    }
}

/* The unmask+validate variants check a text's last bytes as one block
 * that overlaps the body's last: at every length from 64 up, a sequence
 * cut short (or a stray byte) at each of the last 40 positions, where that
 * block and the bytes before it meet, fed whole at key offsets whose phase
 * differs from the end's. */
static void test_unmask_feed_last_block(void **state)
{
    (void)state;
    static const uint8_t faults[] = {'a', 0x80, 0xC3};
    static const uint8_t key[4] = {0x5a, 0xc3, 0x17, 0xe8};
    uint8_t text[EDGE_LEN], data[EDGE_LEN];
    memset(text, 'a', sizeof text);
    uint8_t *w = ws_test_guard_copy(text, EDGE_LEN);
    unmask_feed_fn fns[3];
    const size_t nf = unmask_feed_list(fns);
    for (size_t kind = 0; kind < EDGE_KINDS; kind++) {
        (void)edge_text(text, kind);
        for (size_t len = 64; len <= EDGE_LEN; len++) {
            uint8_t *end = w + EDGE_LEN - len; /* the text ends at the guard page */
            for (size_t at = len - 40; at < len; at++) {
                for (size_t f = 0; f < sizeof faults; f++) {
                    memcpy(data, text, len);
                    data[at] = faults[f];
                    const long want = ref_validate(data, len);
                    for (size_t u = 0; u < nf; u++) {
                        for (size_t key_offset = 1; key_offset <= 2; key_offset++) {
                            memcpy(end, data, len);
                            ws_mask(end, len, key, key_offset);
                            const size_t whole[2] = {len, len};
                            const long got =
                                run_unmask_pieces(fns[u], end, len, key, key_offset, whole);
                            if (got != want)
                                fail_msg("kind %zu len %zu byte %zu = %02x unmask_feed %zu key "
                                         "offset %zu: got %ld, reference %ld",
                                         kind, len, at, faults[f], u, key_offset, got, want);
                        }
                    }
                }
            }
        }
    }
    ws_test_guard_free(w, EDGE_LEN);
}

static void test_init_resets(void **state)
{
    (void)state;
    ws_utf8 v;
    ws_utf8_init(&v);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"\xc3", 1, NULL), WS_OK);
    assert_int_equal(ws_utf8_finish(&v), WS_E_INVALID_UTF8);
    ws_utf8_init(&v);
    assert_int_equal(ws_utf8_finish(&v), WS_OK);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"\xff", 1, NULL), WS_E_INVALID_UTF8);
    ws_utf8_init(&v);
    assert_int_equal(ws_utf8_feed(&v, (const uint8_t *)"ok", 2, NULL), WS_OK);
    assert_int_equal(ws_utf8_feed(&v, NULL, 0, NULL), WS_OK);
    assert_int_equal(ws_utf8_finish(&v), WS_OK);
    assert_int_equal(sizeof(ws_utf8), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_vectors_after_long_prefix),
        cmocka_unit_test(test_reference_agrees_with_vectors),
        cmocka_unit_test(test_random_against_reference),
        cmocka_unit_test(test_error_position_in_long_text),
        cmocka_unit_test(test_long_texts_with_one_fault),
        cmocka_unit_test(test_short_texts_every_fault),
        cmocka_unit_test(test_unmask_feed),
        cmocka_unit_test(test_whole_texts_every_fault),
        cmocka_unit_test(test_two_byte_texts_every_fault),
        cmocka_unit_test(test_block_edges_every_fault),
        cmocka_unit_test(test_block_edges_cut_sequences),
        cmocka_unit_test(test_unmask_feed_last_block),
        cmocka_unit_test(test_init_resets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
