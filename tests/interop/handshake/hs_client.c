/*
 * A deliberately small WebSocket client for the handshake interop tests,
 * built only on libwsframe's URL, handshake and frame calls with blocking
 * sockets.
 *
 * usage: hs_client URL [PROTOCOL...]
 *
 * Connects to URL (a 127.0.0.1 or [::1] address), offers the protocols,
 * and prints what the server answered: "accepted protocol=P" or
 * "refused status=404 reason=Not Found error=HS_STATUS". When accepted it
 * sends one masked text frame, prints the echo ("echo: ..."), closes
 * cleanly and prints "closed CODE". Exit status: 0 accepted and echoed,
 * 2 refused by the server, 1 anything else.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hs_io.h"
#include "wsframe.h"

static void random_bytes(uint8_t *out, size_t len)
{
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(out, 1, len, f) != len) {
        perror("/dev/urandom");
        exit(1);
    }
    fclose(f);
}

static int connect_to(const ws_url *url)
{
    char host[256], port[8];
    if (url->host_len >= sizeof host)
        return -1;
    memcpy(host, url->host, url->host_len);
    host[url->host_len] = '\0';
    snprintf(port, sizeof port, "%u", (unsigned)url->port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    struct addrinfo *ai;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int send_frame(int fd, uint8_t opcode, const void *payload, size_t plen)
{
    ws_frame f = {.fin = true, .opcode = opcode, .masked = true, .payload_len = plen};
    random_bytes(f.mask, 4);
    uint8_t wire[1024];
    ptrdiff_t n = ws_frame_write(&f, payload, plen, wire, sizeof wire);
    return n < 0 ? -1 : send_all(fd, wire, (size_t)n);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hs_client URL [PROTOCOL...]\n");
        return 1;
    }
    ws_url url;
    ws_status st = ws_url_parse(argv[1], strlen(argv[1]), &url);
    if (st != WS_OK) {
        printf("bad URL: %s\n", ws_strerror(st));
        return 1;
    }
    int fd = connect_to(&url);
    if (fd < 0) {
        printf("cannot connect\n");
        return 1;
    }
    ws_client_options opts = {.protocols = (const char *const *)(argv + 2),
                              .num_protocols = (size_t)(argc - 2)};
    uint8_t nonce[16];
    random_bytes(nonce, sizeof nonce);
    char key[WS_KEY_LEN + 1];
    char req[2048];
    int n = ws_handshake_write_request(&url, &opts, nonce, key, req, sizeof req);
    if (n < 0 || send_all(fd, req, (size_t)n) < 0) {
        printf("cannot send request: %s\n", ws_strerror(n));
        return 1;
    }

    static uint8_t buf[16384];
    size_t len = 0;
    hs_head rh;
    int head = hs_read_head(fd, false, buf, sizeof buf, &len, &rh, 32);
    if (head == 0) {
        printf("connection closed during the handshake\n");
        return 1;
    }
    if (head < 0) {
        printf("bad response: %s\n", ws_strerror(head));
        return 1;
    }
    ws_handshake_response hr;
    st = ws_handshake_check_response(&rh.res, key, &opts, &hr);
    if (st == WS_E_HS_STATUS) {
        printf("refused status=%d reason=%.*s error=%s\n", rh.res.status, (int)rh.res.reason_len,
               rh.res.reason, ws_status_name(st));
        return 2;
    }
    if (st != WS_OK) {
        printf("handshake failed: %s (%s)\n", ws_strerror(st), ws_status_name(st));
        return 1;
    }
    printf("accepted protocol=%.*s\n", hr.protocol ? (int)hr.protocol_len : 6,
           hr.protocol ? hr.protocol : "(none)");
    /* Bytes after the head are frames; keep them. */
    memmove(buf, buf + head, len - (size_t)head);
    len -= (size_t)head;

    static const char hello[] = "hello from libwsframe";
    if (send_frame(fd, WS_OP_TEXT, hello, sizeof hello - 1) < 0)
        return 1;
    ws_frame f;
    int hl = hs_read_frame(fd, WS_ROLE_CLIENT, buf, sizeof buf, &len, &f);
    if (hl < 0 || f.opcode != WS_OP_TEXT) {
        printf("no text echo\n");
        return 1;
    }
    printf("echo: %.*s\n", (int)f.payload_len, (const char *)buf + hl);
    int same = f.payload_len == sizeof hello - 1 && memcmp(buf + hl, hello, sizeof hello - 1) == 0;
    size_t used = (size_t)hl + (size_t)f.payload_len;
    memmove(buf, buf + used, len - used);
    len -= used;

    uint8_t close_payload[2];
    int cn = ws_close_build(WS_CLOSE_NORMAL, NULL, 0, close_payload, sizeof close_payload);
    if (cn < 0 || send_frame(fd, WS_OP_CLOSE, close_payload, (size_t)cn) < 0)
        return 1;
    hl = hs_read_frame(fd, WS_ROLE_CLIENT, buf, sizeof buf, &len, &f);
    if (hl < 0 || f.opcode != WS_OP_CLOSE) {
        printf("no close answer\n");
        return 1;
    }
    uint16_t code;
    const char *reason;
    size_t reason_len;
    if (ws_close_parse(buf + hl, (size_t)f.payload_len, &code, &reason, &reason_len) != WS_OK)
        return 1;
    printf("closed %u\n", (unsigned)code);
    close(fd);
    return same ? 0 : 1;
}
