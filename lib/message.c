/* Message writer (RFC 6455 sections 5.2-5.5): whole messages, fragments and
 * control frames, masked with a fresh caller-supplied key per frame in the
 * client role (section 5.3). The writer remembers two things only: whether
 * a fragmented message is open, and whether a close frame went out (after
 * which section 5.5.1 allows nothing more). */
#include "frame.h"
#include "wsframe.h"

#define FIN_BIT 0x80u

void ws_writer_init(ws_writer *w, ws_role role, size_t max_frame_payload,
                    ws_mask_key_fn next_key, void *key_ctx)
{
    *w = (ws_writer){0};
    w->role_ = (uint8_t)role;
    w->max_frame_payload_ = max_frame_payload;
    w->next_key_ = next_key;
    w->key_ctx_ = key_ctx;
}

bool ws_writer_can_send(const ws_writer *w) { return !w->close_sent_; }

static bool masks(const ws_writer *w) { return w->role_ == WS_ROLE_CLIENT; }

/* Checks shared by every write, in the order the header documents. */
static int check_writer(const ws_writer *w)
{
    if (w->close_sent_)
        return WS_E_CLOSING;
    if (masks(w) && !w->next_key_)
        return WS_E_INVALID_ARGUMENT;
    return WS_OK;
}

/* One frame; the capacity was checked by the caller, so this cannot fail
 * except on a bug, which the returned status then reports. */
static ptrdiff_t write_frame(ws_writer *w, bool masked, uint8_t opcode, bool fin,
                             const uint8_t *data, size_t len, uint8_t *out, size_t cap)
{
    ws_frame f = {.fin = fin, .opcode = opcode, .masked = masked, .payload_len = len};
    if (f.masked)
        w->next_key_(w->key_ctx_, f.mask);
    return ws_frame_write(&f, data, len, out, cap);
}

/* Saturates at SIZE_MAX so that an impossible size fails the capacity
 * check instead of wrapping. */
static size_t add_sat(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

static size_t mul_sat(size_t a, size_t b)
{
    return (b != 0 && a > SIZE_MAX / b) ? SIZE_MAX : a * b;
}

static size_t frame_size(size_t payload_len, bool masked)
{
    return add_sat(ws_frame_header_size(payload_len, masked), payload_len);
}

size_t ws_message_size(const ws_writer *w, size_t len)
{
    size_t max = w->max_frame_payload_;
    if (max == 0 || len <= max)
        return frame_size(len, masks(w));
    size_t full = len / max, rest = len % max;
    size_t size = mul_sat(full, frame_size(max, masks(w)));
    return rest ? add_sat(size, frame_size(rest, masks(w))) : size;
}

/* A checked message: one frame when it fits a 7-bit length (a client's,
 * or a server's that did not take the path for those), else frames of at
 * most max_frame_payload bytes or one with a 16- or 64-bit length. */
static ptrdiff_t write_message_frames(ws_writer *w, uint8_t opcode, const uint8_t *src,
                                      size_t len, uint8_t *out, size_t cap)
{
    if (len <= WS_MAX_CONTROL_PAYLOAD &&
        (w->max_frame_payload_ == 0 || len <= w->max_frame_payload_)) {
        if (cap < (masks(w) ? 6 : 2) + len)
            return WS_E_BUFFER_TOO_SMALL;
        return write_frame(w, masks(w), opcode, true, src, len, out, cap);
    }
    size_t total = ws_message_size(w, len);
    if (total > cap || total > PTRDIFF_MAX)
        return WS_E_BUFFER_TOO_SMALL;

    size_t max = w->max_frame_payload_ ? w->max_frame_payload_ : len;
    size_t done = 0, pos = 0;
    uint8_t op = opcode;
    do {
        size_t n = len - done < max ? len - done : max;
        ptrdiff_t r = write_frame(w, masks(w), op, done + n == len, src ? src + done : NULL, n,
                                  out + pos, cap - pos);
        if (r < 0)
            return r;
        pos += (size_t)r;
        done += n;
        op = WS_OP_CONTINUATION;
    } while (done < len);
    return (ptrdiff_t)pos;
}

/* ws_message_write's checks in the documented order, and the frames. */
static __attribute__((noinline)) ptrdiff_t write_message_checked(ws_writer *w, ws_opcode opcode,
                                                                 const void *data, size_t len,
                                                                 uint8_t *out, size_t cap)
{
    int st = check_writer(w);
    if (st != WS_OK)
        return st;
    if ((opcode != WS_OP_TEXT && opcode != WS_OP_BINARY) || w->message_opcode_ != 0 ||
        (!data && len != 0))
        return WS_E_INVALID_ARGUMENT;
    if (opcode == WS_OP_TEXT && ws_utf8_validate(data, len) != WS_OK)
        return WS_E_INVALID_UTF8;
    return write_message_frames(w, (uint8_t)opcode, data, len, out, cap);
}

/* A 7-bit-length message that passed ws_message_write's tests, other than
 * a server's binary one: a client's (masked) or a text message. */
static __attribute__((noinline)) ptrdiff_t write_short_message(ws_writer *w, ws_opcode opcode,
                                                               const void *data, size_t len,
                                                               uint8_t *out, size_t cap)
{
    if (opcode == WS_OP_TEXT && ws_utf8_validate(data, len) != WS_OK)
        return WS_E_INVALID_UTF8;
    if (!masks(w))
        return ws_frame_write_short_unmasked((uint8_t)(FIN_BIT | opcode), data, len, out);
    return write_frame(w, true, (uint8_t)opcode, true, data, len, out, cap);
}

/* A message in one frame with a 7-bit length, the common case, first: no
 * fragmenting loop, no size arithmetic, and for a server no frame struct
 * and no second round of checks in ws_frame_write: a server's binary
 * message goes straight to the copy (57 instead of 107 instructions and
 * 2.0 instead of 4.3 ns per 2-byte message, the caller's loop included).
 * Each test is one the full checks make; whatever fails one goes there. */
HOT_ENTRY ptrdiff_t ws_message_write(ws_writer *w, ws_opcode opcode, const void *data,
                                     size_t len, uint8_t *out, size_t cap)
{
    if (!w->close_sent_ && w->message_opcode_ == 0 && data != NULL &&
        len <= WS_MAX_CONTROL_PAYLOAD &&
        (w->max_frame_payload_ == 0 || len <= w->max_frame_payload_) &&
        (opcode == WS_OP_BINARY || opcode == WS_OP_TEXT)) {
        const bool masked = masks(w);
        if ((!masked || w->next_key_ != NULL) && cap >= (masked ? 6 : 2) + len) {
            if (!masked && opcode == WS_OP_BINARY)
                return ws_frame_write_short_unmasked(FIN_BIT | WS_OP_BINARY, data, len, out);
            return write_short_message(w, opcode, data, len, out, cap);
        }
    }
    return write_message_checked(w, opcode, data, len, out, cap);
}

ptrdiff_t ws_fragment_write(ws_writer *w, ws_opcode opcode, bool fin, const void *data, size_t len,
                            uint8_t *out, size_t cap)
{
    int st = check_writer(w);
    if (st != WS_OK)
        return st;
    bool first = w->message_opcode_ == 0;
    if ((opcode != WS_OP_TEXT && opcode != WS_OP_BINARY) ||
        (!first && opcode != w->message_opcode_) || (!data && len != 0))
        return WS_E_INVALID_ARGUMENT;

    /* Validate on a copy so that a refused fragment leaves the message as
     * it was. */
    ws_utf8 utf8 = w->utf8_;
    if (opcode == WS_OP_TEXT) {
        if (first)
            ws_utf8_init(&utf8);
        if (ws_utf8_feed(&utf8, data, len, NULL) != WS_OK || (fin && ws_utf8_finish(&utf8) != WS_OK))
            return WS_E_INVALID_UTF8;
    }
    size_t total = frame_size(len, masks(w));
    if (total > cap || total > PTRDIFF_MAX)
        return WS_E_BUFFER_TOO_SMALL;

    ptrdiff_t r = write_frame(w, masks(w), first ? (uint8_t)opcode : WS_OP_CONTINUATION, fin, data,
                              len, out, cap);
    if (r < 0)
        return r;
    w->utf8_ = utf8;
    w->message_opcode_ = fin ? 0 : (uint8_t)opcode;
    return r;
}

static ptrdiff_t write_control(ws_writer *w, uint8_t opcode, const void *payload, size_t len,
                               uint8_t *out, size_t cap)
{
    int st = check_writer(w);
    if (st != WS_OK)
        return st;
    if (len > WS_MAX_CONTROL_PAYLOAD)
        return WS_E_CONTROL_TOO_LONG;
    if (!payload && len != 0)
        return WS_E_INVALID_ARGUMENT;
    if (frame_size(len, masks(w)) > cap)
        return WS_E_BUFFER_TOO_SMALL;
    return write_frame(w, masks(w), opcode, true, payload, len, out, cap);
}

ptrdiff_t ws_ping_write(ws_writer *w, const void *payload, size_t len, uint8_t *out, size_t cap)
{
    return write_control(w, WS_OP_PING, payload, len, out, cap);
}

ptrdiff_t ws_pong_write(ws_writer *w, const void *payload, size_t len, uint8_t *out, size_t cap)
{
    return write_control(w, WS_OP_PONG, payload, len, out, cap);
}

ptrdiff_t ws_close_frame_write(ws_writer *w, uint16_t code, const char *reason, size_t reason_len,
                               uint8_t *out, size_t cap)
{
    int st = check_writer(w);
    if (st != WS_OK)
        return st;
    /* Checked here so a long reason is named as such, not as a short
     * buffer. */
    if (reason_len > WS_MAX_CLOSE_REASON)
        return WS_E_CLOSE_REASON_TOO_LONG;
    uint8_t payload[WS_MAX_CONTROL_PAYLOAD];
    int n = ws_close_build(code, reason, reason_len, payload, sizeof payload);
    if (n < 0)
        return n;
    ptrdiff_t r = write_control(w, WS_OP_CLOSE, payload, (size_t)n, out, cap);
    if (r >= 0)
        w->close_sent_ = 1;
    return r;
}
