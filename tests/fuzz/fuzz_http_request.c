/*
 * libFuzzer target for the server side: ws_http_parse_request, then the
 * handshake checks on whatever parses. Invariants:
 *   - no pointer the parser returns leaves the input;
 *   - every prefix answers WS_INCOMPLETE or the whole input's error, and
 *     byte-at-a-time feeding with last_len ends in the whole answer;
 *   - a request the server accepts gets a 101 that the client side of the
 *     library accepts for the same key.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handshake_fuzz.h"
#include "wsframe.h"

#define MAXH 24

static int parse_request(const char *buf, size_t len, size_t last_len, const void *limits)
{
    ws_http_request req;
    ws_http_header h[MAXH];
    return ws_http_parse_request(buf, len, last_len, limits, &req, h, MAXH);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    ws_limits limits;
    ws_limits_default(&limits);
    /* Let the first byte pick tight limits sometimes, so limit paths run. */
    if (size > 0 && data[0] == 'P') {
        limits.max_header_bytes = 64;
        limits.max_headers = 3;
        limits.max_protocols = 2;
        limits.max_extensions = 2;
    }
    ws_http_request req;
    ws_http_header h[MAXH];
    int whole = ws_http_parse_request(buf, size, 0, &limits, &req, h, MAXH);
    require(whole < 0 || (whole > 0 && (size_t)whole <= size));

    require_prefixes_agree(parse_request, &limits, data, size, whole,
                           1 + (size ? data[size - 1] % 7 : 0));
    if (whole <= 0)
        return 0;

    require(in_range(req.method, req.method_len, data, size));
    require(in_range(req.target, req.target_len, data, size));
    require(req.num_headers <= MAXH);
    for (size_t i = 0; i < req.num_headers; i++) {
        require(in_range(h[i].name, h[i].name_len, data, size));
        require(in_range(h[i].value, h[i].value_len, data, size));
    }

    ws_handshake_request hs;
    ws_status st = ws_handshake_check_request(&req, &limits, &hs);
    ws_extension ext[4];
    ws_extension_param params[8];
    int next = ws_handshake_parse_extensions(h, req.num_headers, &limits, ext, 4, params, 8);
    for (int i = 0; i < next; i++) {
        require(in_range(ext[i].name, ext[i].name_len, data, size));
        for (size_t j = 0; j < ext[i].num_params; j++) {
            require(in_range(ext[i].params[j].name, ext[i].params[j].name_len, data, size));
            if (ext[i].params[j].value)
                require(in_range(ext[i].params[j].value, ext[i].params[j].value_len, data, size));
        }
    }
    char out[1024];
    if (st != WS_OK) {
        require(ws_handshake_write_rejection(st, out, sizeof out) > 0);
        return 0;
    }
    require(in_range(hs.key, hs.key_len, data, size));
    require(in_range(hs.host, hs.host_len, data, size));
    if (hs.origin)
        require(in_range(hs.origin, hs.origin_len, data, size));
    const char *allowed[] = {"https://example.com", "null"};
    (void)ws_handshake_check_origin(hs.origin, hs.origin_len, allowed, 2);

    const char *supported[] = {"chat", "superchat"};
    const char *chosen = NULL;
    require(ws_handshake_select_protocol(&req, supported, 2, &limits, &chosen) == WS_OK);
    int n = ws_handshake_write_response(&hs, chosen, NULL, NULL, out, sizeof out);
    require(n > 0);

    ws_http_response res;
    ws_http_header rh[MAXH];
    const char *answer = out;
    if (hs.expect_continue) {
        /* RFC 9110 section 7.8: the interim 100 first, then the 101. */
        int interim = ws_http_parse_response(out, (size_t)n, 0, NULL, &res, rh, MAXH);
        require(interim > 0 && interim < n && res.status == 100);
        answer += interim;
        n -= interim;
    }
    require(ws_http_parse_response(answer, (size_t)n, 0, NULL, &res, rh, MAXH) == n);
    char key[WS_KEY_LEN + 1];
    memcpy(key, hs.key, WS_KEY_LEN);
    key[WS_KEY_LEN] = '\0';
    ws_client_options opts = {NULL, supported, 2, NULL, NULL};
    ws_handshake_response hr;
    require(ws_handshake_check_response(&res, key, &opts, &hr) == WS_OK);
    require((hr.protocol == NULL) == (chosen == NULL));
    return 0;
}
