/*
 * utf8.h - the implementations behind ws_utf8_feed. Internal; not installed.
 *
 * All variants share one DFA and differ only in how they skip a prefix
 * known valid (runs of ASCII, or whole blocks of any text); they are
 * exposed so the tests can hold each one against the others and against
 * a plain reference, whichever the dispatcher would pick here.
 * Each has the contract of ws_utf8_feed.
 */
#ifndef WS_UTF8_H
#define WS_UTF8_H

#include "cpu.h"
#include "wsframe.h"

#ifdef WS_HAVE_AVX2
#include <immintrin.h>
#endif

/* 8/16 bytes at a time in plain C; always compiled. */
ws_status ws_utf8_feed_portable(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);

#ifdef WS_HAVE_SSE2
ws_status ws_utf8_feed_sse2(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);
#endif
#ifdef WS_HAVE_AVX2
/* Only call when ws_cpu_has_avx2(). */
ws_status ws_utf8_feed_avx2(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);
#endif
#ifdef WS_HAVE_AVX512
/* Only call when ws_cpu_has_avx512(). */
ws_status ws_utf8_feed_avx512(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);
#endif
/*
 * Unmask data in place with key from *key_offset (as ws_mask, *key_offset
 * becomes the next offset) and validate it as ws_utf8_feed does, in one
 * pass where that is faster. On failure the bytes after the failing one may
 * be left masked; *error_at (if not NULL) is where it failed.
 */
ws_status ws_utf8_unmask_feed(ws_utf8 *v, uint8_t *data, size_t len, const uint8_t key[4],
                              size_t *key_offset, size_t *error_at);
#ifdef WS_HAVE_AVX2
/* Only call when ws_cpu_has_avx2(); unmasks all of data, even on failure. */
ws_status ws_utf8_unmask_feed_avx2(ws_utf8 *v, uint8_t *data, size_t len, const uint8_t key[4],
                                   size_t *key_offset, size_t *error_at);
#endif
#ifdef WS_HAVE_AVX512
/* Only call when ws_cpu_has_avx512(); unmasks all of data, even on failure. */
ws_status ws_utf8_unmask_feed_avx512(ws_utf8 *v, uint8_t *data, size_t len, const uint8_t key[4],
                                     size_t *key_offset, size_t *error_at);
#endif

/* The one-shot AVX2 checks' range (ws_utf8_whole_valid_avx2,
 * ws_utf8_unmask_whole_avx2): from 4 bytes, the smallest their loads
 * take; up to 256, above which the streaming path's skipping of ASCII runs
 * costs less than a block check of everything. */
#define WS_UTF8_WHOLE_AVX2_MIN_LEN 4
#define WS_UTF8_WHOLE_AVX2_MAX_LEN 256

/* The one-shot AVX-512 checks' range: any length up to 256 (masked loads
 * need no minimum), the same upper bound as AVX2's for the same reason. */
#define WS_UTF8_WHOLE_AVX512_MAX_LEN 256

/* The paths behind the dispatchers without the one-shot AVX2 checks, as
 * taken without AVX2, short of 4 bytes or past 256: the DFA after the fast
 * paths of ws_utf8_feed; and for ws_utf8_unmask_feed, ws_mask then
 * ws_utf8_feed over 4 KiB blocks. */
ws_status ws_utf8_validate_stepwise(const uint8_t *data, size_t len);
ws_status ws_utf8_unmask_validate_stepwise(uint8_t *data, size_t len, const uint8_t key[4]);
ws_status ws_utf8_unmask_feed_two_pass(ws_utf8 *v, uint8_t *data, size_t len, const uint8_t key[4],
                                       size_t *key_offset, size_t *error_at);
#ifdef WS_HAVE_AVX2
/* Only call when ws_cpu_has_avx2(), with len >= 4: ws_utf8_validate, one
 * pass with no state (WS_OK for a whole valid text, not cut at the end). */
ws_status ws_utf8_whole_valid_avx2(const uint8_t *data, size_t len);
/* Only call when ws_cpu_has_avx2(), with len >= 4: ws_utf8_unmask_validate
 * in one pass from registers; unmasks all of data, even on failure. */
ws_status ws_utf8_unmask_whole_avx2(uint8_t *data, size_t len, const uint8_t key[4]);
/* Only call when ws_cpu_has_avx2(): a whole text already in registers, as
 * the stream parser's small frames leave it (2 <= len < 16 as two words,
 * 16 <= len < 32 as its first and last 16 bytes). */
ws_status ws_utf8_valid_2_to_15_words_avx2(uint64_t lo, uint64_t hi, size_t len);
ws_status ws_utf8_valid_16_to_31_regs_avx2(__m128i first, __m128i last, size_t len);
#endif
#ifdef WS_HAVE_AVX512
/* Only call when ws_cpu_has_avx512(), with len <=
 * WS_UTF8_WHOLE_AVX512_MAX_LEN: as the AVX2 ones, from 64-byte blocks.
 * ws_utf8_validate keeps the AVX2 check: a text it gets was mostly unmasked
 * just before, and the AVX2 check's 16-byte loads are forwarded from the
 * unmasking's stores while a 64-byte load waits for them (16 bytes of mixed
 * text through ws_mask then ws_utf8_validate: 10 ns with AVX2, 20 with
 * this one). */
ws_status ws_utf8_whole_valid_avx512(const uint8_t *data, size_t len);
ws_status ws_utf8_unmask_whole_avx512(uint8_t *data, size_t len, const uint8_t key[4]);
#endif

/*
 * A whole text, still masked with key from key offset 0: unmask it in place
 * and return WS_OK when it is valid UTF-8 not cut at the end, as ws_mask
 * then ws_utf8_validate would. With AVX2 in one pass, so the check does not
 * reload bytes whose stores are still in flight. On failure the bytes after
 * the failing one may be left masked. Inline, so that a caller's call goes
 * straight to the variant.
 */
static inline ws_status ws_utf8_unmask_validate(uint8_t *data, size_t len, const uint8_t key[4])
{
#ifdef WS_HAVE_AVX512
    if (len <= WS_UTF8_WHOLE_AVX512_MAX_LEN && ws_cpu_has_avx512())
        return ws_utf8_unmask_whole_avx512(data, len, key);
#endif
#ifdef WS_HAVE_AVX2
    if (len >= WS_UTF8_WHOLE_AVX2_MIN_LEN && len <= WS_UTF8_WHOLE_AVX2_MAX_LEN &&
        ws_cpu_has_avx2())
        return ws_utf8_unmask_whole_avx2(data, len, key);
#endif
    return ws_utf8_unmask_validate_stepwise(data, len, key);
}

#ifdef WS_HAVE_NEON
ws_status ws_utf8_feed_neon(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);
#endif

#endif
