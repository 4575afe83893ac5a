/*
 * libFuzzer target for the client side: ws_http_parse_response, then
 * ws_handshake_check_response. Invariants: pointers stay inside the
 * input, prefixes answer WS_INCOMPLETE or the whole input's error, chunked
 * feeding with last_len ends in the whole answer, and an accepted response
 * names only a protocol that was offered.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handshake_fuzz.h"
#include "wsframe.h"

#define MAXH 24

static int parse_response(const char *buf, size_t len, size_t last_len, const void *ctx)
{
    (void)ctx;
    ws_http_response res;
    ws_http_header h[MAXH];
    return ws_http_parse_response(buf, len, last_len, NULL, &res, h, MAXH);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    ws_http_response res;
    ws_http_header h[MAXH];
    int whole = ws_http_parse_response(buf, size, 0, NULL, &res, h, MAXH);
    require(whole < 0 || (size_t)whole <= size);

    require_prefixes_agree(parse_response, NULL, data, size, whole,
                           1 + (size ? data[size - 1] % 5 : 0));
    if (whole <= 0)
        return 0;

    require(res.status >= 100 && res.status <= 999);
    require(in_range(res.reason, res.reason_len, data, size));
    for (size_t i = 0; i < res.num_headers; i++) {
        require(in_range(h[i].name, h[i].name_len, data, size));
        require(in_range(h[i].value, h[i].value_len, data, size));
    }
    const char *offered[] = {"chat", "superchat"};
    ws_client_options opts = {NULL, offered, 2, "permessage-deflate; client_max_window_bits",
                              NULL};
    ws_handshake_response hr;
    ws_status st = ws_handshake_check_response(&res, "dGhlIHNhbXBsZSBub25jZQ==", &opts, &hr);
    if (st == WS_OK) {
        require(res.status == 101);
        if (hr.protocol) {
            require(in_range(hr.protocol, hr.protocol_len, data, size));
            require((hr.protocol_len == 4 && memcmp(hr.protocol, "chat", 4) == 0) ||
                    (hr.protocol_len == 9 && memcmp(hr.protocol, "superchat", 9) == 0));
        }
    }
    return 0;
}
