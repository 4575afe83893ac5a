/*
 * frame.c - RFC 6455 section 5.2: the base framing protocol, one header at a
 * time. Decoding never looks at the payload; the stream parser (stream.c)
 * decides what to do with it.
 *
 *    0                   1                   2                   3
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *   |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *   |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *   |     Extended payload length continued, if payload len == 127  |
 *   + - - - - - - - - - - - - - - - +-------------------------------+
 *   |                               |Masking-key, if MASK set to 1  |
 *   +-------------------------------+-------------------------------+
 */
#include <string.h>

#include "frame.h"
#include "mask.h"
#include "wsframe.h"

#ifdef WS_HAVE_AVX2
#include <immintrin.h>
#endif

#define FIN_BIT 0x80u
#define RSV_BITS 0x70u
#define OPCODE_BITS 0x0Fu
#define MASK_BIT 0x80u
#define LEN7_BITS 0x7Fu
#define LEN7_16BIT 126u
#define LEN7_64BIT 127u
#define LEN64_TOP_BIT 0x8000000000000000ull

static bool opcode_defined(unsigned op)
{
    return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

/* Extended length bytes that follow a 7-bit length field. */
static size_t extended_length_size(unsigned len7)
{
    return len7 == LEN7_64BIT ? 8 : len7 == LEN7_16BIT ? 2 : 0;
}

WS_API int ws_frame_parse(const uint8_t *buf, size_t len, ws_role role, unsigned rsv_allowed,
                          ws_frame *frame)
{
    if (frame == NULL || (buf == NULL && len > 0) ||
        (role != WS_ROLE_SERVER && role != WS_ROLE_CLIENT))
        return WS_E_INVALID_ARGUMENT;
    /* Two bytes at least; the second tells the rest. */
    frame->header_len = 2;
    if (len < 1)
        return WS_INCOMPLETE;

    /* Each check runs as soon as the bytes it needs are present, so a bad
     * frame is refused before its (possibly never coming) remainder. */
    const unsigned b0 = buf[0];
    if ((b0 & RSV_BITS & ~rsv_allowed) != 0)
        return WS_E_RSV_BITS;
    const unsigned opcode = b0 & OPCODE_BITS;
    if (!opcode_defined(opcode))
        return WS_E_RESERVED_OPCODE;
    const bool fin = (b0 & FIN_BIT) != 0;
    const bool control = WS_OPCODE_IS_CONTROL(opcode);
    if (control && !fin)
        return WS_E_CONTROL_FRAGMENTED;
    if (len < 2)
        return WS_INCOMPLETE;

    const unsigned b1 = buf[1];
    const unsigned len7 = b1 & LEN7_BITS;
    const bool masked = (b1 & MASK_BIT) != 0;
    if (control && len7 > WS_MAX_CONTROL_PAYLOAD)
        return WS_E_CONTROL_TOO_LONG;
    /* Section 5.1: clients always mask, servers never do. */
    if (role == WS_ROLE_SERVER && !masked)
        return WS_E_UNMASKED_FRAME;
    if (role == WS_ROLE_CLIENT && masked)
        return WS_E_MASKED_FRAME;

    const size_t ext = extended_length_size(len7);
    const size_t header_len = 2 + ext + (masked ? 4 : 0);
    frame->header_len = header_len;
    if (ext == 8 && len > 2 && (buf[2] & 0x80u) != 0)
        return WS_E_LENGTH_TOP_BIT;
    if (len < 2 + ext)
        return WS_INCOMPLETE;

    uint64_t payload_len = len7;
    if (ext > 0) {
        payload_len = 0;
        for (size_t i = 0; i < ext; i++)
            payload_len = payload_len << 8 | buf[2 + i];
        const uint64_t smallest = ext == 2 ? LEN7_16BIT : 65536u;
        if (payload_len < smallest)
            return WS_E_NONMINIMAL_LENGTH;
    }
    if (len < header_len)
        return WS_INCOMPLETE;

    frame->fin = fin;
    frame->rsv = (uint8_t)(b0 & RSV_BITS);
    frame->opcode = (uint8_t)opcode;
    frame->masked = masked;
    if (masked)
        memcpy(frame->mask, buf + 2 + ext, 4);
    else
        memset(frame->mask, 0, 4);
    frame->payload_len = payload_len;
    return (int)header_len;
}

/* ws_frame_header_size for this file's writers: the exported function is
 * a call from here, since a shared library's exported symbol may be
 * interposed. */
static inline size_t header_size(uint64_t payload_len, bool masked)
{
    size_t size = 2;
    if (payload_len > 0xFFFFu)
        size += 8;
    else if (payload_len >= LEN7_16BIT)
        size += 2;
    return size + (masked ? 4 : 0);
}

WS_API size_t ws_frame_header_size(uint64_t payload_len, bool masked)
{
    return header_size(payload_len, masked);
}

/* The first header byte of a frame whose fields are checked. */
static inline uint8_t first_header_byte(const ws_frame *frame)
{
    return (uint8_t)((frame->fin ? FIN_BIT : 0) | frame->rsv | frame->opcode);
}

/* The argument checks shared by both writers. */
static bool frame_writable(const ws_frame *frame)
{
    if (frame == NULL || !opcode_defined(frame->opcode) || (frame->rsv & ~RSV_BITS) != 0)
        return false;
    if ((frame->payload_len & LEN64_TOP_BIT) != 0)
        return false;
    if (WS_OPCODE_IS_CONTROL(frame->opcode) &&
        (!frame->fin || frame->payload_len > WS_MAX_CONTROL_PAYLOAD))
        return false;
    return true;
}

/* Writes the header; out has room for ws_frame_header_size() bytes. */
static size_t encode_header(const ws_frame *frame, uint8_t *out)
{
    const uint64_t n = frame->payload_len;
    size_t pos = 2;
    out[0] = (uint8_t)((frame->fin ? FIN_BIT : 0) | frame->rsv | frame->opcode);
    const uint8_t mask_bit = frame->masked ? (uint8_t)MASK_BIT : 0;
    if (n > 0xFFFFu) {
        out[1] = (uint8_t)(mask_bit | LEN7_64BIT);
        for (int i = 0; i < 8; i++)
            out[pos++] = (uint8_t)(n >> (56 - 8 * i));
    } else if (n >= LEN7_16BIT) {
        out[1] = (uint8_t)(mask_bit | LEN7_16BIT);
        out[pos++] = (uint8_t)(n >> 8);
        out[pos++] = (uint8_t)n;
    } else {
        out[1] = (uint8_t)(mask_bit | n);
    }
    if (frame->masked) {
        memcpy(out + pos, frame->mask, 4);
        pos += 4;
    }
    return pos;
}

WS_API int ws_frame_write_header(const ws_frame *frame, uint8_t *out, size_t cap)
{
    /* An unmasked data frame with a 7-bit length (a server's small
     * message) first. Each test is one of the general checks below;
     * whatever fails one goes through them. */
    if (frame != NULL && out != NULL && cap >= 2 && !frame->masked &&
        (frame->rsv & ~RSV_BITS) == 0 && frame->opcode <= WS_OP_BINARY &&
        frame->payload_len <= WS_MAX_CONTROL_PAYLOAD) {
        out[0] = first_header_byte(frame);
        out[1] = (uint8_t)frame->payload_len;
        return 2;
    }
    if (!frame_writable(frame) || (out == NULL && cap > 0))
        return WS_E_INVALID_ARGUMENT;
    if (cap < header_size(frame->payload_len, frame->masked))
        return WS_E_BUFFER_TOO_SMALL;
    return (int)encode_header(frame, out);
}

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Fixed-size moves: the compiler turns each into one load or store. */
#define MOVE(dst, src, T)                                                                          \
    do {                                                                                           \
        T move_;                                                                                   \
        memcpy(&move_, (src), sizeof move_);                                                       \
        memcpy((dst), &move_, sizeof move_);                                                       \
    } while (0)
#define XOR_MOVE(dst, src, keyp, T)                                                                \
    do {                                                                                           \
        T move_, key_;                                                                             \
        memcpy(&move_, (src), sizeof move_);                                                       \
        memcpy(&key_, (keyp), sizeof key_);                                                        \
        move_ ^= key_;                                                                             \
        memcpy((dst), &move_, sizeof move_);                                                       \
    } while (0)

typedef struct bytes16 {
    uint64_t lo, hi;
} bytes16;

#ifdef WS_HAVE_AVX2
/* An unmasked frame of 33-125 payload bytes in 32-byte moves, and its
 * header in one: at these sizes the stores are the cost (125 bytes: 5
 * instead of 10). Returns the frame length. */
static WS_TARGET_AVX2 __attribute__((noinline)) ptrdiff_t
write_unmasked_avx2(uint8_t b0, const uint8_t *src, size_t n, uint8_t *out)
{
    const uint8_t header[2] = {b0, (uint8_t)n};
    memcpy(out, header, 2);
    uint8_t *dst = out + 2;
    if (n <= 64) {
        const __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)src);
        const __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(src + n - 32));
        _mm256_storeu_si256((__m256i *)(void *)dst, a);
        _mm256_storeu_si256((__m256i *)(void *)(dst + n - 32), b);
    } else {
        const __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)src);
        const __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(src + 32));
        const __m256i c = _mm256_loadu_si256((const __m256i *)(const void *)(src + n - 64));
        const __m256i d = _mm256_loadu_si256((const __m256i *)(const void *)(src + n - 32));
        _mm256_storeu_si256((__m256i *)(void *)dst, a);
        _mm256_storeu_si256((__m256i *)(void *)(dst + 32), b);
        _mm256_storeu_si256((__m256i *)(void *)(dst + n - 64), c);
        _mm256_storeu_si256((__m256i *)(void *)(dst + n - 32), d);
    }
    return (ptrdiff_t)(2 + n);
}
#endif

/* n < 16 bytes: one word from the start and one that ends at n. */
static inline void copy_under_16(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (n < 4) {
        if (n >= 2) {
            MOVE(dst, src, uint16_t);
            MOVE(dst + n - 2, src + n - 2, uint16_t);
        } else if (n == 1) {
            dst[0] = src[0];
        }
    } else if (n >= 8) {
        MOVE(dst, src, uint64_t);
        MOVE(dst + n - 8, src + n - 8, uint64_t);
    } else {
        MOVE(dst, src, uint32_t);
        MOVE(dst + n - 4, src + n - 4, uint32_t);
    }
}

/* 33 <= n <= 125 bytes in 16-byte moves, all loaded before any is stored:
 * a loop of 16-byte moves took 6.3 instead of 4.3 ns per 125-byte frame,
 * its loads waiting behind the stores before them. */
static inline void copy_33_to_125(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (n <= 64) {
        bytes16 a, b, c, d;
        memcpy(&a, src, 16);
        memcpy(&b, src + 16, 16);
        memcpy(&c, src + n - 32, 16);
        memcpy(&d, src + n - 16, 16);
        memcpy(dst, &a, 16);
        memcpy(dst + 16, &b, 16);
        memcpy(dst + n - 32, &c, 16);
        memcpy(dst + n - 16, &d, 16);
        return;
    }
    bytes16 a, b, c, d, e, f, g, h;
    memcpy(&a, src, 16);
    memcpy(&b, src + 16, 16);
    memcpy(&c, src + 32, 16);
    memcpy(&d, src + 48, 16);
    memcpy(&e, src + n - 64, 16);
    memcpy(&f, src + n - 48, 16);
    memcpy(&g, src + n - 32, 16);
    memcpy(&h, src + n - 16, 16);
    memcpy(dst, &a, 16);
    memcpy(dst + 16, &b, 16);
    memcpy(dst + 32, &c, 16);
    memcpy(dst + 48, &d, 16);
    memcpy(dst + n - 64, &e, 16);
    memcpy(dst + n - 48, &f, 16);
    memcpy(dst + n - 32, &g, 16);
    memcpy(dst + n - 16, &h, 16);
}

/*
 * Writes a checked unmasked frame of n <= 125 payload bytes without a call
 * (memcpy costs more in call and dispatch than in work at this size). Each
 * size class moves words from the start and words that end at n,
 * overlapping when n is not a multiple: since src and dst are apart, a
 * byte written twice gets the same value, and nothing outside
 * [src, src + n) or [dst, dst + n) is touched. The classes are a search
 * tree, so 2-3 bytes pass three tests and no size more than four.
 */
static ALWAYS_INLINE ptrdiff_t write_small_unmasked(uint8_t b0, const uint8_t *src, size_t n,
                                                    uint8_t *out, bool avx2)
{
    if (n < 16) {
        out[0] = b0;
        out[1] = (uint8_t)n;
        copy_under_16(out + 2, src, n);
        return (ptrdiff_t)(2 + n);
    }
    if (n <= 32) {
        out[0] = b0;
        out[1] = (uint8_t)n;
        MOVE(out + 2, src, bytes16);
        MOVE(out + 2 + n - 16, src + n - 16, bytes16);
        return (ptrdiff_t)(2 + n);
    }
#ifdef WS_HAVE_AVX2
    if (avx2 && ws_cpu_has_avx2())
        return write_unmasked_avx2(b0, src, n, out);
#else
    (void)avx2;
#endif
    out[0] = b0;
    out[1] = (uint8_t)n;
    copy_33_to_125(out + 2, src, n);
    return (ptrdiff_t)(2 + n);
}

/*
 * Copies n <= 125 payload bytes masked with key, without a call. The key
 * is held in registers, rotated to the phase of each word's start (a key
 * array on the stack reloaded at an offset stalls store forwarding); words
 * at multiples of 8 are in phase 0.
 */
static inline void mask_small_payload(uint8_t *dst, const uint8_t *src, size_t n,
                                      const uint8_t key[4])
{
    uint32_t k4;
    memcpy(&k4, key, 4);
#ifdef WS_HAVE_SSE2
    if (n >= 16) {
        const __m128i k = _mm_set1_epi32((int)k4);
        const __m128i k_tail = _mm_set1_epi32((int)ws_mask_rotated_key(key, n - 16));
        const __m128i tail = _mm_loadu_si128((const __m128i *)(const void *)(src + n - 16));
        for (size_t i = 0; i + 16 <= n; i += 16) {
            const __m128i w = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
            _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_xor_si128(w, k));
        }
        _mm_storeu_si128((__m128i *)(void *)(dst + n - 16), _mm_xor_si128(tail, k_tail));
        return;
    }
#endif
    if (n >= 8) {
        const uint64_t k8 = (uint64_t)k4 << 32 | k4;
        const uint32_t kt = ws_mask_rotated_key(key, n - 8);
        const uint64_t k8_tail = (uint64_t)kt << 32 | kt;
        for (size_t i = 0; i + 8 <= n; i += 8)
            XOR_MOVE(dst + i, src + i, &k8, uint64_t);
        XOR_MOVE(dst + n - 8, src + n - 8, &k8_tail, uint64_t);
    } else if (n >= 4) {
        const uint32_t kt = ws_mask_rotated_key(key, n - 4);
        XOR_MOVE(dst, src, &k4, uint32_t);
        XOR_MOVE(dst + n - 4, src + n - 4, &kt, uint32_t);
    } else if (n >= 2) {
        XOR_MOVE(dst, src, key, uint16_t);
        XOR_MOVE(dst + n - 2, src + n - 2, key + ((n - 2) & 3), uint16_t);
    } else if (n == 1) {
        dst[0] = (uint8_t)(src[0] ^ key[0]);
    }
}

/* frame_writable's tests for a frame whose payload_len is known to be at
 * most 125. */
static bool small_frame_fields_ok(const ws_frame *frame)
{
    const unsigned opcode = frame->opcode;
    if ((frame->rsv & ~RSV_BITS) != 0)
        return false;
    return opcode <= WS_OP_BINARY || (frame->fin && opcode >= WS_OP_CLOSE && opcode <= WS_OP_PONG);
}

static ptrdiff_t write_frame_general(const ws_frame *frame, const void *payload,
                                     size_t payload_len, uint8_t *out, size_t cap);

static ptrdiff_t write_large_frame(const ws_frame *frame, const void *payload, size_t payload_len,
                                   uint8_t *out, size_t cap);

/* A small frame that is masked, a control frame, invalid or without room.
 * Out of line, so that the unmasked data path saves no registers for the
 * key. */
static __attribute__((noinline)) ptrdiff_t write_small_other(const ws_frame *frame,
                                                             const uint8_t *payload, size_t n,
                                                             uint8_t *out, size_t cap, bool avx2)
{
    if (small_frame_fields_ok(frame)) {
        const uint8_t b0 = first_header_byte(frame);
        if (!frame->masked) {
            if (cap >= 2 + n)
                return write_small_unmasked(b0, payload, n, out, avx2);
        } else if (cap >= 6 + n) {
            uint8_t key[4];
            memcpy(key, frame->mask, 4); /* before out is written, which may alias it */
            out[0] = b0;
            out[1] = (uint8_t)(MASK_BIT | n);
            memcpy(out + 2, key, 4);
            mask_small_payload(out + 6, payload, n, key);
            return (ptrdiff_t)(6 + n);
        }
    }
    return write_frame_general(frame, payload, n, out, cap);
}

/*
 * The common small frame first: a 7-bit length, unmasked, a data opcode,
 * no RSV bit the header does not define, room for it. Every test is one
 * the general path makes too, so whatever fails one goes there and is
 * refused (or, for a NULL payload of length 0, written) exactly as before.
 * No calls, so this path saves no registers.
 *
 * The fields are read one by one. Read as one 4-byte word, fin, rsv,
 * opcode and masked took four instructions fewer, but a caller that has
 * just stored them one by one (a ws_frame built per frame, as
 * ws_message_write does) then waited for its stores to reach the cache,
 * since no single store held the whole word: 6.5 instead of 2.6 ns per
 * frame.
 */
static ALWAYS_INLINE ptrdiff_t frame_write(const ws_frame *frame, const void *payload,
                                           size_t payload_len, uint8_t *out, size_t cap,
                                           bool avx2)
{
    if (LIKELY(frame != NULL && payload != NULL && out != NULL &&
               payload_len <= WS_MAX_CONTROL_PAYLOAD && frame->payload_len == payload_len)) {
        if (LIKELY(!frame->masked && (frame->rsv & ~RSV_BITS) == 0 &&
                   frame->opcode <= WS_OP_BINARY && cap >= 2 + payload_len))
            return write_small_unmasked(first_header_byte(frame), payload, payload_len, out, avx2);
        return write_small_other(frame, payload, payload_len, out, cap, avx2);
    }
    return write_frame_general(frame, payload, payload_len, out, cap);
}

HOT_ENTRY ptrdiff_t ws_frame_write_short_unmasked(uint8_t b0, const void *payload,
                                                  size_t payload_len, uint8_t *out)
{
    return write_small_unmasked(b0, payload, payload_len, out, true);
}

HOT_ENTRY WS_API ptrdiff_t ws_frame_write(const ws_frame *frame, const void *payload,
                                          size_t payload_len, uint8_t *out, size_t cap)
{
    return frame_write(frame, payload, payload_len, out, cap, true);
}

ptrdiff_t ws_frame_write_no_avx2(const ws_frame *frame, const void *payload, size_t payload_len,
                                 uint8_t *out, size_t cap)
{
    return frame_write(frame, payload, payload_len, out, cap, false);
}

/* Everything the small-frame path above does not take: its argument checks
 * in the documented order, and frames with 16- or 64-bit lengths. Out of
 * line, so that the small-frame path saves no registers for calls made
 * here. */
static __attribute__((noinline)) ptrdiff_t write_frame_general(const ws_frame *frame,
                                                               const void *payload,
                                                               size_t payload_len, uint8_t *out,
                                                               size_t cap)
{
    if (!frame_writable(frame) || frame->payload_len != payload_len ||
        (payload == NULL && payload_len > 0) || (out == NULL && cap > 0))
        return WS_E_INVALID_ARGUMENT;
    if (payload_len <= WS_MAX_CONTROL_PAYLOAD) {
        /* Here only with a NULL payload of length 0, or without room. */
        const size_t header = frame->masked ? 6 : 2;
        if (cap < header + payload_len)
            return WS_E_BUFFER_TOO_SMALL;
        encode_header(frame, out);
        return (ptrdiff_t)header;
    }
    return write_large_frame(frame, payload, payload_len, out, cap);
}

/* Frames with a 16- or 64-bit length: out of line, so that the small-frame
 * path of ws_frame_write saves no registers for the calls made here. */
static __attribute__((noinline)) ptrdiff_t write_large_frame(const ws_frame *frame,
                                                             const void *payload,
                                                             size_t payload_len, uint8_t *out,
                                                             size_t cap)
{
    const size_t header = header_size(payload_len, frame->masked);
    /* No object is larger than PTRDIFF_MAX, so no buffer can hold more, and
     * the total must fit the return value. */
    if (payload_len > (size_t)PTRDIFF_MAX - header || cap < header || cap - header < payload_len)
        return WS_E_BUFFER_TOO_SMALL;
    encode_header(frame, out);
    if (payload_len > 0) {
        if (frame->masked)
            ws_mask_copy(out + header, payload, payload_len, frame->mask, 0);
        else
            memcpy(out + header, payload, payload_len);
    }
    return (ptrdiff_t)(header + payload_len);
}
