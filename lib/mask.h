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
#ifdef WS_HAVE_NEON
size_t ws_mask_neon(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                    size_t key_offset);
#endif

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
    const unsigned bits = (unsigned)(key_offset & 3) * 8;
    if (bits == 0)
        return k;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return k << bits | k >> (32 - bits);
#else
    return k >> bits | k << (32 - bits);
#endif
}

/* Payloads below this are unmasked inline by ws_unmask_whole; from here on
 * the call and the dispatch of ws_mask are paid back by its wider loops. */
#define WS_UNMASK_INLINE_MAX 128

#define WS_HIGH_BITS 0x8080808080808080ull

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
    uint32_t k4;
    memcpy(&k4, key, 4);
    /* Both halves are the key in memory order, whatever the endianness. */
    const uint64_t k8 = (uint64_t)k4 << 32 | k4;
    uint64_t seen = 0;
    size_t i = 0;
#ifdef WS_HAVE_SSE2
    if (n >= 16) {
        const __m128i k16 = _mm_set1_epi32((int)k4);
        __m128i any = _mm_setzero_si128();
        for (; i + 16 <= n; i += 16) {
            __m128i w = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), k16);
            _mm_storeu_si128((__m128i *)(void *)(p + i), w);
            any = _mm_or_si128(any, w);
        }
        seen = (uint64_t)(_mm_movemask_epi8(any) != 0) << 7;
    }
#endif
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        w ^= k8;
        memcpy(p + i, &w, 8);
        seen |= w;
    }
    /* i is a multiple of 8, so the key is in phase again: at most one step
     * of each width, no loop. */
    if (n - i >= 4) {
        uint32_t w;
        memcpy(&w, p + i, 4);
        w ^= k4;
        memcpy(p + i, &w, 4);
        seen |= w;
        i += 4;
    }
    if (n - i >= 2) {
        uint16_t w, k2;
        memcpy(&w, p + i, 2);
        memcpy(&k2, key, 2);
        w = (uint16_t)(w ^ k2);
        memcpy(p + i, &w, 2);
        seen |= w;
        i += 2;
    }
    if (i < n) {
        p[i] = (uint8_t)(p[i] ^ key[i & 3]);
        seen |= p[i];
    }
    return seen;
}

#endif
