/*
 * mask.h - the masking implementations behind ws_mask / ws_mask_copy.
 * Internal; not installed. Every variant has the contract of ws_mask_copy
 * (dst may equal src, must not otherwise overlap it) and returns the next key
 * offset. They are exposed so the tests can hold each one against a
 * byte-at-a-time reference, whichever one the dispatcher would pick here.
 */
#ifndef WS_MASK_H
#define WS_MASK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cpu.h"
#include "wsframe.h"

#ifdef WS_HAVE_SSE2
#include <emmintrin.h>
#endif

/* Word at a time (uint64_t via memcpy); always compiled. */
size_t ws_mask_portable(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                        size_t key_offset);

#ifdef WS_HAVE_SSE2
size_t ws_mask_sse2(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                    size_t key_offset);
#endif
#ifdef WS_HAVE_AVX2
/* Only call when ws_cpu_has_avx2(). */
size_t ws_mask_avx2(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                    size_t key_offset);
#endif
#ifdef WS_HAVE_AVX512
/* Only call when ws_cpu_has_avx512(). */
size_t ws_mask_avx512(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                      size_t key_offset);
#endif
#ifdef WS_HAVE_NEON
size_t ws_mask_neon(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                    size_t key_offset);
#endif

/* ws_mask (in place) returning len, not the next key offset: the stream
 * parser knows that offset before it unmasks, so a payload piece ends in a
 * jump to this, with nothing kept across a call (per read of a payload cut
 * into 1460-byte reads, that call and its saved register were a tenth of
 * the parser's instructions outside the unmasking loop). */
size_t ws_unmask_piece(uint8_t *data, size_t len, const uint8_t key[4], size_t key_offset);

/* The key rotated by key_offset, as the uint32_t whose bytes in memory are
 * key[key_offset], key[key_offset + 1], ... Built in registers: a key
 * assembled in a stack array and reloaded as a wider word stalls store
 * forwarding on every call, about 10 ns, which a payload arriving in
 * 1460-byte reads paid on each read (64 KiB in 1460-byte pieces: 1202 ns,
 * against 731 ns in one piece). */
static inline uint32_t ws_mask_rotated_key(const uint8_t key[4], size_t key_offset)
{
    uint32_t k;
    memcpy(&k, key, 4);
    /* A rotate, with no branch for 0 (the & 31 keeps both shifts defined). */
    const unsigned bits = (unsigned)(key_offset & 3) * 8;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return k << bits | k >> (-bits & 31);
#else
    return k >> bits | k << (-bits & 31);
#endif
}

/* Payloads below this are unmasked inline by ws_unmask_whole; from here on
 * the call and the dispatch of ws_mask are paid back by its wider loops. */
#define WS_UNMASK_INLINE_MAX 128

#define WS_HIGH_BITS 0x8080808080808080ull

/*
 * The n >= 16 bytes at p unmasked in place from key offset 0, k4 the key
 * and k_end the key rotated by n & 3 (the phase of a block that ends at
 * p + n, when the block is a multiple of 4 bytes long): vectors (words
 * without SSE2) and an overlapping last one, which is loaded before
 * anything is stored, so where it overlaps the one before, both store the
 * same unmasked bytes. Returns ws_unmask_whole's "seen" word. Shared by
 * ws_unmask_whole and ws_unmask_after_header, which differ only below 16.
 */
static inline uint64_t ws_unmask_from_16(uint8_t *p, size_t n, uint32_t k4, uint32_t k_end)
{
#ifdef WS_HAVE_SSE2
    const __m128i k16 = _mm_set1_epi32((int)k4);
    const __m128i last = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + n - 16)),
                                       _mm_set1_epi32((int)k_end));
    __m128i any = last;
    for (size_t i = 0; i + 16 < n; i += 16) {
        __m128i w = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), k16);
        _mm_storeu_si128((__m128i *)(void *)(p + i), w);
        any = _mm_or_si128(any, w);
    }
    _mm_storeu_si128((__m128i *)(void *)(p + n - 16), last);
    return (uint64_t)(_mm_movemask_epi8(any) != 0) << 7;
#else
    const uint64_t k8 = (uint64_t)k4 << 32 | k4;
    uint64_t last;
    memcpy(&last, p + n - 8, 8);
    last ^= (uint64_t)k_end << 32 | k_end;
    uint64_t seen = last;
    for (size_t i = 0; i + 8 < n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        w ^= k8;
        memcpy(p + i, &w, 8);
        seen |= w;
    }
    memcpy(p + n - 8, &last, 8);
    return seen;
#endif
}

#ifdef WS_HAVE_SSE2
/*
 * ws_unmask_from_16 for 16 <= n < 32, the unmasked first and last 16 bytes
 * also left in *first and *last (the same bytes for n == 16), so that a
 * text's check can take them from registers rather than load them back
 * from the stores still in flight.
 */
static inline void ws_unmask_16_to_31(uint8_t *p, size_t n, const uint8_t key[4], __m128i *first,
                                      __m128i *last)
{
    uint32_t k4;
    memcpy(&k4, key, 4);
    const uint32_t k_end = ws_mask_rotated_key(key, n);
    *first = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)p),
                           _mm_set1_epi32((int)k4));
    *last = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + n - 16)),
                          _mm_set1_epi32((int)k_end));
    _mm_storeu_si128((__m128i *)(void *)p, *first);
    _mm_storeu_si128((__m128i *)(void *)(p + n - 16), *last);
}
#endif

/*
 * Unmask a whole payload in place (key offset 0) and return the OR of the
 * unmasked bytes, spread over a word: (result & WS_HIGH_BITS) == 0 means the
 * payload is ASCII, so a text needs no validator pass. Inline because the
 * stream parser's one-event path calls it for every small message, where a
 * call plus ws_mask's dispatch cost as much as the unmasking itself. Large
 * payloads go to ws_mask and report "not known to be ASCII"
 * (WS_HIGH_BITS): fusing the ASCII check into the SIMD loops measured no
 * faster than the validator's own ASCII skip over data that is in L1.
 */
static inline uint64_t ws_unmask_whole(uint8_t *p, size_t n, const uint8_t key[4])
{
    if (n >= WS_UNMASK_INLINE_MAX) {
        ws_mask(p, n, key, 0);
        return WS_HIGH_BITS;
    }
    /* Each size class is a first and a last block that may overlap, both
     * loaded before either is stored: no loop below 32 bytes and no byte
     * steps. The last block's key is the key at its offset, n - width. */
    uint32_t k4;
    memcpy(&k4, key, 4);
    if (n >= 16)
        return ws_unmask_from_16(p, n, k4, ws_mask_rotated_key(key, n));
    if (n >= 8) {
        const uint32_t k_last4 = ws_mask_rotated_key(key, n);
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
        a ^= (uint64_t)k4 << 32 | k4;
        b ^= (uint64_t)k_last4 << 32 | k_last4;
        memcpy(p, &a, 8);
        memcpy(p + n - 8, &b, 8);
        return a | b;
    }
    if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + n - 4, 4);
        a ^= k4;
        b ^= ws_mask_rotated_key(key, n);
        memcpy(p, &a, 4);
        memcpy(p + n - 4, &b, 4);
        return a | b;
    }
    if (n >= 2) {
        /* n - 2 is 0 or 1: the key's first two bytes or its second and third. */
        uint16_t a, b, ka, kb;
        memcpy(&ka, key, 2);
        memcpy(&kb, key + (n - 2), 2);
        memcpy(&a, p, 2);
        memcpy(&b, p + n - 2, 2);
        a = (uint16_t)(a ^ ka);
        b = (uint16_t)(b ^ kb);
        memcpy(p, &a, 2);
        memcpy(p + n - 2, &b, 2);
        return (uint64_t)(a | b);
    }
    if (n == 1) {
        p[0] = (uint8_t)(p[0] ^ key[0]);
        return p[0];
    }
    return 0;
}

/* x rotated right by bits (0..63); one instruction where there is one. */
static inline uint64_t ws_rotr64(uint64_t x, unsigned bits)
{
    return x >> (bits & 63) | x << (-bits & 63);
}

/* The largest payload ws_unmask_after_header takes: one with a 7-bit length. */
#define WS_UNMASK_SMALL_MAX 125

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* The size classes of ws_unmask_after_header below 16 bytes, k4 the key.
 * Byte j of a word that ends at data + n is payload byte n - 8 + j, whose
 * key byte is key[(n + j) & 3]: the repeated key rotated by n & 3 bytes.
 * Each size class builds only the keys it uses (built up front, they cost
 * saved registers). 2-8 bytes: one word that ends where the payload does
 * and starts inside the header, whose bytes it XORs with 0 and stores back
 * unchanged; returns the payload in the word's top n bytes, zeros below. */
static inline uint64_t ws_unmask_2_to_8_after_header(uint8_t *data, size_t n, uint32_t k4)
{
    const uint64_t k_end = ws_rotr64((uint64_t)k4 << 32 | k4, (unsigned)(n & 3) * 8);
    const uint64_t in_payload = ~0ull << (64 - 8 * n);
    uint64_t w;
    memcpy(&w, data + n - 8, 8);
    w ^= k_end & in_payload;
    memcpy(data + n - 8, &w, 8);
    return w & in_payload;
}

/* 9-15 bytes: two overlapping words, bytes 0-7 left in *first and bytes
 * n - 8 to n - 1 in *last. */
static inline void ws_unmask_9_to_15(uint8_t *data, size_t n, uint32_t k4, uint64_t *first,
                                     uint64_t *last)
{
    const uint64_t k8 = (uint64_t)k4 << 32 | k4;
    uint64_t a, b;
    memcpy(&a, data, 8);
    memcpy(&b, data + n - 8, 8);
    a ^= k8;
    b ^= ws_rotr64(k8, (unsigned)(n & 3) * 8);
    memcpy(data, &a, 8);
    memcpy(data + n - 8, &b, 8);
    *first = a;
    *last = b;
}

/*
 * The 2 <= n < 16 bytes at data unmasked in place, as ws_unmask_after_header
 * does them, the unmasked text also left in two words: for n <= 8, *lo has
 * it in its top n bytes, zeros below, and *hi is 0; from 9 bytes *lo is
 * bytes 0-7 and *hi bytes n - 8 to n - 1. A text's check can take them from
 * registers (see small_short_text in stream.c).
 */
static inline void ws_unmask_2_to_15_after_header(uint8_t *data, size_t n, const uint8_t key[4],
                                                  uint64_t *lo, uint64_t *hi)
{
    uint32_t k4;
    memcpy(&k4, key, 4);
    if (n <= 8) {
        *lo = ws_unmask_2_to_8_after_header(data, n, k4);
        *hi = 0;
        return;
    }
    ws_unmask_9_to_15(data, n, k4, lo, hi);
}
#endif

/*
 * ws_unmask_whole for the payload of a masked frame with a 7-bit length
 * (n <= WS_UNMASK_SMALL_MAX), found whole right after its 6-byte header and
 * key: returns the same "seen" word. It uses that header so as to have no
 * byte loop and at most one branch per size class: a 2-8 byte payload is
 * one 8-byte word that ends where the payload does and starts inside the
 * header, whose bytes it XORs with 0 and stores back unchanged; 9-15 bytes
 * are two overlapping words, 16 and more vectors with an overlapping last
 * one. The caller must own the 6 bytes before data (they are read and
 * rewritten with their own values). The word tricks assume a
 * little-endian word; elsewhere this is ws_unmask_whole.
 */
static inline uint64_t ws_unmask_after_header(uint8_t *data, size_t n, const uint8_t key[4])
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n < 2) {
        if (n == 0)
            return 0;
        data[0] = (uint8_t)(data[0] ^ key[0]);
        return data[0];
    }
    uint32_t k4;
    memcpy(&k4, key, 4);
    if (n <= 8)
        return ws_unmask_2_to_8_after_header(data, n, k4);
    if (n < 16) {
        uint64_t a, b;
        ws_unmask_9_to_15(data, n, k4, &a, &b);
        return a | b;
    }
    return ws_unmask_from_16(data, n, k4,
                             (uint32_t)ws_rotr64((uint64_t)k4 << 32 | k4, (unsigned)(n & 3) * 8));
#else
    return ws_unmask_whole(data, n, key);
#endif
}

#endif
