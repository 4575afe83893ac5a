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

#include "wsframe.h"

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

WS_API size_t ws_frame_header_size(uint64_t payload_len, bool masked)
{
    size_t size = 2;
    if (payload_len > 0xFFFFu)
        size += 8;
    else if (payload_len >= LEN7_16BIT)
        size += 2;
    return size + (masked ? 4 : 0);
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
    if (!frame_writable(frame) || (out == NULL && cap > 0))
        return WS_E_INVALID_ARGUMENT;
    if (cap < ws_frame_header_size(frame->payload_len, frame->masked))
        return WS_E_BUFFER_TOO_SMALL;
    return (int)encode_header(frame, out);
}

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

/*
 * Copies n <= 125 payload bytes, masked with key unless it is NULL, without
 * a call (memcpy and ws_mask_copy cost more in call and dispatch than in
 * work at this size). The last word is the one that ends at n and may
 * overlap the one before it: since src and dst are apart, writing a byte
 * twice writes the same value. keys holds the key five times, so keys +
 * (pos & 3) is the key in phase for a word starting at pos.
 */
static inline void copy_small_payload(uint8_t *dst, const uint8_t *src, size_t n,
                                      const uint8_t *key)
{
    if (key == NULL) {
        if (n >= 16) {
            for (size_t i = 0; i + 16 <= n; i += 16)
                MOVE(dst + i, src + i, bytes16);
            MOVE(dst + n - 16, src + n - 16, bytes16);
        } else if (n >= 8) {
            MOVE(dst, src, uint64_t);
            MOVE(dst + n - 8, src + n - 8, uint64_t);
        } else if (n >= 4) {
            MOVE(dst, src, uint32_t);
            MOVE(dst + n - 4, src + n - 4, uint32_t);
        } else if (n >= 2) {
            MOVE(dst, src, uint16_t);
            MOVE(dst + n - 2, src + n - 2, uint16_t);
        } else if (n == 1) {
            dst[0] = src[0];
        }
        return;
    }
    uint8_t keys[20];
    for (int i = 0; i < 5; i++)
        memcpy(keys + 4 * i, key, 4);
    if (n >= 8) {
        for (size_t i = 0; i + 8 <= n; i += 8)
            XOR_MOVE(dst + i, src + i, keys, uint64_t);
        XOR_MOVE(dst + n - 8, src + n - 8, keys + ((n - 8) & 3), uint64_t);
    } else if (n >= 4) {
        XOR_MOVE(dst, src, keys, uint32_t);
        XOR_MOVE(dst + n - 4, src + n - 4, keys + ((n - 4) & 3), uint32_t);
    } else if (n >= 2) {
        XOR_MOVE(dst, src, keys, uint16_t);
        XOR_MOVE(dst + n - 2, src + n - 2, keys + ((n - 2) & 3), uint16_t);
    } else if (n == 1) {
        dst[0] = (uint8_t)(src[0] ^ key[0]);
    }
}

static ptrdiff_t write_large_frame(const ws_frame *frame, const void *payload, size_t payload_len,
                                   uint8_t *out, size_t cap);

WS_API ptrdiff_t ws_frame_write(const ws_frame *frame, const void *payload, size_t payload_len,
                                uint8_t *out, size_t cap)
{
    if (!frame_writable(frame) || frame->payload_len != payload_len ||
        (payload == NULL && payload_len > 0) || (out == NULL && cap > 0))
        return WS_E_INVALID_ARGUMENT;
    if (payload_len <= WS_MAX_CONTROL_PAYLOAD) {
        /* The common small frame: a 7-bit length, no calls. Fields are read
         * before out is written, which may (pointlessly) alias *frame. */
        const bool masked = frame->masked;
        const size_t header = masked ? 6 : 2;
        if (cap < header + payload_len)
            return WS_E_BUFFER_TOO_SMALL;
        uint8_t key[4];
        memcpy(key, frame->mask, 4);
        out[0] = (uint8_t)((frame->fin ? FIN_BIT : 0) | frame->rsv | frame->opcode);
        out[1] = (uint8_t)((masked ? MASK_BIT : 0) | payload_len);
        if (masked)
            memcpy(out + 2, key, 4);
        copy_small_payload(out + header, payload, payload_len, masked ? key : NULL);
        return (ptrdiff_t)(header + payload_len);
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
    const size_t header = ws_frame_header_size(payload_len, frame->masked);
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
