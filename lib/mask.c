/*
 * mask.c - RFC 6455 section 5.3: payload bytes XOR a 4-byte key, byte i with
 * key[i % 4].
 *
 * Every implementation first rotates the key by key_offset and repeats it to
 * the width it works at, so the body is a plain load / XOR / store over whole
 * words with no per-byte index arithmetic; only the last few bytes go one at
 * a time. Loads and stores are unaligned (memcpy or loadu/storeu): aligning
 * the start would mean rotating the key again for no measurable gain on any
 * CPU made this decade.
 */
#include "mask.h"

#include <string.h>

#include "wsframe.h"

#if defined(WS_HAVE_SSE2) || defined(WS_HAVE_AVX2)
#include <immintrin.h>
#endif
#ifdef WS_HAVE_NEON
#include <arm_neon.h>
#endif

/* Fill out[0..n) with the key repeated, starting key_offset bytes into it.
 * n is a multiple of 4. */
static inline void repeat_key(uint8_t *out, size_t n, const uint8_t key[4], size_t key_offset)
{
    const uint8_t rotated[4] = {key[key_offset & 3], key[(key_offset + 1) & 3],
                                key[(key_offset + 2) & 3], key[(key_offset + 3) & 3]};
    for (size_t i = 0; i < n; i += 4)
        memcpy(out + i, rotated, 4);
}

static inline size_t next_offset(size_t key_offset, size_t len)
{
    return (key_offset + (len & 3)) & 3;
}

/* The last len < 8 bytes (or fewer than 16 after a vector body), k8 holding
 * the key repeated from the phase of dst[0]: a 4-byte step, then bytes. */
static inline void mask_tail(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t k8[8])
{
    size_t i = 0;
    if (len >= 8) {
        uint64_t a, k;
        memcpy(&a, src, 8);
        memcpy(&k, k8, 8);
        a ^= k;
        memcpy(dst, &a, 8);
        i = 8;
    }
    if (len - i >= 4) {
        uint32_t a, k;
        memcpy(&a, src + i, 4);
        memcpy(&k, k8, 4);
        a ^= k;
        memcpy(dst + i, &a, 4);
        i += 4;
    }
    /* i is a multiple of 4: the phase is that of k8[0] again. */
    for (size_t j = 0; i < len; i++, j++)
        dst[i] = (uint8_t)(src[i] ^ k8[j]);
}

size_t ws_mask_portable(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                        size_t key_offset)
{
    uint8_t k8[8];
    repeat_key(k8, sizeof k8, key, key_offset);
    size_t i = 0;
    if (len >= 16) {
        uint64_t k;
        memcpy(&k, k8, 8);
        /* Four words per round: all loads before the stores, so dst == src
         * is fine and the compiler need not assume aliasing between them. */
        for (; i + 32 <= len; i += 32) {
            uint64_t a, b, c, d;
            memcpy(&a, src + i, 8);
            memcpy(&b, src + i + 8, 8);
            memcpy(&c, src + i + 16, 8);
            memcpy(&d, src + i + 24, 8);
            a ^= k;
            b ^= k;
            c ^= k;
            d ^= k;
            memcpy(dst + i, &a, 8);
            memcpy(dst + i + 8, &b, 8);
            memcpy(dst + i + 16, &c, 8);
            memcpy(dst + i + 24, &d, 8);
        }
        for (; i + 8 <= len; i += 8) {
            uint64_t a;
            memcpy(&a, src + i, 8);
            a ^= k;
            memcpy(dst + i, &a, 8);
        }
    }
    /* i is a multiple of 8: k8 is in phase. */
    mask_tail(dst + i, src + i, len - i, k8);
    return next_offset(key_offset, len);
}

#ifdef WS_HAVE_SSE2
size_t ws_mask_sse2(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                    size_t key_offset)
{
    uint8_t k16[16];
    repeat_key(k16, sizeof k16, key, key_offset);
    const __m128i k = _mm_loadu_si128((const __m128i *)(const void *)k16);
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(const void *)(src + i + 48));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_xor_si128(a, k));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 16), _mm_xor_si128(b, k));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 32), _mm_xor_si128(c, k));
        _mm_storeu_si128((__m128i *)(void *)(dst + i + 48), _mm_xor_si128(d, k));
    }
    for (; i + 16 <= len; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_xor_si128(a, k));
    }
    /* i is a multiple of 16: k16 is in phase. */
    mask_tail(dst + i, src + i, len - i, k16);
    return next_offset(key_offset, len);
}
#endif

#ifdef WS_HAVE_AVX2
WS_TARGET_AVX2 size_t ws_mask_avx2(uint8_t *dst, const uint8_t *src, size_t len,
                                   const uint8_t key[4], size_t key_offset)
{
    uint8_t k32[32];
    repeat_key(k32, sizeof k32, key, key_offset);
    const __m256i k = _mm256_loadu_si256((const __m256i *)(const void *)k32);
    size_t i = 0;
    for (; i + 128 <= len; i += 128) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(src + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(src + i + 32));
        __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(src + i + 64));
        __m256i d = _mm256_loadu_si256((const __m256i *)(const void *)(src + i + 96));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm256_xor_si256(a, k));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i + 32), _mm256_xor_si256(b, k));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i + 64), _mm256_xor_si256(c, k));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i + 96), _mm256_xor_si256(d, k));
    }
    for (; i + 32 <= len; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(src + i));
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm256_xor_si256(a, k));
    }
    /* i is a multiple of 32 here: the key phase is key_offset again. */
    if (i + 16 <= len) {
        const __m128i k128 = _mm256_castsi256_si128(k);
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_xor_si128(a, k128));
        i += 16;
    }
    mask_tail(dst + i, src + i, len - i, k32);
    return next_offset(key_offset, len);
}
#endif

#ifdef WS_HAVE_NEON
size_t ws_mask_neon(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                    size_t key_offset)
{
    uint8_t k16[16];
    repeat_key(k16, sizeof k16, key, key_offset);
    const uint8x16_t k = vld1q_u8(k16);
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {
        uint8x16_t a = vld1q_u8(src + i);
        uint8x16_t b = vld1q_u8(src + i + 16);
        uint8x16_t c = vld1q_u8(src + i + 32);
        uint8x16_t d = vld1q_u8(src + i + 48);
        vst1q_u8(dst + i, veorq_u8(a, k));
        vst1q_u8(dst + i + 16, veorq_u8(b, k));
        vst1q_u8(dst + i + 32, veorq_u8(c, k));
        vst1q_u8(dst + i + 48, veorq_u8(d, k));
    }
    for (; i + 16 <= len; i += 16)
        vst1q_u8(dst + i, veorq_u8(vld1q_u8(src + i), k));
    mask_tail(dst + i, src + i, len - i, k16);
    return next_offset(key_offset, len);
}
#endif

/* Below this size AVX2 does not pay for the feature check and the wider
 * tail; SSE2 (always there on x86-64) or the word loop does the job. */
#define AVX2_MIN_LEN 256
#define VECTOR_MIN_LEN 16

WS_API size_t ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                           size_t key_offset)
{
    if (len == 0)
        return key_offset & 3;
#ifdef WS_HAVE_AVX2
    if (len >= AVX2_MIN_LEN && ws_cpu_has_avx2())
        return ws_mask_avx2(dst, src, len, key, key_offset);
#endif
#if defined(WS_HAVE_SSE2)
    if (len >= VECTOR_MIN_LEN)
        return ws_mask_sse2(dst, src, len, key, key_offset);
#elif defined(WS_HAVE_NEON)
    if (len >= VECTOR_MIN_LEN)
        return ws_mask_neon(dst, src, len, key, key_offset);
#endif
    return ws_mask_portable(dst, src, len, key, key_offset);
}

WS_API size_t ws_mask(uint8_t *data, size_t len, const uint8_t key[4], size_t key_offset)
{
    return ws_mask_copy(data, data, len, key, key_offset);
}
