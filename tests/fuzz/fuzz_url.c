/*
 * libFuzzer target for ws_url_parse. Invariants: pointers stay inside the
 * input (the default target "/" excepted), writing a parsed URL and parsing
 * it again gives the same URL, and the client request built from it is one
 * the server side of the library accepts, with the same target and a Host
 * naming the same host.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handshake_fuzz.h"
#include "wsframe.h"

static int same_url(const ws_url *a, const ws_url *b)
{
    return a->secure == b->secure && a->ipv6 == b->ipv6 && a->port == b->port &&
           a->port_explicit == b->port_explicit && a->host_len == b->host_len &&
           memcmp(a->host, b->host, a->host_len) == 0 && a->target_len == b->target_len &&
           memcmp(a->target, b->target, a->target_len) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ws_url u;
    if (ws_url_parse((const char *)data, size, &u) != WS_OK)
        return 0;
    require(u.host_len > 0 && in_range(u.host, u.host_len, data, size));
    require(in_range(u.target, u.target_len, data, size) ||
            (u.target_len == 1 && u.target[0] == '/'));
    require(u.port != 0);

    char text[4096];
    int n = ws_url_write(&u, text, sizeof text);
    if (n < 0)
        return 0; /* longer than our buffer */
    ws_url again;
    require(ws_url_parse(text, (size_t)n, &again) == WS_OK);
    require(same_url(&u, &again));

    static const uint8_t nonce[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    char req_text[8192], key[WS_KEY_LEN + 1];
    int m = ws_handshake_write_request(&u, NULL, nonce, key, req_text, sizeof req_text);
    require(m > 0);
    ws_http_request req;
    ws_http_header h[16];
    ws_limits limits;
    ws_limits_default(&limits);
    limits.max_header_bytes = sizeof req_text;
    require(ws_http_parse_request(req_text, (size_t)m, 0, &limits, &req, h, 16) == m);
    ws_handshake_request hs;
    require(ws_handshake_check_request(&req, NULL, &hs) == WS_OK);
    size_t skip = (u.target[0] == '/') ? 0 : 1; /* "/" added before a bare query */
    require(hs.target_len == u.target_len + skip);
    require(memcmp(hs.target + skip, u.target, u.target_len) == 0);
    size_t host_at = u.ipv6 ? 1 : 0;
    require(hs.host_len >= u.host_len + host_at);
    require(memcmp(hs.host + host_at, u.host, u.host_len) == 0);
    return 0;
}
