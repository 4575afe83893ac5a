/* Masking (RFC 6455 section 5.3): every implementation compiled here, and
 * the public dispatcher, against a byte-at-a-time reference, for every
 * length 0..300, every key offset and unaligned starts; piecewise unmasking
 * equals whole unmasking. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "mask.h"

typedef size_t (*mask_fn)(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                          size_t key_offset);

typedef struct impl {
    const char *name;
    mask_fn fn;
    bool usable;
} impl;

static size_t public_copy(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                          size_t key_offset)
{
    return ws_mask_copy(dst, src, len, key, key_offset);
}

/* ws_mask is in place: copy first, then mask dst. */
static size_t public_in_place(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                              size_t key_offset)
{
    memmove(dst, src, len);
    return ws_mask(dst, len, key, key_offset);
}

/* ws_unmask_piece is in place and returns len; the next key offset is the
 * caller's sum. */
static size_t piece_in_place(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                             size_t key_offset)
{
    memmove(dst, src, len);
    assert_int_equal(ws_unmask_piece(dst, len, key, key_offset), len);
    return (key_offset + len) % 4;
}

static size_t impl_list(impl *out)
{
    size_t n = 0;
    out[n++] = (impl){"portable", ws_mask_portable, true};
#ifdef WS_HAVE_SSE2
    out[n++] = (impl){"sse2", ws_mask_sse2, true};
#endif
#ifdef WS_HAVE_AVX2
    out[n++] = (impl){"avx2", ws_mask_avx2, ws_cpu_has_avx2()};
#endif
#ifdef WS_HAVE_AVX512
    out[n++] = (impl){"avx512", ws_mask_avx512, ws_cpu_has_avx512()};
#endif
#ifdef WS_HAVE_NEON
    out[n++] = (impl){"neon", ws_mask_neon, true};
#endif
    out[n++] = (impl){"ws_mask_copy", public_copy, true};
    out[n++] = (impl){"ws_mask", public_in_place, true};
    out[n++] = (impl){"ws_unmask_piece", piece_in_place, true};
    return n;
}

static size_t reference(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                        size_t key_offset)
{
    for (size_t i = 0; i < len; i++)
        dst[i] = src[i] ^ key[(key_offset + i) % 4];
    return (key_offset + len) % 4;
}

static void test_rfc_example(void **state)
{
    (void)state;
    const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
    const uint8_t masked[5] = {0x7f, 0x9f, 0x4d, 0x51, 0x58};
    impl impls[9];
    size_t n = impl_list(impls);
    for (size_t i = 0; i < n; i++) {
        if (!impls[i].usable)
            continue;
        uint8_t out[5];
        assert_int_equal(impls[i].fn(out, (const uint8_t *)"Hello", 5, key, 0), 1);
        assert_memory_equal(out, masked, 5);
        assert_int_equal(impls[i].fn(out, masked, 5, key, 0), 1);
        assert_memory_equal(out, "Hello", 5);
    }
}

/* Every length 0..300 x key offset 0..7 (offsets past 3 wrap) x source and
 * destination misaligned by 0..7, copy and in place. */
static void test_all_lengths_offsets_alignments(void **state)
{
    (void)state;
    enum { MAX_LEN = 300, SLACK = 8 };
    static uint8_t src_buf[MAX_LEN + SLACK], dst_buf[MAX_LEN + SLACK + 1], want[MAX_LEN];
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 0x3a5c);
    ws_test_rng_fill(&rng, src_buf, sizeof src_buf);
    const uint8_t key[4] = {0x9e, 0x01, 0x7f, 0xc3};
    impl impls[9];
    size_t n = impl_list(impls);
    for (size_t m = 0; m < n; m++) {
        if (!impls[m].usable)
            continue;
        for (size_t len = 0; len <= MAX_LEN; len++) {
            for (size_t off = 0; off < 8; off++) {
                for (size_t align = 0; align < SLACK; align++) {
                    const uint8_t *src = src_buf + align;
                    uint8_t *dst = dst_buf + (SLACK - 1 - align);
                    size_t want_next = reference(want, src, len, key, off);
                    memset(dst_buf, 0xEE, sizeof dst_buf);
                    size_t next = impls[m].fn(dst, src, len, key, off);
                    if (next != want_next || memcmp(dst, want, len) != 0)
                        fail_msg("%s: len %zu offset %zu align %zu wrong", impls[m].name, len, off,
                                 align);
                    /* Not a byte outside [dst, dst + len) touched. */
                    for (uint8_t *p = dst_buf; p < dst; p++)
                        assert_int_equal(*p, 0xEE);
                    for (uint8_t *p = dst + len; p < dst_buf + sizeof dst_buf; p++)
                        assert_int_equal(*p, 0xEE);
                    /* In place (dst == src). */
                    uint8_t in_place[MAX_LEN];
                    memcpy(in_place, src, len);
                    assert_int_equal(impls[m].fn(in_place, in_place, len, key, off), want_next);
                    assert_memory_equal(in_place, want, len);
                }
            }
        }
    }
}

/* Large buffers exercise the unrolled vector bodies. */
static void test_large_buffers(void **state)
{
    (void)state;
    static const size_t lens[] = {4095, 4096, 65536, 65537, 70000 + 13};
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 0x1a2b3c);
    impl impls[9];
    size_t n = impl_list(impls);
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t len = lens[li];
        uint8_t *src = malloc(len + 1), *want = malloc(len), *dst = malloc(len + 1);
        assert_true(src && want && dst);
        ws_test_rng_fill(&rng, src, len + 1);
        uint8_t key[4];
        ws_test_rng_fill(&rng, key, 4);
        for (size_t off = 0; off < 4; off++) {
            size_t want_next = reference(want, src + 1, len, key, off);
            for (size_t m = 0; m < n; m++) {
                if (!impls[m].usable)
                    continue;
                assert_int_equal(impls[m].fn(dst + 1, src + 1, len, key, off), want_next);
                if (memcmp(dst + 1, want, len) != 0)
                    fail_msg("%s: len %zu offset %zu wrong", impls[m].name, len, off);
            }
        }
        free(src);
        free(want);
        free(dst);
    }
}

/* A payload arriving in pieces unmasks piece by piece with the returned
 * offset, to the same bytes as all at once. */
static void test_piecewise_equals_whole(void **state)
{
    (void)state;
    enum { LEN = 2000 };
    static uint8_t data[LEN], whole[LEN], pieces[LEN];
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 0x9137);
    const uint8_t key[4] = {0x01, 0x80, 0xff, 0x42};
    for (int round = 0; round < 300; round++) {
        ws_test_rng_fill(&rng, data, LEN);
        size_t len = (size_t)ws_test_rng_below(&rng, LEN + 1);
        memcpy(whole, data, len);
        ws_mask(whole, len, key, 0);
        memcpy(pieces, data, len);
        size_t off = 0, pos = 0;
        while (pos < len) {
            /* Mostly small pieces, sometimes big ones, often not multiples of 4. */
            size_t piece = ws_test_rng_below(&rng, 4) == 0 ? (size_t)ws_test_rng_below(&rng, 700)
                                                           : (size_t)ws_test_rng_below(&rng, 9);
            if (piece > len - pos)
                piece = len - pos;
            size_t next = ws_mask(pieces + pos, piece, key, off);
            assert_int_equal(next, (off + piece) % 4);
            off = next;
            pos += piece;
        }
        assert_memory_equal(pieces, whole, len);
        /* Unmasking is masking: twice gives the input back. */
        ws_mask(whole, len, key, 0);
        assert_memory_equal(whole, data, len);
    }
}

static void test_empty(void **state)
{
    (void)state;
    const uint8_t key[4] = {1, 2, 3, 4};
    assert_int_equal(ws_mask(NULL, 0, key, 0), 0);
    assert_int_equal(ws_mask(NULL, 0, key, 3), 3);
    assert_int_equal(ws_mask(NULL, 0, key, 6), 2);
    assert_int_equal(ws_mask_copy(NULL, NULL, 0, key, 1), 1);
}

/* ws_unmask_whole (the stream parser's inline unmasking): the reference's
 * bytes for every length and alignment, and the ASCII hint is right: clear
 * only when no unmasked byte has its high bit set, which a single such
 * byte at any position must flip. */
static void test_unmask_whole(void **state)
{
    (void)state;
    const uint8_t key[4] = {0x9a, 0x10, 0x7f, 0xc3};
    uint8_t plain[300 + 8], wire[300 + 8], expect[300 + 8];
    for (size_t len = 0; len <= 300; len++) {
        for (size_t align = 0; align < 8; align++) {
            for (size_t high = 0; high <= len; high++) { /* high == len: all ASCII */
                if (high != len && high % 7 != 0 && high + 1 != len)
                    continue;
                for (size_t i = 0; i < len; i++)
                    plain[i] = (uint8_t)(' ' + (i * 7 + align) % 90);
                if (high < len)
                    plain[high] = 0x80 | (uint8_t)high;
                reference(wire + align, plain, len, key, 0);
                memcpy(expect, plain, len);
                uint64_t seen = ws_unmask_whole(wire + align, len, key);
                assert_memory_equal(wire + align, expect, len);
                if (high < len)
                    assert_true((seen & WS_HIGH_BITS) != 0);
                else if (len < WS_UNMASK_INLINE_MAX)
                    assert_true((seen & WS_HIGH_BITS) == 0);
            }
        }
    }
}

/* ws_unmask_after_header: the same bytes and ASCII hint as the reference
 * for every 7-bit length, with the payload ending at the last byte before
 * a PROT_NONE page (no read past it) and right after its 6-byte header,
 * which must come out unchanged (the short lengths load and store words
 * that start inside it). */
static void test_unmask_after_header(void **state)
{
    (void)state;
    const uint8_t key[4] = {0x9a, 0x10, 0x7f, 0xc3};
    uint8_t plain[WS_UNMASK_SMALL_MAX], frame[6 + WS_UNMASK_SMALL_MAX];
    for (size_t len = 0; len <= WS_UNMASK_SMALL_MAX; len++) {
        for (size_t high = 0; high <= len; high++) { /* high == len: all ASCII */
            for (size_t i = 0; i < len; i++)
                plain[i] = (uint8_t)(' ' + (i * 7 + len) % 90);
            if (high < len)
                plain[high] = 0x80 | (uint8_t)high;
            frame[0] = 0x81;
            frame[1] = (uint8_t)(0x80 | len);
            memcpy(frame + 2, key, 4);
            reference(frame + 6, plain, len, key, 0);
            uint8_t *g = ws_test_guard_copy(frame, 6 + len);
            uint64_t seen = ws_unmask_after_header(g + 6, len, g + 2);
            assert_memory_equal(g, frame, 6); /* the header, key included */
            assert_memory_equal(g + 6, plain, len);
            assert_int_equal((seen & WS_HIGH_BITS) != 0, high < len);
            ws_test_guard_free(g, 6 + len);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_example),
        cmocka_unit_test(test_all_lengths_offsets_alignments),
        cmocka_unit_test(test_large_buffers),
        cmocka_unit_test(test_piecewise_equals_whole),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_unmask_whole),
        cmocka_unit_test(test_unmask_after_header),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
