/* Blocking socket I/O shared by the handshake test server and client: both
 * read an HTTP head, then whole frames, the same way. */
#ifndef WS_HS_IO_H
#define WS_HS_IO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "wsframe.h"

/* Sends all of buf; 0, or -1 when the peer is gone. */
static inline int send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += (size_t)n;
        len -= (size_t)n;
    }
    return 0;
}

/* A parsed HTTP head: the request (server side) or the response (client
 * side), and its header fields. */
typedef struct hs_head {
    ws_http_request req;
    ws_http_response res;
    ws_http_header headers[64];
} hs_head;

/* Receives into buf (cap bytes) until ws_http_parse_request (request) or
 * ws_http_parse_response decides, with at most max_headers fields (up to
 * 64). Returns its answer (the head's length, or a ws_status), or 0 when
 * the peer closed or failed first. *len is what was received, frames
 * behind the head included. */
static inline int hs_read_head(int fd, bool request, uint8_t *buf, size_t cap, size_t *len,
                               hs_head *h, size_t max_headers)
{
    size_t last_len = 0;
    for (;;) {
        ssize_t r = recv(fd, buf + *len, cap - *len, 0);
        if (r <= 0)
            return 0;
        *len += (size_t)r;
        const char *text = (const char *)buf;
        int head = request ? ws_http_parse_request(text, *len, last_len, NULL, &h->req,
                                                   h->headers, max_headers)
                           : ws_http_parse_response(text, *len, last_len, NULL, &h->res,
                                                    h->headers, max_headers);
        if (head != WS_INCOMPLETE)
            return head;
        last_len = *len;
    }
}

enum {
    HS_GONE = -1,      /* the peer closed or failed */
    HS_BAD_FRAME = -2, /* the parser refused it ("frame error: ..." printed) */
    HS_TOO_BIG = -3,   /* the frame does not fit in the buffer */
};

/* Receives until buf (cap bytes, *len of them already there) starts with a
 * whole frame, parsed as role parses. Returns its header length with f
 * describing it (the payload, still masked if it was, follows), or one of
 * the HS_ values above. */
static inline int hs_read_frame(int fd, ws_role role, uint8_t *buf, size_t cap, size_t *len,
                                ws_frame *f)
{
    for (;;) {
        int hl = ws_frame_parse(buf, *len, role, 0, f);
        if (hl >= 0 && *len - (size_t)hl >= f->payload_len)
            return hl;
        if (hl < 0 && hl != WS_INCOMPLETE) {
            printf("frame error: %s\n", ws_strerror(hl));
            return HS_BAD_FRAME;
        }
        if (*len == cap)
            return HS_TOO_BIG;
        ssize_t n = recv(fd, buf + *len, cap - *len, 0);
        if (n <= 0)
            return HS_GONE;
        *len += (size_t)n;
    }
}

#endif
