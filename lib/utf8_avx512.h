/*
 * utf8_avx512.h - the AVX-512 block check of utf8.c as inline functions,
 * for the stream parser's small text frames, which unmask and check a text
 * inline rather than through two calls. Internal; not installed.
 */
#ifndef WS_UTF8_AVX512_H
#define WS_UTF8_AVX512_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "wsframe.h"

/*
 * The kinds of error of the block check (see block_errors in utf8.c, after
 * Keiser and Lemire): one bit each in the tables indexed by the previous
 * byte's nibbles and this byte's high nibble.
 */
#define K_TOO_SHORT 0x01      /* lead, then not a continuation */
#define K_TOO_LONG 0x02       /* ASCII, then a continuation */
#define K_OVERLONG_3 0x04     /* E0 80-9F */
#define K_TOO_LARGE 0x08      /* F4 90-BF, or F5-FF then a continuation */
#define K_SURROGATE 0x10      /* ED A0-BF */
#define K_OVERLONG_2 0x20     /* C0-C1, then a continuation */
#define K_TOO_LARGE_1000 0x40 /* F5-FF 80-8F */
#define K_OVERLONG_4 0x40     /* F0 80-8F */
/* 0x80, written as the signed char _mm256_setr_epi8 takes */
#define K_TWO_CONTS (-0x80)   /* continuation, then continuation */
#define K_CARRY (K_TOO_SHORT | K_TOO_LONG | K_TWO_CONTS)

/* The three 16-entry tables of the block check, as lists for each
 * variant's own table constructor (AVX2, AVX-512, NEON): the kinds a
 * pattern may belong to, by the previous byte's high nibble, by its low
 * nibble, and by this byte's high nibble. */
#define K_BY_PREV_HIGH                                                                             \
    /* 0-7: ASCII */ K_TOO_LONG, K_TOO_LONG, K_TOO_LONG, K_TOO_LONG, K_TOO_LONG, K_TOO_LONG,      \
        K_TOO_LONG, K_TOO_LONG,                                                                    \
        /* 8-B: continuation */ K_TWO_CONTS, K_TWO_CONTS, K_TWO_CONTS, K_TWO_CONTS,                \
        /* C */ K_TOO_SHORT | K_OVERLONG_2,                                                        \
        /* D */ K_TOO_SHORT,                                                                       \
        /* E */ K_TOO_SHORT | K_OVERLONG_3 | K_SURROGATE,                                          \
        /* F */ K_TOO_SHORT | K_TOO_LARGE | K_TOO_LARGE_1000 | K_OVERLONG_4
#define K_BY_PREV_LOW                                                                              \
    /* 0 */ K_CARRY | K_OVERLONG_3 | K_OVERLONG_2 | K_OVERLONG_4,                                  \
        /* 1 */ K_CARRY | K_OVERLONG_2,                                                            \
        /* 2-3 */ K_CARRY, K_CARRY,                                                                \
        /* 4 */ K_CARRY | K_TOO_LARGE,                                                             \
        /* 5-C */ K_CARRY | K_TOO_LARGE | K_TOO_LARGE_1000,                                        \
        K_CARRY | K_TOO_LARGE | K_TOO_LARGE_1000, K_CARRY | K_TOO_LARGE | K_TOO_LARGE_1000,        \
        K_CARRY | K_TOO_LARGE | K_TOO_LARGE_1000, K_CARRY | K_TOO_LARGE | K_TOO_LARGE_1000,        \
        K_CARRY | K_TOO_LARGE | K_TOO_LARGE_1000, K_CARRY | K_TOO_LARGE | K_TOO_LARGE_1000,        \
        K_CARRY | K_TOO_LARGE | K_TOO_LARGE_1000,                                                  \
        /* D */ K_CARRY | K_TOO_LARGE | K_TOO_LARGE_1000 | K_SURROGATE,                            \
        /* E-F */ K_CARRY | K_TOO_LARGE | K_TOO_LARGE_1000, K_CARRY | K_TOO_LARGE | K_TOO_LARGE_1000
#define K_BY_THIS_HIGH                                                                             \
    /* 0-7: ASCII */ K_TOO_SHORT, K_TOO_SHORT, K_TOO_SHORT, K_TOO_SHORT, K_TOO_SHORT,             \
        K_TOO_SHORT, K_TOO_SHORT, K_TOO_SHORT,                                                     \
        /* 8 */ K_TOO_LONG | K_OVERLONG_2 | K_TWO_CONTS | K_OVERLONG_3 | K_TOO_LARGE_1000 |        \
            K_OVERLONG_4,                                                                          \
        /* 9 */ K_TOO_LONG | K_OVERLONG_2 | K_TWO_CONTS | K_OVERLONG_3 | K_TOO_LARGE,              \
        /* A-B */ K_TOO_LONG | K_OVERLONG_2 | K_TWO_CONTS | K_SURROGATE | K_TOO_LARGE,             \
        K_TOO_LONG | K_OVERLONG_2 | K_TWO_CONTS | K_SURROGATE | K_TOO_LARGE,                       \
        /* C-F: lead */ K_TOO_SHORT, K_TOO_SHORT, K_TOO_SHORT, K_TOO_SHORT


#ifdef WS_HAVE_AVX512
#include <immintrin.h>

/*
 * AVX-512 (lib/cpu.h's level: F, BW, VL, VBMI, BMI2): the block check of
 * block_errors on 64-byte blocks, and masked loads, which make a text's
 * last bytes (or all of a short text) one block with zeros after the end,
 * read without touching a byte past it (stores are plain ones, see
 * ws_utf8_store_first_512). A sequence cut at the end meets those zeros
 * and fails the check like any other sequence too short; only a last
 * block filled to its end needs CUT_AT_END_64.
 */
#define TABLE16_512(...) _mm512_broadcast_i32x4(_mm_setr_epi8(__VA_ARGS__))

static inline WS_TARGET_AVX512 __m512i ws_utf8_block_errors_512(__m512i in, __m512i prev)
{
    const __m512i by_prev_high = TABLE16_512(K_BY_PREV_HIGH);
    const __m512i by_prev_low = TABLE16_512(K_BY_PREV_LOW);
    const __m512i by_this_high = TABLE16_512(K_BY_THIS_HIGH);
    const __m512i nibble = _mm512_set1_epi8(0x0F);

    /* The previous block's last 16 bytes below this block's first 48: the
     * per-lane byte shifts then reach across lanes and blocks. */
    const __m512i lane_before = _mm512_alignr_epi64(in, prev, 6);
    const __m512i prev1 = _mm512_alignr_epi8(in, lane_before, 15);
    const __m512i prev2 = _mm512_alignr_epi8(in, lane_before, 14);
    const __m512i prev3 = _mm512_alignr_epi8(in, lane_before, 13);
    const __m512i kinds = _mm512_and_si512(
        _mm512_and_si512(
            _mm512_shuffle_epi8(by_prev_high, _mm512_and_si512(_mm512_srli_epi16(prev1, 4), nibble)),
            _mm512_shuffle_epi8(by_prev_low, _mm512_and_si512(prev1, nibble))),
        _mm512_shuffle_epi8(by_this_high, _mm512_and_si512(_mm512_srli_epi16(in, 4), nibble)));
    /* As in block_errors: the 2nd/3rd byte after a 3-/4-byte lead. */
    const __m512i third = _mm512_subs_epu8(prev2, _mm512_set1_epi8(0x60));
    const __m512i fourth = _mm512_subs_epu8(prev3, _mm512_set1_epi8(0x70));
    const __m512i must_continue =
        _mm512_and_si512(_mm512_or_si512(third, fourth), _mm512_set1_epi8((char)0x80));
    return _mm512_xor_si512(must_continue, kinds);
}

/* CUT_AT_END over a whole 64-byte block. */
static const uint8_t CUT_AT_END_64[64] __attribute__((aligned(64))) = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xEF, 0xDF, 0xBF};

/* The errors of a text's last block (zeros after the end) after prev. */
static inline WS_TARGET_AVX512 __m512i ws_utf8_last_block_errors_512(__m512i last, __m512i prev)
{
    return _mm512_or_si512(ws_utf8_block_errors_512(last, prev),
                           _mm512_subs_epu8(last, _mm512_load_si512((const void *)CUT_AT_END_64)));
}

/* Where a block of the last len - at bytes starts, and which bytes it has. */
static inline WS_TARGET_AVX512 __mmask64 ws_utf8_first_bytes_512(size_t n)
{
    /* bzhi keeps all 64 bits for n >= 64. */
    return _bzhi_u64(~0ull, (unsigned)n);
}

static inline WS_TARGET_AVX512 bool ws_utf8_any_high_bit_512(__m512i x)
{
    return _mm512_movepi8_mask(x) != 0;
}

static inline WS_TARGET_AVX512 bool ws_utf8_no_errors_512(__m512i errors)
{
    return _mm512_test_epi8_mask(errors, errors) == 0;
}

/* What ws_utf8_unmask_short_avx512 needs inline, for the stream parser's
 * small frames, where two calls and their saved registers are as much as
 * the work (125-byte ASCII frames: 6.3 ns through the out-of-line
 * function, 5.6 ns with the unmasking inline). */

/* The bytes of a from byte from on, moved down to byte 0. */
static inline WS_TARGET_AVX512 __m512i ws_utf8_bytes_from_512(__m512i a, size_t from)
{
    const __m512i iota = _mm512_set_epi64(0x3f3e3d3c3b3a3938, 0x3736353433323130,
                                          0x2f2e2d2c2b2a2928, 0x2726252423222120,
                                          0x1f1e1d1c1b1a1918, 0x1716151413121110,
                                          0x0f0e0d0c0b0a0908, 0x0706050403020100);
    return _mm512_permutexvar_epi8(_mm512_add_epi8(iota, _mm512_set1_epi8((char)from)), a);
}

/*
 * Stores the first n bytes of a at p, 0 <= n <= 64, with plain stores, two
 * of the widest size that fits, overlapping. Not a masked store: a later
 * load that overlaps a masked store's 64 bytes, even bytes it did not
 * write, is not forwarded from it and waits until it is written back, and
 * the stream parser's next load is the next frame's header, right after
 * a text (16-byte ASCII frames 4 -> 17 ns each with a masked store).
 */
static inline WS_TARGET_AVX512 void ws_utf8_store_first_512(uint8_t *p, size_t n, __m512i a)
{
    if (n >= 32) {
        _mm256_storeu_si256((__m256i *)(void *)p, _mm512_castsi512_si256(a));
        _mm256_storeu_si256((__m256i *)(void *)(p + n - 32),
                            _mm512_castsi512_si256(ws_utf8_bytes_from_512(a, n - 32)));
    } else if (n >= 16) {
        _mm_storeu_si128((__m128i *)(void *)p, _mm512_castsi512_si128(a));
        _mm_storeu_si128((__m128i *)(void *)(p + n - 16),
                         _mm512_castsi512_si128(ws_utf8_bytes_from_512(a, n - 16)));
    } else if (n >= 4) {
        const __m128i last =
            _mm512_castsi512_si128(ws_utf8_bytes_from_512(a, n >= 8 ? n - 8 : n - 4));
        const uint64_t first = (uint64_t)_mm_cvtsi128_si64(_mm512_castsi512_si128(a));
        const uint64_t end = (uint64_t)_mm_cvtsi128_si64(last);
        if (n >= 8) {
            memcpy(p, &first, 8);
            memcpy(p + n - 8, &end, 8);
        } else {
            const uint32_t first4 = (uint32_t)first, end4 = (uint32_t)end;
            memcpy(p, &first4, 4);
            memcpy(p + n - 4, &end4, 4);
        }
    } else if (n > 0) {
        const uint32_t w = (uint32_t)_mm_cvtsi128_si32(_mm512_castsi512_si128(a));
        p[0] = (uint8_t)w;
        p[n / 2] = (uint8_t)(w >> (8 * (n / 2)));
        p[n - 1] = (uint8_t)(w >> (8 * (n - 1)));
    }
}

/* The bytes of p where in_text is set, unmasked with k, zeros elsewhere,
 * reading no other byte: a masked load that keeps k where it reads
 * nothing, then k XORed out. */
static inline WS_TARGET_AVX512 __m512i ws_utf8_unmasked_block_512(const uint8_t *p,
                                                                  __mmask64 in_text, __m512i k)
{
    return _mm512_xor_si512(_mm512_mask_loadu_epi8(k, in_text, p), k);
}


/* The block check of a text's first and last block (first zero for a
 * text of one block; zeros after its end in last). */
static inline WS_TARGET_AVX512 ws_status ws_utf8_short_blocks_valid_512(__m512i first, __m512i last)
{
    return ws_utf8_no_errors_512(_mm512_or_si512(
               ws_utf8_block_errors_512(first, _mm512_setzero_si512()),
               ws_utf8_last_block_errors_512(last, first)))
               ? WS_OK
               : WS_E_INVALID_UTF8;
}

/* Whether the first have bytes (have <= 128) of a text masked with key can
 * begin valid UTF-8, as ws_utf8_feed would judge them: unmasked into
 * registers only, the bytes in memory stay as they are. The block check
 * flags a bad byte where the byte after its lead is, so the flags past
 * have (a sequence the cut left open) are dropped; a last byte that no
 * valid text has anywhere (C0, C1, F5-FF) is caught on its own. */
static inline WS_TARGET_AVX512 ws_status ws_utf8_masked_prefix_valid_avx512(const uint8_t *p,
                                                                           size_t have,
                                                                           uint32_t k4)
{
    /* Two blocks whatever have is (the second one empty up to 64 bytes:
     * a masked load with no byte reads nothing): a branch on the size
     * mispredicted at every other cut. */
    const __m512i k = _mm512_set1_epi32((int)k4);
    const size_t in_first = have < 64 ? have : 64;
    const __mmask64 first_bytes = _bzhi_u64(~0ull, (unsigned)in_first);
    const __mmask64 last_bytes = _bzhi_u64(~0ull, (unsigned)(have - in_first));
    const __m512i first = ws_utf8_unmasked_block_512(p, first_bytes, k);
    const __m512i last = ws_utf8_unmasked_block_512(p + 64, last_bytes, k);
    const __m512i first_errors = ws_utf8_block_errors_512(first, _mm512_setzero_si512());
    const __m512i last_errors = ws_utf8_block_errors_512(last, first);
    const __mmask64 flags = (_mm512_test_epi8_mask(first_errors, first_errors) & first_bytes) |
                            (_mm512_test_epi8_mask(last_errors, last_errors) & last_bytes);
    const uint8_t end = (uint8_t)(p[have - 1] ^ (uint8_t)(k4 >> (8 * ((have - 1) % 4))));
    const bool bad_end = (end == 0xC0) | (end == 0xC1) | (end >= 0xF5);
    return ((flags != 0) | bad_end) ? WS_E_INVALID_UTF8 : WS_OK;
}

/* The tables twice over, a ymm each, as memory operands (built with a
 * broadcast, each cost a load and a lane insert), then the same for the
 * high nibble of the byte two and three back: 80 where it is a 3- or 4-byte
 * lead (E-F) and a 4-byte lead (F), whose 3rd and 4th bytes must be
 * continuations (block_errors finds these with saturating subtractions,
 * whose constants cost a move and a broadcast each). */
static const int8_t WS_UTF8_TEXT_256[6][32] __attribute__((aligned(32))) = {
    {K_BY_PREV_HIGH, K_BY_PREV_HIGH},
    {K_BY_PREV_LOW, K_BY_PREV_LOW},
    {K_BY_THIS_HIGH, K_BY_THIS_HIGH},
#define WS_LEAD_3_OR_4 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0x80, -0x80
#define WS_LEAD_4 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0x80
    {WS_LEAD_3_OR_4, WS_LEAD_3_OR_4},
    {WS_LEAD_4, WS_LEAD_4},
#undef WS_LEAD_4
#undef WS_LEAD_3_OR_4
    /* Bytes 0-15 of a vector, then none (pshufb zeros them): loaded from
     * 32 - len, the indexes that move the bytes of a 16-byte block that
     * ends at len to the block's start. */
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, -0x80, -0x80, -0x80, -0x80, -0x80,
     -0x80, -0x80, -0x80, -0x80, -0x80, -0x80, -0x80, -0x80, -0x80, -0x80, -0x80}};

static inline WS_TARGET_AVX512 __m256i ws_utf8_text_256_row(int row)
{
    return _mm256_load_si256((const __m256i *)(const void *)WS_UTF8_TEXT_256[row]);
}

/*
 * block_errors for a text of up to 32 bytes in one ymm, zeros before it
 * (nothing comes before a whole text) and after it (a sequence cut at the
 * end meets them and fails as too short). A 64-byte block's check spends
 * twice the work on this, and as much again on the zero block before. The
 * lookups are vpermb, which reads 5 bits of the index from a table that
 * holds its 16 entries twice: so no nibble needs to be masked out.
 */
static inline WS_TARGET_AVX512 bool ws_utf8_text_valid_256(__m256i in)
{
    /* Zeros below the low lane, the low lane below the high one: the
     * per-lane byte shifts then reach across the lanes. */
    const __m256i lane_before = _mm256_permute2x128_si256(in, in, 0x08);
    const __m256i prev1 = _mm256_alignr_epi8(in, lane_before, 15);
    const __m256i prev2 = _mm256_alignr_epi8(in, lane_before, 14);
    const __m256i prev3 = _mm256_alignr_epi8(in, lane_before, 13);
    const __m256i kinds = _mm256_and_si256(
        _mm256_and_si256(
            _mm256_permutexvar_epi8(_mm256_srli_epi16(prev1, 4), ws_utf8_text_256_row(0)),
            _mm256_permutexvar_epi8(prev1, ws_utf8_text_256_row(1))),
        _mm256_permutexvar_epi8(_mm256_srli_epi16(in, 4), ws_utf8_text_256_row(2)));
    /* As in block_errors: the 2nd/3rd byte after a 3-/4-byte lead. */
    const __m256i must_continue =
        _mm256_or_si256(_mm256_permutexvar_epi8(_mm256_srli_epi16(prev2, 4), ws_utf8_text_256_row(3)),
                        _mm256_permutexvar_epi8(_mm256_srli_epi16(prev3, 4), ws_utf8_text_256_row(4)));
    const __m256i errors = _mm256_xor_si256(must_continue, kinds);
    return _mm256_testz_si256(errors, errors) != 0;
}

/*
 * ws_utf8_text_valid_256 for a text of up to 16 bytes in one xmm with zeros
 * before and after it: the byte shifts stay in the register, and an xmm
 * vpermb reads 4 bits of the index, the nibble itself.
 */
static inline WS_TARGET_AVX512 bool ws_utf8_text_valid_128(__m128i in)
{
    const __m128i prev1 = _mm_bslli_si128(in, 1);
    /* A word-aligned byte shift commutes with the word shift: the high
     * nibbles two bytes back are those of in, moved. */
    const __m128i high = _mm_srli_epi16(in, 4);
    const __m128i kinds = _mm_and_si128(
        _mm_and_si128(_mm_permutexvar_epi8(_mm_srli_epi16(prev1, 4),
                                           _mm256_castsi256_si128(ws_utf8_text_256_row(0))),
                      _mm_permutexvar_epi8(prev1, _mm256_castsi256_si128(ws_utf8_text_256_row(1)))),
        _mm_permutexvar_epi8(high, _mm256_castsi256_si128(ws_utf8_text_256_row(2))));
    const __m128i must_continue = _mm_or_si128(
        _mm_permutexvar_epi8(_mm_bslli_si128(high, 2),
                             _mm256_castsi256_si128(ws_utf8_text_256_row(3))),
        _mm_permutexvar_epi8(_mm_srli_epi16(_mm_bslli_si128(in, 3), 4),
                             _mm256_castsi256_si128(ws_utf8_text_256_row(4))));
    const __m128i errors = _mm_xor_si128(must_continue, kinds);
    return _mm_testz_si128(errors, errors) != 0;
}

/*
 * A whole text of len bytes, 2 <= len < 16, unmasked into two words by
 * ws_unmask_2_to_15_after_header (its lo and hi), as one xmm with zeros
 * before it (for len <= 8 lo has them) and after it. Plain SSE2: the AVX2
 * check in utf8.c builds its block with it too.
 */
static inline __m128i ws_utf8_words_as_xmm(uint64_t lo, uint64_t hi, size_t len)
{
    /* From 9 bytes, hi's top len - 8 bytes are the text's bytes 8 on. */
    const uint64_t after_lo = len > 8 ? hi >> (8 * (16 - len)) : 0;
    return _mm_set_epi64x((long long)after_lo, (long long)lo);
}

/* That text checked from those words. */
static inline WS_TARGET_AVX512 ws_status ws_utf8_valid_2_to_15_words_avx512(uint64_t lo,
                                                                           uint64_t hi,
                                                                           size_t len)
{
    return ws_utf8_text_valid_128(ws_utf8_words_as_xmm(lo, hi, len)) ? WS_OK : WS_E_INVALID_UTF8;
}

/*
 * A whole text of len bytes, 16 <= len < 32, whose first and last 16 bytes
 * are in registers (the stream parser's small frames unmask them there):
 * checked from those registers, as one ymm of the len bytes and zeros, so
 * the bytes just stored by the unmasking are never loaded again.
 */
static inline WS_TARGET_AVX512 ws_status ws_utf8_valid_16_to_31_regs_avx512(__m128i first,
                                                                           __m128i last,
                                                                           size_t len)
{
    /* Bytes 16.. of the text are last's from 32 - len on, zeros after. */
    const __m128i after_first = _mm_shuffle_epi8(
        last, _mm_loadu_si128((const __m128i *)(const void *)(WS_UTF8_TEXT_256[5] + (32 - len))));
    const __m256i text = _mm256_inserti128_si256(_mm256_castsi128_si256(first), after_first, 1);
    return ws_utf8_text_valid_256(text) ? WS_OK : WS_E_INVALID_UTF8;
}

/* The same for a text p[0, len), 16 <= len < 32, in memory. */
static inline WS_TARGET_AVX512 ws_status ws_utf8_valid_16_to_31_avx512(const uint8_t *p, size_t len)
{
    return ws_utf8_valid_16_to_31_regs_avx512(
        _mm_loadu_si128((const __m128i *)(const void *)p),
        _mm_loadu_si128((const __m128i *)(const void *)(p + len - 16)), len);
}

/* ws_utf8_unmask_whole_avx512 for len <= 128: every byte unmasked, and an
 * ASCII text found from the registers' high bits; any other is checked
 * from the same registers, never reloaded. */
static inline WS_TARGET_AVX512 ws_status ws_utf8_unmask_short_avx512(uint8_t *p, size_t len,
                                                                    const uint8_t key[4])
{
    uint32_t k4;
    memcpy(&k4, key, 4);
    const __m512i k = _mm512_set1_epi32((int)k4);
    __m512i first = _mm512_setzero_si512(), last;
    if (len <= 64) {
        last = ws_utf8_unmasked_block_512(p, _bzhi_u64(~0ull, (unsigned)len), k);
        ws_utf8_store_first_512(p, len, last);
    } else {
        first = _mm512_xor_si512(_mm512_loadu_si512((const void *)p), k);
        last = ws_utf8_unmasked_block_512(p + 64, _bzhi_u64(~0ull, (unsigned)(len - 64)), k);
        _mm512_storeu_si512((void *)p, first);
        ws_utf8_store_first_512(p + 64, len - 64, last);
    }
    if (_mm512_movepi8_mask(_mm512_or_si512(first, last)) == 0)
        return WS_OK;
    return ws_utf8_short_blocks_valid_512(first, last);
}
#endif

#endif
