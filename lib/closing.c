/* The close handshake (RFC 6455 sections 5.5.1, 7.1): which close frame to
 * send, when, and who closes TCP. No I/O: the caller reports what happened
 * and asks ws_closing_next() what to do. */
#include <string.h>

#include "wsframe.h"

enum closing_flag {
    CF_SEND_PENDING = 1u, /* a close frame is to be written (send_code_, reason_) */
    CF_SENT = 2u,         /* our close frame went out */
    CF_RECEIVED = 4u,     /* the peer's close frame came in */
    CF_FAILED = 8u,       /* the connection is being failed (section 7.1.7) */
    CF_TCP_DONE = 16u     /* the peer closed TCP, or the caller gave up waiting */
};

void ws_closing_init(ws_closing *c, ws_role role)
{
    *c = (ws_closing){0};
    c->role_ = (uint8_t)role;
    c->peer_code_ = WS_CLOSE_ABNORMAL;
}

static void queue_close(ws_closing *c, uint16_t code, const char *reason, size_t reason_len)
{
    c->send_code_ = code;
    c->reason_len_ = (uint8_t)reason_len;
    if (reason_len)
        memcpy(c->reason_, reason, reason_len);
    c->flags_ |= CF_SEND_PENDING;
}

ws_status ws_closing_request(ws_closing *c, uint16_t code, const char *reason, size_t reason_len)
{
    /* ws_close_build is the one place that knows a valid close payload. */
    uint8_t scratch[WS_MAX_CONTROL_PAYLOAD];
    if (reason_len > WS_MAX_CLOSE_REASON)
        return WS_E_CLOSE_REASON_TOO_LONG;
    int n = ws_close_build(code, reason, reason_len, scratch, sizeof scratch);
    if (n < 0)
        return (ws_status)n;
    if (c->flags_ & (CF_SEND_PENDING | CF_SENT | CF_RECEIVED | CF_FAILED | CF_TCP_DONE))
        return WS_OK;
    queue_close(c, code, reason, reason_len);
    return WS_OK;
}

void ws_closing_received_reason(ws_closing *c, uint16_t code, const uint8_t *reason,
                                size_t reason_len)
{
    /* A failed connection processes nothing more from the peer, its close
     * included (section 7.1.7), so such a close cannot make it clean. */
    if (c->flags_ & CF_FAILED)
        return;
    c->flags_ |= CF_RECEIVED;
    c->peer_code_ = code;
    if (c->flags_ & (CF_SENT | CF_FAILED | CF_TCP_DONE))
        return;
    /* Echo the code (section 5.5.1); a close without one is answered by a
     * close without one. The echo replaces a close of our own not yet
     * written: the peer is done either way. */
    if (!ws_close_code_valid(code)) {
        queue_close(c, 0, NULL, 0);
        return;
    }
    /* Our parser hands out only reasons that pass, but the caller may have
     * another source, and a reason ws_close_frame_write refuses would cost
     * the close itself. */
    if (reason_len > WS_MAX_CLOSE_REASON ||
        (reason_len != 0 && ws_utf8_validate(reason, reason_len) != WS_OK))
        reason_len = 0;
    queue_close(c, code, (const char *)reason, reason_len);
}

void ws_closing_received(ws_closing *c, uint16_t code)
{
    ws_closing_received_reason(c, code, NULL, 0);
}

void ws_closing_fail(ws_closing *c, int status)
{
    /* Bytes after the peer's close are ignored (section 1.4: after a close
     * no more data is processed), not a reason to cut the handshake short. */
    if (status == WS_E_AFTER_CLOSE)
        return;
    c->flags_ |= CF_FAILED;
    uint16_t code = ws_status_close_code(status);
    if (code == 0 || (c->flags_ & (CF_SENT | CF_TCP_DONE)))
        return;
    const char *name = ws_status_name(status);
    size_t name_len = strlen(name);
    queue_close(c, code, name, name_len <= WS_MAX_CLOSE_REASON ? name_len : 0);
}

void ws_closing_peer_closed(ws_closing *c) { c->flags_ |= CF_TCP_DONE; }

void ws_closing_timeout(ws_closing *c) { c->flags_ |= CF_TCP_DONE; }

ws_closing_action ws_closing_next(const ws_closing *c)
{
    unsigned f = c->flags_;
    if (f & CF_TCP_DONE)
        return WS_CLOSING_CLOSE_TCP;
    if (f & CF_SEND_PENDING)
        return WS_CLOSING_SEND_CLOSE;
    if (f & CF_FAILED)
        return WS_CLOSING_CLOSE_TCP;
    if ((f & CF_SENT) && (f & CF_RECEIVED))
        /* Section 7.1.1: the server closes TCP first, so that it, not the
         * client, holds TIME_WAIT. */
        return c->role_ == WS_ROLE_SERVER ? WS_CLOSING_CLOSE_TCP : WS_CLOSING_WAIT_TCP_CLOSE;
    return WS_CLOSING_READ;
}

ptrdiff_t ws_closing_write(ws_closing *c, ws_writer *w, uint8_t *out, size_t cap)
{
    if (!(c->flags_ & CF_SEND_PENDING) || (c->flags_ & CF_TCP_DONE))
        return WS_E_INVALID_ARGUMENT;
    ptrdiff_t r = ws_close_frame_write(w, c->send_code_, c->reason_, c->reason_len_, out, cap);
    if (r < 0 && r != WS_E_CLOSING)
        return r;
    c->flags_ = (uint8_t)((c->flags_ & ~CF_SEND_PENDING) | CF_SENT);
    return r;
}

bool ws_closing_clean(const ws_closing *c)
{
    return (c->flags_ & CF_SENT) && (c->flags_ & CF_RECEIVED);
}

uint16_t ws_closing_peer_code(const ws_closing *c) { return c->peer_code_; }
