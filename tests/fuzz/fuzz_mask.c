/*
 * fuzz_mask - every masking variant this CPU can run, and the stream
 * parser's unmasking helpers, against a byte-at-a-time reference:
 *   - ws_mask_portable / _sse2 / _avx2 / _avx512 / _neon, ws_mask and
 *     ws_mask_copy, copying and in place, at any start alignment, give the
 *     reference's bytes and next key offset, and write nothing outside
 *     [dst, dst + len) (buffers are allocated to the exact end, so ASan
 *     sees a read or write past it; the bytes before dst are checked);
 *   - ws_unmask_piece over the payload cut into pieces (sizes drawn from
 *     the input, 1460-byte reads among them) equals unmasking it whole;
 *   - ws_unmask_whole and, for 7-bit lengths after a 6-byte header,
 *     ws_unmask_after_header give the same bytes, leave the header as it
 *     was, and report a high bit whenever an unmasked byte has one.
 * Input: 4 key bytes, a byte of key offset (bits 0-1) and alignment
 * (bits 2-7), a byte seeding the piece sizes, then the payload.
 */
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "wsframe.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

typedef size_t (*mask_fn)(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                          size_t key_offset);

static size_t public_copy(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                          size_t key_offset)
{
    return ws_mask_copy(dst, src, len, key, key_offset);
}

static size_t public_in_place(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                              size_t key_offset)
{
    if (dst != src)
        memcpy(dst, src, len);
    return ws_mask(dst, len, key, key_offset);
}

static size_t variants(mask_fn *out)
{
    size_t n = 0;
    out[n++] = ws_mask_portable;
#ifdef WS_HAVE_SSE2
    out[n++] = ws_mask_sse2;
#endif
#ifdef WS_HAVE_AVX2
    if (ws_cpu_has_avx2())
        out[n++] = ws_mask_avx2;
#endif
#ifdef WS_HAVE_AVX512
    if (ws_cpu_has_avx512())
        out[n++] = ws_mask_avx512;
#endif
#ifdef WS_HAVE_NEON
    out[n++] = ws_mask_neon;
#endif
    out[n++] = public_copy;
    out[n++] = public_in_place;
    return n;
}

static uint64_t high_bits_of(const uint8_t *p, size_t n)
{
    uint8_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= p[i];
    return any & 0x80u;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 6)
        return 0;
    const uint8_t *key = data;
    const size_t key_offset = data[4] & 3u;
    const size_t align = data[4] >> 2; /* 0..63 */
    uint32_t rng = 0x9e3779b9u ^ data[5];
    const uint8_t *payload = data + 6;
    const size_t len = size - 6;

    uint8_t *want = malloc(len + 1);
    CHECK(want != NULL);
    for (size_t i = 0; i < len; i++)
        want[i] = (uint8_t)(payload[i] ^ key[(key_offset + i) & 3]);
    const size_t want_next = (key_offset + len) & 3;

    /* The source and the destination each end where the buffer does. */
    uint8_t *src = malloc(len ? len : 1), *dst_buf = malloc(align + len ? align + len : 1);
    CHECK(src != NULL && dst_buf != NULL);
    memcpy(src, payload, len);
    uint8_t *dst = dst_buf + align;
    mask_fn fns[8];
    const size_t nf = variants(fns);
    for (size_t f = 0; f < nf; f++) {
        memset(dst_buf, 0xA5, align);
        CHECK(fns[f](dst, src, len, key, key_offset) == want_next);
        CHECK(memcmp(dst, want, len) == 0);
        for (size_t i = 0; i < align; i++)
            CHECK(dst_buf[i] == 0xA5);
        CHECK(memcmp(src, payload, len) == 0);
        /* In place. */
        memcpy(dst, payload, len);
        CHECK(fns[f](dst, dst, len, key, key_offset) == want_next);
        CHECK(memcmp(dst, want, len) == 0);
        for (size_t i = 0; i < align; i++)
            CHECK(dst_buf[i] == 0xA5);
    }

    /* ws_unmask_piece, piece by piece, as the stream parser calls it. */
    memcpy(dst, payload, len);
    size_t pos = 0, offset = key_offset;
    while (pos < len) {
        rng = rng * 1103515245u + 12345u;
        size_t piece;
        switch ((rng >> 16) & 3u) {
        case 0:
            piece = 1460;
            break;
        case 1:
            piece = (rng >> 18) % 64;
            break;
        default:
            piece = (rng >> 18) % 2048;
            break;
        }
        if (piece > len - pos)
            piece = len - pos;
        CHECK(ws_unmask_piece(dst + pos, piece, key, offset) == piece);
        offset = (offset + piece) & 3;
        pos += piece;
    }
    CHECK(memcmp(dst, want, len) == 0);

    /* The whole-payload helpers start at key offset 0. */
    for (size_t i = 0; i < len; i++)
        want[i] = (uint8_t)(payload[i] ^ key[i & 3]);
    memcpy(dst, payload, len);
    const uint64_t seen = ws_unmask_whole(dst, len, key);
    CHECK(memcmp(dst, want, len) == 0);
    if (high_bits_of(want, len))
        CHECK((seen & WS_HIGH_BITS) != 0);
    else if (len < WS_UNMASK_INLINE_MAX)
        CHECK((seen & WS_HIGH_BITS) == 0);
    if (len <= WS_UNMASK_SMALL_MAX) {
        /* Exactly header and payload: nothing after the payload to read. */
        uint8_t *frame = malloc(6 + len);
        CHECK(frame != NULL);
        frame[0] = 0x82;
        frame[1] = (uint8_t)(0x80u | len);
        memcpy(frame + 2, key, 4);
        memcpy(frame + 6, payload, len);
        const uint64_t small_seen = ws_unmask_after_header(frame + 6, len, frame + 2);
        CHECK(frame[0] == 0x82 && frame[1] == (uint8_t)(0x80u | len));
        CHECK(memcmp(frame + 2, key, 4) == 0);
        CHECK(memcmp(frame + 6, want, len) == 0);
        CHECK(((small_seen & WS_HIGH_BITS) != 0) == (high_bits_of(want, len) != 0));
        free(frame);
    }
    free(src);
    free(dst_buf);
    free(want);
    return 0;
}
