/* The library allocates nothing: this binary is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free, so any
 * allocation from the statically linked library lands in the wrappers below,
 * which count it. Each test drives a whole flow through the public API (both
 * handshake roles, frames, the stream parser, the writer, the close
 * handshake) and asserts the count stayed zero. */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* volatile: compilers assume malloc touches no global of ours. */
static volatile unsigned allocations;

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

void *__wrap_malloc(size_t n) { allocations++; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { allocations++; return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { allocations++; return __real_realloc(p, n); }
void __wrap_free(void *p) { if (p) allocations++; __real_free(p); }

static void fixed_key(void *ctx, uint8_t key[4])
{
    (void)ctx;
    memcpy(key, "\x37\xfa\x21\x3d", 4);
}

static void test_handshake_both_roles(void **state)
{
    (void)state;
    allocations = 0;
    ws_limits lim;
    ws_limits_default(&lim);

    ws_url url;
    const char *u = "ws://127.0.0.1:8080/chat?room=1";
    assert_int_equal(ws_url_parse(u, strlen(u), &url), WS_OK);
    const char *protos[] = {"chat"};
    ws_client_options opts = {.protocols = protos, .num_protocols = 1};
    uint8_t nonce[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    char key[WS_KEY_LEN + 1];
    char request[1024];
    int rlen = ws_handshake_write_request(&url, &opts, nonce, key, request, sizeof request);
    assert_true(rlen > 0);

    ws_http_header headers[32];
    ws_http_request req;
    assert_int_equal(ws_http_parse_request(request, (size_t)rlen, 0, &lim, &req, headers, 32), rlen);
    ws_handshake_request hs;
    assert_int_equal(ws_handshake_check_request(&req, &lim, &hs), WS_OK);
    const char *chosen = NULL;
    assert_int_equal(ws_handshake_select_protocol(&req, protos, 1, &lim, &chosen), WS_OK);
    char response[1024];
    int slen = ws_handshake_write_response(&hs, chosen, NULL, NULL, response, sizeof response);
    assert_true(slen > 0);

    ws_http_header rheaders[32];
    ws_http_response res;
    assert_int_equal(ws_http_parse_response(response, (size_t)slen, 0, &lim, &res, rheaders, 32), slen);
    ws_handshake_response hr;
    assert_int_equal(ws_handshake_check_response(&res, key, &opts, &hr), WS_OK);
    char reject[512];
    assert_true(ws_handshake_write_rejection(WS_E_HS_BAD_VERSION, reject, sizeof reject) > 0);
    assert_int_equal(allocations, 0);
}

static void test_messages_both_ways(void **state)
{
    (void)state;
    allocations = 0;
    ws_writer client, server;
    ws_writer_init(&client, WS_ROLE_CLIENT, 7, fixed_key, NULL);
    ws_writer_init(&server, WS_ROLE_SERVER, 0, NULL, NULL);
    uint8_t wire[4096];
    size_t len = 0;
    ptrdiff_t n = ws_message_write(&client, WS_OP_TEXT, "hello, wörld ✓", strlen("hello, wörld ✓"),
                                   wire, sizeof wire);
    assert_true(n > 0);
    len += (size_t)n;
    n = ws_ping_write(&client, "p", 1, wire + len, sizeof wire - len);
    assert_true(n > 0);
    len += (size_t)n;
    ws_closing closing;
    ws_closing_init(&closing, WS_ROLE_CLIENT);
    assert_int_equal(ws_closing_request(&closing, 1000, "bye", 3), WS_OK);
    assert_int_equal(ws_closing_next(&closing), WS_CLOSING_SEND_CLOSE);
    n = ws_closing_write(&closing, &client, wire + len, sizeof wire - len);
    assert_true(n > 0);
    len += (size_t)n;

    ws_parser p;
    ws_parser_init(&p, WS_ROLE_SERVER, NULL);
    size_t off = 0;
    int events = 0;
    ws_event ev;
    for (;;) {
        n = ws_parser_next(&p, wire + off, len - off, &ev);
        assert_true(n >= 0);
        off += (size_t)n;
        if (ev.type == WS_EV_NONE || ev.type == WS_EV_CLOSE)
            break;
        events++;
    }
    assert_int_equal(ev.type, WS_EV_CLOSE);
    assert_int_equal(ev.close_code, 1000);
    assert_true(events >= 4);

    uint8_t out[256];
    assert_true(ws_message_write(&server, WS_OP_BINARY, "xyz", 3, out, sizeof out) > 0);
    assert_int_equal(ws_utf8_validate((const uint8_t *)"\xe2\x9c\x93", 3), WS_OK);
    assert_int_equal(allocations, 0);
}

static void test_frame_layer(void **state)
{
    (void)state;
    allocations = 0;
    ws_frame f = {.fin = true, .opcode = WS_OP_BINARY, .masked = true,
                  .mask = {1, 2, 3, 4}, .payload_len = 300};
    uint8_t payload[300] = {0};
    uint8_t out[400];
    ptrdiff_t n = ws_frame_write(&f, payload, sizeof payload, out, sizeof out);
    assert_true(n > 0);
    ws_frame g;
    assert_int_equal(ws_frame_parse(out, (size_t)n, WS_ROLE_SERVER, 0, &g), 8);
    uint8_t close[32];
    int c = ws_close_build(1001, "away", 4, close, sizeof close);
    uint16_t code;
    const char *reason;
    size_t reason_len;
    assert_int_equal(ws_close_parse(close, (size_t)c, &code, &reason, &reason_len), WS_OK);
    assert_int_equal(allocations, 0);
}

int main(void)
{
    /* Prove the wrappers are live before trusting a zero. */
    allocations = 0;
    void *volatile probe = malloc(1);
    free(probe);
    if (allocations != 2) {
        fprintf(stderr, "malloc is not wrapped; the test would prove nothing\n");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_both_roles),
        cmocka_unit_test(test_messages_both_ways),
        cmocka_unit_test(test_frame_layer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
