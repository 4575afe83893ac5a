/*
 * mask.c - RFC 6455 section 5.3: payload bytes XOR a 4-byte key, byte i with
 * key[i % 4].
 *
 * Every implementation first rotates the key by key_offset and repeats it to
 * the width it works at (in registers, see ws_mask_rotated_key), so the body is a
 * plain load / XOR / store over whole words with no per-byte index
 * arithmetic; in the word, SSE2 and NEON paths only the last few bytes go
 * one at a time. Loads and stores are unaligned (memcpy or loadu/storeu);
 * only the AVX2 and AVX-512 paths run their body on 32- and 64-byte
 * boundaries of dst, where straddling stores were measured to halve the
 * speed (see ws_mask_avx2), and cover the rest with overlapping blocks.
 */
#include "mask.h"

#include <string.h>

#include "wsframe.h"

#if defined(WS_HAVE_SSE2) || defined(WS_HAVE_AVX2) || defined(WS_HAVE_AVX512)
#include <immintrin.h>
#endif
#ifdef WS_HAVE_NEON
#include <arm_neon.h>
#endif

/* Both halves are the same 4 bytes, so this is right for either byte order. */
static inline uint64_t repeat_key64(uint32_t k4) { return (uint64_t)k4 << 32 | k4; }

static inline size_t next_offset(size_t key_offset, size_t len)
{
    return (key_offset + (len & 3)) & 3;
}

/* The last len < 16 bytes (after a word or vector body), k8 holding the key
 * repeated from the phase of dst[0], which is key_offset: one 8-byte and
 * one 4-byte step, then bytes. */
static inline void mask_tail(uint8_t *dst, const uint8_t *src, size_t len, uint64_t k8,
                             const uint8_t key[4], size_t key_offset)
{
    size_t i = 0;
    if (len >= 8) {
        uint64_t a;
        memcpy(&a, src, 8);
        a ^= k8;
        memcpy(dst, &a, 8);
        i = 8;
    }
    if (len - i >= 4) {
        uint32_t a, k = (uint32_t)k8;
        memcpy(&a, src + i, 4);
        a ^= k;
        memcpy(dst + i, &a, 4);
        i += 4;
    }
    /* i is a multiple of 4: the phase is key_offset again. */
    for (size_t j = key_offset; i < len; i++, j++)
        dst[i] = (uint8_t)(src[i] ^ key[j & 3]);
}

size_t ws_mask_portable(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                        size_t key_offset)
{
    const uint64_t k = repeat_key64(ws_mask_rotated_key(key, key_offset));
    size_t i = 0;
    if (len >= 16) {
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
    /* i is a multiple of 8: k is in phase. */
    mask_tail(dst + i, src + i, len - i, k, key, key_offset);
    return next_offset(key_offset, len);
}

#ifdef WS_HAVE_SSE2
size_t ws_mask_sse2(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                    size_t key_offset)
{
    const uint32_t k4 = ws_mask_rotated_key(key, key_offset);
    const __m128i k = _mm_set1_epi32((int)k4);
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
    /* i is a multiple of 16: the key is in phase. */
    mask_tail(dst + i, src + i, len - i, repeat_key64(k4), key, key_offset);
    return next_offset(key_offset, len);
}
#endif

#ifdef WS_HAVE_AVX2
#define LOAD32(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define STORE32(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))

/*
 * Without a byte-at-a-time head or tail. Unaligned 32-byte stores that
 * straddle cache lines halve the speed (Zen 4, 64 KiB in place: 1072 ns
 * at dst % 32 == 14, 701 ns aligned), and a payload starts after a 6-14
 * byte header, so the body runs on 32-byte boundaries of dst. The bytes
 * before the first boundary are covered by one unaligned block at the very
 * start, and what the body's 128-byte rounds leave at the end by the last
 * 128 bytes, four blocks; these overlap the body: they are loaded before
 * anything is stored and stored after the body, so a byte written twice
 * gets the same value, also in place. So a call has one loop and no other
 * branch: a payload cut into 1460-byte reads starts each piece at another
 * alignment, and the scalar head and tail this once had, then a loop of
 * 0-3 single blocks, cost more per read than the rounds' own exit (64 KiB
 * in 1460-byte pieces: 1202 -> 771 ns for the first). Each block's key is
 * the repeated key rotated to its phase, one rotate in registers (see
 * ws_mask_rotated_key).
 */
WS_TARGET_AVX2 static inline void mask_avx2_body(uint8_t *dst, const uint8_t *src, size_t len,
                                                 const uint8_t key[4], size_t key_offset)
{
    uint32_t k4;
    memcpy(&k4, key, 4);
    const uint64_t k8 = repeat_key64(k4);
#define KEY_AT(i) _mm256_set1_epi64x((long long)ws_rotr64(k8, (unsigned)((key_offset + (i)) & 3) * 8))
    const size_t head = (size_t)(-(uintptr_t)dst & 31);
    const size_t tail = len - 128;
    const __m256i k_tail = KEY_AT(tail);
    const __m256i first = _mm256_xor_si256(LOAD32(src), KEY_AT(0));
    const __m256i t0 = _mm256_xor_si256(LOAD32(src + tail), k_tail);
    const __m256i t1 = _mm256_xor_si256(LOAD32(src + tail + 32), k_tail);
    const __m256i t2 = _mm256_xor_si256(LOAD32(src + tail + 64), k_tail);
    const __m256i t3 = _mm256_xor_si256(LOAD32(src + tail + 96), k_tail);
    const __m256i k = KEY_AT(head);
#undef KEY_AT
    for (size_t i = head; i + 128 <= len; i += 128) {
        __m256i a = LOAD32(src + i);
        __m256i b = LOAD32(src + i + 32);
        __m256i c = LOAD32(src + i + 64);
        __m256i d = LOAD32(src + i + 96);
        STORE32(dst + i, _mm256_xor_si256(a, k));
        STORE32(dst + i + 32, _mm256_xor_si256(b, k));
        STORE32(dst + i + 64, _mm256_xor_si256(c, k));
        STORE32(dst + i + 96, _mm256_xor_si256(d, k));
    }
    STORE32(dst, first);
    STORE32(dst + tail, t0);
    STORE32(dst + tail + 32, t1);
    STORE32(dst + tail + 64, t2);
    STORE32(dst + tail + 96, t3);
}

WS_TARGET_AVX2 size_t ws_mask_avx2(uint8_t *dst, const uint8_t *src, size_t len,
                                   const uint8_t key[4], size_t key_offset)
{
    if (len < 128)
        return ws_mask_sse2(dst, src, len, key, key_offset);
    mask_avx2_body(dst, src, len, key, key_offset);
    return next_offset(key_offset, len);
}

WS_TARGET_AVX2 static size_t unmask_piece_avx2(uint8_t *data, size_t len, const uint8_t key[4],
                                               size_t key_offset)
{
    mask_avx2_body(data, data, len, key, key_offset);
    return len;
}
#endif

#ifdef WS_HAVE_AVX512
/*
 * 64-byte blocks, laid out as in the AVX2 path: the body's stores are on
 * 64-byte boundaries of dst (a 64-byte store that is not straddles two
 * cache lines every time), in rounds of two blocks and at most one single
 * block after them, and the bytes before the first boundary and after the
 * last are covered by one whole block at the very start and one at the
 * very end, loaded before anything is stored and stored after the body,
 * so a byte written twice gets the same value, also in place.
 * Masked loads and stores for that head and tail (no overlap, nothing
 * outside the payload) measured slower on Zen 5: 1 MiB in 1460-byte
 * pieces, unmasked piece after piece, took 19 ns per piece with a masked
 * head and tail and 14 ns like this (AVX2: 16 ns), as the masked store
 * that ends one piece and the masked load that starts the next share a
 * 64-byte line, and the load waits for the store. Only a call below one
 * block has nothing to overlap: one masked load and store, which neither
 * touch nor fault on the masked-off bytes.
 */
#define LOAD64(p) _mm512_loadu_si512((const void *)(p))
#define STORE64(p, v) _mm512_storeu_si512((void *)(p), (v))

/* len >= 64. */
WS_TARGET_AVX512 static inline void mask_avx512_body(uint8_t *dst, const uint8_t *src, size_t len,
                                                     const uint8_t key[4], size_t key_offset)
{
    const size_t head = (size_t)(-(uintptr_t)dst & 63);
    const __m512i first =
        _mm512_xor_si512(LOAD64(src), _mm512_set1_epi32((int)ws_mask_rotated_key(key, key_offset)));
    const __m512i last = _mm512_xor_si512(
        LOAD64(src + len - 64), _mm512_set1_epi32((int)ws_mask_rotated_key(key, key_offset + len)));
    const __m512i k = _mm512_set1_epi32((int)ws_mask_rotated_key(key, key_offset + head));
    size_t i = head;
    for (; len - i >= 128; i += 128) {
        __m512i a = LOAD64(src + i);
        __m512i b = LOAD64(src + i + 64);
        STORE64(dst + i, _mm512_xor_si512(a, k));
        STORE64(dst + i + 64, _mm512_xor_si512(b, k));
    }
    if (len - i >= 64)
        STORE64(dst + i, _mm512_xor_si512(LOAD64(src + i), k));
    STORE64(dst, first);
    STORE64(dst + len - 64, last);
}

WS_TARGET_AVX512 size_t ws_mask_avx512(uint8_t *dst, const uint8_t *src, size_t len,
                                       const uint8_t key[4], size_t key_offset)
{
    if (len >= 64) {
        mask_avx512_body(dst, src, len, key, key_offset);
    } else {
        const __mmask64 in_payload = (__mmask64)_bzhi_u64(~0ull, (unsigned)len);
        const __m512i w = _mm512_maskz_loadu_epi8(in_payload, src);
        _mm512_mask_storeu_epi8(
            dst, in_payload,
            _mm512_xor_si512(w, _mm512_set1_epi32((int)ws_mask_rotated_key(key, key_offset))));
    }
    return next_offset(key_offset, len);
}

/* len >= AVX512_MIN_LEN. */
WS_TARGET_AVX512 static size_t unmask_piece_avx512(uint8_t *data, size_t len, const uint8_t key[4],
                                                   size_t key_offset)
{
    mask_avx512_body(data, data, len, key, key_offset);
    return len;
}
#endif

#ifdef WS_HAVE_NEON
size_t ws_mask_neon(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                    size_t key_offset)
{
    const uint32_t k4 = ws_mask_rotated_key(key, key_offset);
    const uint8x16_t k = vreinterpretq_u8_u32(vdupq_n_u32(k4));
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
    mask_tail(dst + i, src + i, len - i, repeat_key64(k4), key, key_offset);
    return next_offset(key_offset, len);
}
#endif

/* Below this size AVX2 does not pay for the feature check and the wider
 * tail; SSE2 (always there on x86-64) or the word loop does the job. */
#define AVX2_MIN_LEN 256
/* AVX-512 from the same size. Below it, on buffers masked once each, it
 * was faster than SSE2 from 64 bytes on (Zen 5: 128 bytes 3.4 ns, SSE2
 * 4.7), but masking the same bytes again right away waits for the
 * overlapping first and last 64-byte stores (125 bytes: 6.2 ns, SSE2 4.2),
 * and below 64 bytes its masked load and store took 5 ns where SSE2 takes
 * 3-4. From 256 bytes it measured no slower than AVX2 either way. */
#define AVX512_MIN_LEN 256
#define VECTOR_MIN_LEN 16

/* Shared by both entry points, so that ws_mask does not call ws_mask_copy
 * (an exported function, which the compiler may not inline into it). */
static inline size_t mask_dispatch(uint8_t *dst, const uint8_t *src, size_t len,
                                   const uint8_t key[4], size_t key_offset)
{
    if (len == 0)
        return key_offset & 3;
#ifdef WS_HAVE_AVX512
    if (len >= AVX512_MIN_LEN && ws_cpu_has_avx512())
        return ws_mask_avx512(dst, src, len, key, key_offset);
#endif
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

WS_API size_t ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                           size_t key_offset)
{
    return mask_dispatch(dst, src, len, key, key_offset);
}

WS_API size_t ws_mask(uint8_t *data, size_t len, const uint8_t key[4], size_t key_offset)
{
    return mask_dispatch(data, data, len, key, key_offset);
}

/* Apart from ws_unmask_piece so that its AVX2 path saves no register. */
static __attribute__((noinline)) size_t unmask_piece_other(uint8_t *data, size_t len,
                                                           const uint8_t key[4], size_t key_offset)
{
    (void)mask_dispatch(data, data, len, key, key_offset);
    return len;
}

#ifdef WS_HAVE_AVX512
/* len < AVX512_MIN_LEN: whole 64-byte blocks, then one masked block for
 * the rest (64 is a multiple of the key's 4 bytes, so one key register
 * serves every block). The pieces this sees are the ends of frames that
 * reads cut, with a new length and key phase each time: the SSE2 and word
 * loops' size tests mispredicted there, and 125-byte frames in 1460-byte
 * reads went 13.6 -> 12.2 ns per frame. */
WS_TARGET_AVX512 static __attribute__((noinline)) size_t
unmask_small_avx512(uint8_t *data, size_t len, const uint8_t key[4], size_t key_offset)
{
    const __m512i k = _mm512_set1_epi32((int)ws_mask_rotated_key(key, key_offset));
    size_t i = 0;
    for (; i + 64 <= len; i += 64)
        _mm512_storeu_si512((void *)(data + i),
                            _mm512_xor_si512(_mm512_loadu_si512((const void *)(data + i)), k));
    const __mmask64 m = _bzhi_u64(~0ull, (unsigned)(len - i));
    _mm512_mask_storeu_epi8(data + i, m, _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, data + i), k));
    return len;
}
#endif

size_t ws_unmask_piece(uint8_t *data, size_t len, const uint8_t key[4], size_t key_offset)
{
#ifdef WS_HAVE_AVX512
    if (len >= AVX512_MIN_LEN && ws_cpu_has_avx512())
        return unmask_piece_avx512(data, len, key, key_offset);
#endif
#ifdef WS_HAVE_AVX512
    if (ws_cpu_has_avx512())
        return unmask_small_avx512(data, len, key, key_offset);
#endif
#ifdef WS_HAVE_AVX2
    if (len >= AVX2_MIN_LEN && ws_cpu_has_avx2())
        return unmask_piece_avx2(data, len, key, key_offset);
#endif
    return unmask_piece_other(data, len, key, key_offset);
}
