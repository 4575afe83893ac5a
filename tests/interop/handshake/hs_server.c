/*
 * A deliberately small WebSocket server for the handshake interop tests,
 * built only on libwsframe's handshake and frame calls with blocking
 * sockets. It binds 127.0.0.1 on an ephemeral port, prints
 * "listening on PORT", and serves connections one at a time until SIGTERM
 * (exit 0, so a wrapper such as valgrind can report):
 *   - a WebSocket upgrade: checked, answered 101 with the first of
 *     "chat.v2", "chat.v1" the client offered; then every data frame is
 *     echoed once and a close frame is answered with a close;
 *   - a plain HTTP request: answered with a small 404 page;
 *   - a bad upgrade: answered with ws_handshake_write_rejection().
 * Each outcome is printed on one line for the test script to check.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs_io.h"
#include "wsframe.h"

/* Reads frames from buf (len bytes already there, cap room), echoing data
 * frames and answering the close. Returns when the close is answered or
 * the peer goes away. */
static void run_frames(int fd, uint8_t *buf, size_t len, size_t cap)
{
    for (;;) {
        ws_frame f;
        int hl = hs_read_frame(fd, WS_ROLE_SERVER, buf, cap, &len, &f);
        if (hl == HS_TOO_BIG)
            printf("frame too large for this test server\n");
        if (hl < 0)
            return;
        uint8_t *payload = buf + hl;
        size_t plen = (size_t)f.payload_len;
        ws_mask(payload, plen, f.mask, 0);
        if (f.opcode == WS_OP_CLOSE) {
            printf("close from client, %zu payload bytes\n", plen);
            ws_frame out = {.fin = true, .opcode = WS_OP_CLOSE, .payload_len = plen};
            uint8_t wire[WS_MAX_HEADER_SIZE + WS_MAX_CONTROL_PAYLOAD];
            ptrdiff_t n = ws_frame_write(&out, payload, plen, wire, sizeof wire);
            if (n > 0)
                send_all(fd, wire, (size_t)n);
            return;
        }
        if (f.opcode == WS_OP_TEXT || f.opcode == WS_OP_BINARY) {
            printf("echo %s, %zu bytes: %.*s\n", f.opcode == WS_OP_TEXT ? "text" : "binary",
                   plen, plen > 40 ? 40 : (int)plen, (const char *)payload);
            ws_frame out = {.fin = true, .opcode = f.opcode, .payload_len = plen};
            static uint8_t wire[70000];
            ptrdiff_t n = ws_frame_write(&out, payload, plen, wire, sizeof wire);
            if (n < 0 || send_all(fd, wire, (size_t)n) < 0)
                return;
        }
        size_t used = (size_t)hl + plen;
        memmove(buf, buf + used, len - used);
        len -= used;
        fflush(stdout);
    }
}

static void serve(int fd)
{
    static uint8_t buf[70000];
    size_t len = 0;
    hs_head rh;
    /* The head must fit in 8 KiB; the rest of buf is for frames. */
    int head = hs_read_head(fd, true, buf, 8192, &len, &rh, 64);
    if (head == 0)
        return;
    char out[1024];
    int n;
    ws_handshake_request hs;
    ws_status st = head < 0 ? (ws_status)head : ws_handshake_check_request(&rh.req, NULL, &hs);
    if (st == WS_E_HS_NOT_WEBSOCKET) {
        static const char page[] = "<!doctype html><title>404</title><p>no such page</p>\n";
        n = ws_http_write_response(404, NULL, "text/html; charset=utf-8", NULL, page,
                                   sizeof page - 1, out, sizeof out);
        printf("plain HTTP %.*s %.*s: 404\n", (int)rh.req.method_len, rh.req.method,
               (int)rh.req.target_len, rh.req.target);
        send_all(fd, out, (size_t)n);
        return;
    }
    if (st != WS_OK) {
        n = ws_handshake_write_rejection(st, out, sizeof out);
        printf("rejected: %s (%d)\n", ws_status_name(st), ws_status_http_code(st));
        send_all(fd, out, (size_t)n);
        return;
    }
    const char *supported[] = {"chat.v2", "chat.v1"};
    const char *chosen = NULL;
    st = ws_handshake_select_protocol(&rh.req, supported, 2, NULL, &chosen);
    if (st != WS_OK) {
        n = ws_handshake_write_rejection(st, out, sizeof out);
        send_all(fd, out, (size_t)n);
        return;
    }
    n = ws_handshake_write_response(&hs, chosen, NULL, NULL, out, sizeof out);
    if (n < 0 || send_all(fd, out, (size_t)n) < 0)
        return;
    printf("upgraded %.*s protocol=%s\n", (int)hs.target_len, hs.target,
           chosen ? chosen : "(none)");
    fflush(stdout);
    /* Frames the client sent right behind its head are already in buf. */
    memmove(buf, buf + head, len - (size_t)head);
    run_frames(fd, buf, len - (size_t)head, sizeof buf);
}

/* Every line printed so far has been flushed (main flushes after each
 * connection), so the process can end right here; _exit is safe in a signal
 * handler and still lets valgrind run its leak check. */
static void on_sigterm(int signo)
{
    (void)signo;
    _exit(0);
}

int main(void)
{
    signal(SIGTERM, on_sigterm);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t alen = sizeof a;
    if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 16) < 0 ||
        getsockname(ls, (struct sockaddr *)&a, &alen) < 0) {
        perror("hs_server");
        return 1;
    }
    printf("listening on %d\n", ntohs(a.sin_port));
    fflush(stdout);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            perror("accept");
            return 1;
        }
        serve(fd);
        fflush(stdout);
        close(fd);
    }
}
