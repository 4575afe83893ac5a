/* The opening handshake (RFC 6455 section 4), one table per section:
 * the server's checks (4.2.1), its answers (4.2.2, 4.4), the client's
 * request (4.1) and its checks of the answer, plus the accept key (1.3). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXH 32

/* ------------------------------------------------ section 1.3: the keys */

static void test_accept_key_rfc_example(void **state)
{
    (void)state;
    char accept[WS_ACCEPT_LEN + 1];
    ws_handshake_accept("dGhlIHNhbXBsZSBub25jZQ==", 24, accept);
    assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");

    char key[WS_KEY_LEN + 1];
    ws_handshake_key((const uint8_t *)"the sample nonce", key);
    assert_string_equal(key, "dGhlIHNhbXBsZSBub25jZQ==");
}

/* --------------------------------------- section 4.2.1: the server reads */

struct parsed_request {
    uint8_t *guard;
    size_t len;
    ws_http_request req;
    ws_http_header h[MAXH];
};

static void parse_request(struct parsed_request *p, const char *text)
{
    p->len = strlen(text);
    p->guard = ws_test_guard_copy(text, p->len);
    int r = ws_http_parse_request((const char *)p->guard, p->len, 0, NULL, &p->req, p->h, MAXH);
    if (r != (int)p->len)
        fail_msg("request did not parse: %s\n%s", ws_status_name(r), text);
}

static void release(struct parsed_request *p)
{
    ws_test_guard_free(p->guard, p->len);
}

#define LINE_GET "GET /chat HTTP/1.1\r\n"
#define LINE_HOST "Host: server.example.com\r\n"
#define LINE_UPGRADE "Upgrade: websocket\r\n"
#define LINE_CONNECTION "Connection: Upgrade\r\n"
#define LINE_KEY "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
#define LINE_VERSION "Sec-WebSocket-Version: 13\r\n"
#define VALID LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION LINE_KEY LINE_VERSION

static const struct {
    const char *name;
    const char *text;
    ws_status expect;
} request_rules[] = {
    {"RFC 6455 section 1.3 example",
     LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION LINE_KEY
     "Origin: http://example.com\r\n"
     "Sec-WebSocket-Protocol: chat, superchat\r\n" LINE_VERSION "\r\n",
     WS_OK},
    {"lower-case names, odd whitespace",
     "GET / HTTP/1.1\r\nhost:a\r\nupgrade:\tWebSocket \r\nconnection:  keep-alive,upgrade\r\n"
     "sec-websocket-key:dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version:13\t\r\n\r\n",
     WS_OK},
    {"Connection split over two fields",
     "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nUpgrade: websocket\r\n"
     "Connection: UPGRADE\r\n" LINE_KEY LINE_VERSION "\r\n",
     WS_OK},
    {"Upgrade among others", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c, WEBSOCKET\r\n"
     LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n", WS_OK},
    {"HTTP/1.2 is later than 1.1", "GET / HTTP/1.2\r\nHost: a\r\n" LINE_UPGRADE LINE_CONNECTION
     LINE_KEY LINE_VERSION "\r\n", WS_OK},
    {"plain page request", "GET /index.html HTTP/1.1\r\nHost: a\r\nAccept: text/html\r\n\r\n",
     WS_E_HS_NOT_WEBSOCKET},
    {"plain HTTP/1.0 request", "GET / HTTP/1.0\r\n\r\n", WS_E_HS_NOT_WEBSOCKET},
    {"other upgrade", "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
     WS_E_HS_NOT_WEBSOCKET},
    {"POST", "POST /chat HTTP/1.1\r\n" LINE_HOST LINE_UPGRADE LINE_CONNECTION LINE_KEY
     LINE_VERSION "\r\n", WS_E_HS_METHOD},
    {"lower-case get", "get /chat HTTP/1.1\r\n" LINE_HOST LINE_UPGRADE LINE_CONNECTION LINE_KEY
     LINE_VERSION "\r\n", WS_E_HS_METHOD},
    {"HTTP/1.0", "GET /chat HTTP/1.0\r\n" LINE_HOST LINE_UPGRADE LINE_CONNECTION LINE_KEY
     LINE_VERSION "\r\n", WS_E_HTTP_VERSION},
    {"absolute-form target", "GET ws://example.com/chat HTTP/1.1\r\n" LINE_HOST LINE_UPGRADE
     LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n", WS_OK},
    {"absolute-form http target", "GET http://a/ HTTP/1.1\r\n" LINE_HOST LINE_UPGRADE
     LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n", WS_OK},
    /* RFC 9112 section 3.2.4: "*" is for OPTIONS only. */
    {"asterisk target", "GET * HTTP/1.1\r\n" LINE_HOST LINE_UPGRADE LINE_CONNECTION LINE_KEY
     LINE_VERSION "\r\n", WS_E_HS_BAD_TARGET},
    {"authority-form target", "GET example.com:80 HTTP/1.1\r\n" LINE_HOST LINE_UPGRADE
     LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n", WS_E_HS_BAD_TARGET},
    {"relative path target", "GET chat HTTP/1.1\r\n" LINE_HOST LINE_UPGRADE LINE_CONNECTION
     LINE_KEY LINE_VERSION "\r\n", WS_E_HS_BAD_TARGET},
    {"scheme without authority", "GET ws:/chat HTTP/1.1\r\n" LINE_HOST LINE_UPGRADE
     LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n", WS_E_HS_BAD_TARGET},
    {"scheme starting with a digit", "GET 1ws://a/ HTTP/1.1\r\n" LINE_HOST LINE_UPGRADE
     LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n", WS_E_HS_BAD_TARGET},
    /* RFC 6455 section 3: no fragment in a WebSocket URI; a '#' that is
     * data travels as %23. */
    {"fragment in target", "GET /chat#top HTTP/1.1\r\n" LINE_HOST LINE_UPGRADE LINE_CONNECTION
     LINE_KEY LINE_VERSION "\r\n", WS_E_HS_BAD_TARGET},
    {"fragment in absolute-form target", "GET ws://example.com/chat?a#b HTTP/1.1\r\n" LINE_HOST
     LINE_UPGRADE LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n", WS_E_HS_BAD_TARGET},
    {"escaped # in target", "GET /chat%23top HTTP/1.1\r\n" LINE_HOST LINE_UPGRADE
     LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n", WS_OK},
    {"no Host", LINE_GET LINE_UPGRADE LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n",
     WS_E_HS_NO_HOST},
    {"two Hosts", VALID "Host: evil.example\r\n\r\n", WS_E_HS_NO_HOST},
    {"empty Host", LINE_GET "Host:\r\n" LINE_UPGRADE LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n",
     WS_E_HS_NO_HOST},
    /* RFC 9112 section 3.2: Host is uri-host [":" port], else 400. */
#define WITH_HOST(value) LINE_GET "Host: " value "\r\n" LINE_UPGRADE LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n"
    {"Host with port", WITH_HOST("server.example.com:8080"), WS_OK},
    {"Host IPv4 with port", WITH_HOST("127.0.0.1:9001"), WS_OK},
    {"Host IPv6 literal", WITH_HOST("[::1]"), WS_OK},
    {"Host IPv6 literal with port", WITH_HOST("[2001:db8::1]:443"), WS_OK},
    {"Host with sub-delims and escape", WITH_HOST("my_host-1.~x!$&'()*+,;=%41"), WS_OK},
    {"Host with empty port", WITH_HOST("example.com:"), WS_OK},
    {"Host with a space", WITH_HOST("a b"), WS_E_HS_NO_HOST},
    {"Host with userinfo", WITH_HOST("u@a"), WS_E_HS_NO_HOST},
    {"Host with a path", WITH_HOST("a/b"), WS_E_HS_NO_HOST},
    {"Host with two colons", WITH_HOST("a:1:2"), WS_E_HS_NO_HOST},
    {"Host with a letter in the port", WITH_HOST("a:8o"), WS_E_HS_NO_HOST},
    {"Host with port 65536", WITH_HOST("a:65536"), WS_E_HS_NO_HOST},
    {"Host IPv6 literal not IPv6", WITH_HOST("[a:b:c]"), WS_E_HS_NO_HOST},
    {"Host with a bad escape", WITH_HOST("a%4g"), WS_E_HS_NO_HOST},
    {"Host with a cut escape", WITH_HOST("a%4"), WS_E_HS_NO_HOST},
    {"Host IPv6 unclosed", WITH_HOST("[::1"), WS_E_HS_NO_HOST},
    {"Host IPv6 empty", WITH_HOST("[]"), WS_E_HS_NO_HOST},
    {"Host IPv6 then junk", WITH_HOST("[::1]x"), WS_E_HS_NO_HOST},
    {"Host with a quote", WITH_HOST("a\"b"), WS_E_HS_NO_HOST},
#undef WITH_HOST
    {"Upgrade without websocket, key present",
     LINE_GET LINE_HOST "Upgrade: h2c\r\n" LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n",
     WS_E_HS_NO_UPGRADE_TOKEN},
    {"no Upgrade, key present", LINE_GET LINE_HOST LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n",
     WS_E_HS_NO_UPGRADE_TOKEN},
    {"websocket as part of a token",
     LINE_GET LINE_HOST "Upgrade: websockets\r\n" LINE_CONNECTION LINE_KEY LINE_VERSION "\r\n",
     WS_E_HS_NO_UPGRADE_TOKEN},
    {"no Connection", LINE_GET LINE_HOST LINE_UPGRADE LINE_KEY LINE_VERSION "\r\n",
     WS_E_HS_NO_CONNECTION_UPGRADE},
    {"Connection: keep-alive only",
     LINE_GET LINE_HOST LINE_UPGRADE "Connection: keep-alive\r\n" LINE_KEY LINE_VERSION "\r\n",
     WS_E_HS_NO_CONNECTION_UPGRADE},
    {"Connection: Upgraded",
     LINE_GET LINE_HOST LINE_UPGRADE "Connection: Upgraded\r\n" LINE_KEY LINE_VERSION "\r\n",
     WS_E_HS_NO_CONNECTION_UPGRADE},
    /* RFC 6455 section 1.3: the key is the value minus leading and
     * trailing whitespace (the test below checks hs.key for WS_OK rows). */
    {"key with whitespace around", LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION
     "Sec-WebSocket-Key: \t dGhlIHNhbXBsZSBub25jZQ== \t\r\n" LINE_VERSION "\r\n", WS_OK},
    {"no key", LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION LINE_VERSION "\r\n",
     WS_E_HS_BAD_KEY},
    {"two keys", VALID LINE_KEY "\r\n", WS_E_HS_BAD_KEY},
    {"empty key", LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION "Sec-WebSocket-Key:\r\n"
     LINE_VERSION "\r\n", WS_E_HS_BAD_KEY},
    {"key of 15 bytes", LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25j\r\n" LINE_VERSION "\r\n", WS_E_HS_BAD_KEY},
    {"key of 17 bytes", LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZSE=\r\n" LINE_VERSION "\r\n", WS_E_HS_BAD_KEY},
    {"key without padding", LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ\r\n" LINE_VERSION "\r\n", WS_E_HS_BAD_KEY},
    {"key with bad character", LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION
     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ*==\r\n" LINE_VERSION "\r\n", WS_E_HS_BAD_KEY},
    {"no version", LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION LINE_KEY "\r\n",
     WS_E_HS_BAD_VERSION},
    {"version 8", LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION LINE_KEY
     "Sec-WebSocket-Version: 8\r\n\r\n", WS_E_HS_BAD_VERSION},
    {"version list", LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION LINE_KEY
     "Sec-WebSocket-Version: 13, 8\r\n\r\n", WS_E_HS_BAD_VERSION},
    /* RFC 6455 section 11.3.5: the field MUST NOT appear more than once. */
    {"version repeated", VALID LINE_VERSION "\r\n", WS_E_HS_REPEATED_VERSION},
    {"version 13 and 8 in two fields", VALID "Sec-WebSocket-Version: 8\r\n\r\n",
     WS_E_HS_REPEATED_VERSION},
    {"version 013", LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION LINE_KEY
     "Sec-WebSocket-Version: 013\r\n\r\n", WS_E_HS_BAD_VERSION},
    {"protocol not a token", VALID "Sec-WebSocket-Protocol: chat, a/b\r\n\r\n",
     WS_E_HS_BAD_TOKEN_LIST},
    {"protocol with a space", VALID "Sec-WebSocket-Protocol: chat v2\r\n\r\n",
     WS_E_HS_BAD_TOKEN_LIST},
    {"extension malformed", VALID "Sec-WebSocket-Extensions: foo;\r\n\r\n",
     WS_E_HS_BAD_EXTENSION},
    {"extension with empty value", VALID "Sec-WebSocket-Extensions: foo; a=\r\n\r\n",
     WS_E_HS_BAD_EXTENSION},
    {"extension quoted value not a token",
     VALID "Sec-WebSocket-Extensions: foo; a=\"b c\"\r\n\r\n", WS_E_HS_BAD_EXTENSION},
    {"extension unclosed quote", VALID "Sec-WebSocket-Extensions: foo; a=\"b\r\n\r\n",
     WS_E_HS_BAD_EXTENSION},
    /* RFC 6455 section 9.1: every element starts with an extension-token. */
    {"extension without a name", VALID "Sec-WebSocket-Extensions: ; a=1\r\n\r\n",
     WS_E_HS_BAD_EXTENSION},
    {"extension named by a quoted string",
     VALID "Sec-WebSocket-Extensions: foo, \"bar\"\r\n\r\n", WS_E_HS_BAD_EXTENSION},
    /* RFC 9112 section 6: the protocol switches after the whole request,
     * body included; frames would start inside a body nothing reads. */
    {"Content-Length 5", VALID "Content-Length: 5\r\n\r\n", WS_E_HS_BODY},
    {"Content-Length 0", VALID "Content-Length: 0\r\n\r\n", WS_OK},
    {"Content-Length 00", VALID "content-length: 00\r\n\r\n", WS_OK},
    {"empty Content-Length", VALID "Content-Length:\r\n\r\n", WS_E_HS_BODY},
    {"Content-Length 0 then 7", VALID "Content-Length: 0\r\nContent-Length: 7\r\n\r\n",
     WS_E_HS_BODY},
    {"Transfer-Encoding chunked", VALID "Transfer-Encoding: chunked\r\n\r\n", WS_E_HS_BODY},
    {"Transfer-Encoding identity", VALID "transfer-encoding: identity\r\n\r\n", WS_E_HS_BODY},
    {"Expect 100-continue without a body", VALID "Expect: 100-continue\r\n\r\n", WS_OK},
};

/* RFC 6455 section 4.1's example key, "AQIDBAUGBwgJCgsMDQ4PEC==", encodes
 * its 16 bytes with the two bits after them set. RFC 4648 section 3.5 lets
 * a decoder ignore those bits, and Python websockets and Node ws do; so
 * the key is taken, and answered from its text as sent. */
static void test_rfc_example_key(void **state)
{
    (void)state;
    struct parsed_request p;
    parse_request(&p, LINE_GET LINE_HOST LINE_UPGRADE LINE_CONNECTION
                  "Sec-WebSocket-Key: AQIDBAUGBwgJCgsMDQ4PEC==\r\n" LINE_VERSION "\r\n");
    ws_handshake_request hs;
    assert_int_equal(ws_handshake_check_request(&p.req, NULL, &hs), WS_OK);
    assert_int_equal(hs.key_len, 24);
    assert_memory_equal(hs.key, "AQIDBAUGBwgJCgsMDQ4PEC==", 24);
    char accept[WS_ACCEPT_LEN + 1], canonical[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(hs.key, hs.key_len, accept);
    ws_handshake_accept("AQIDBAUGBwgJCgsMDQ4PEA==", 24, canonical);
    assert_string_not_equal(accept, canonical);
}

static void test_request_rules(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof request_rules / sizeof request_rules[0]; i++) {
        struct parsed_request p;
        parse_request(&p, request_rules[i].text);
        ws_handshake_request hs;
        ws_status st = ws_handshake_check_request(&p.req, NULL, &hs);
        if (st != request_rules[i].expect)
            fail_msg("%s: got %s, want %s", request_rules[i].name, ws_status_name(st),
                     ws_status_name(request_rules[i].expect));
        if (st == WS_OK) {
            assert_int_equal(hs.key_len, 24);
            assert_memory_equal(hs.key, "dGhlIHNhbXBsZSBub25jZQ==", 24);
        }
        /* Split at every offset: the head is WS_INCOMPLETE until its last
         * byte, then the verdict is the same as for the whole. */
        for (size_t cut = 1; cut < p.len; cut++) {
            ws_http_request req;
            ws_http_header h[MAXH];
            assert_int_equal(ws_http_parse_request((const char *)p.guard, cut, 0, NULL, &req, h,
                                                   MAXH),
                             WS_INCOMPLETE);
            assert_int_equal(ws_http_parse_request((const char *)p.guard, p.len, cut, NULL, &req,
                                                   h, MAXH),
                             (int)p.len);
            assert_int_equal(ws_handshake_check_request(&req, NULL, NULL), st);
        }
        release(&p);
    }
}

static void test_request_fields_exposed(void **state)
{
    (void)state;
    struct parsed_request p;
    parse_request(&p, request_rules[0].text);
    ws_handshake_request hs;
    assert_int_equal(ws_handshake_check_request(&p.req, NULL, &hs), WS_OK);
    assert_int_equal(hs.target_len, 5);
    assert_memory_equal(hs.target, "/chat", 5);
    assert_int_equal(hs.host_len, strlen("server.example.com"));
    assert_memory_equal(hs.host, "server.example.com", hs.host_len);
    assert_int_equal(hs.origin_len, strlen("http://example.com"));
    assert_memory_equal(hs.origin, "http://example.com", hs.origin_len);
    assert_int_equal(hs.num_protocols, 2);
    assert_int_equal(hs.num_extensions, 0);
    release(&p);

    parse_request(&p, VALID "\r\n");
    assert_int_equal(ws_handshake_check_request(&p.req, NULL, &hs), WS_OK);
    assert_null(hs.origin);
    assert_int_equal(hs.num_protocols, 0);
    release(&p);
}

static void test_request_limits(void **state)
{
    (void)state;
    ws_limits l;
    ws_limits_default(&l);
    struct parsed_request p;
    parse_request(&p, VALID "Sec-WebSocket-Protocol: a, b\r\nSec-WebSocket-Protocol: c\r\n"
                            "Sec-WebSocket-Extensions: x; p=1; q, y\r\n"
                            "Sec-WebSocket-Extensions: z\r\n\r\n");
    ws_handshake_request hs;
    l.max_protocols = 3;
    l.max_extensions = 3;
    assert_int_equal(ws_handshake_check_request(&p.req, &l, &hs), WS_OK);
    assert_int_equal(hs.num_protocols, 3);
    assert_int_equal(hs.num_extensions, 3);
    l.max_protocols = 2;
    assert_int_equal(ws_handshake_check_request(&p.req, &l, &hs), WS_E_HS_TOO_MANY_PROTOCOLS);
    l.max_protocols = 3;
    l.max_extensions = 2; /* three extensions; x also has two params: still fine per extension */
    assert_int_equal(ws_handshake_check_request(&p.req, &l, &hs), WS_E_HS_TOO_MANY_EXTENSIONS);
    release(&p);

    parse_request(&p, VALID "Sec-WebSocket-Extensions: x; a; b; c\r\n\r\n");
    l.max_extensions = 2; /* one extension with three parameters */
    assert_int_equal(ws_handshake_check_request(&p.req, &l, &hs), WS_E_HS_TOO_MANY_EXTENSIONS);
    l.max_extensions = 3;
    assert_int_equal(ws_handshake_check_request(&p.req, &l, &hs), WS_OK);
    release(&p);
}

/* The first of the server's preferences that the client offered, in any
 * field; exact names. */
static void test_select_protocol(void **state)
{
    (void)state;
    struct parsed_request p;
    parse_request(&p, VALID "Sec-WebSocket-Protocol: chat.v1, Chat.V2\r\n"
                            "Sec-WebSocket-Protocol: mqtt\r\n\r\n");
    const char *chosen = "sentinel";
    const char *pref1[] = {"mqtt", "chat.v1"};
    assert_int_equal(ws_handshake_select_protocol(&p.req, pref1, 2, NULL, &chosen), WS_OK);
    assert_ptr_equal(chosen, pref1[0]);
    const char *pref2[] = {"chat.v2", "chat.v1", "mqtt"};
    assert_int_equal(ws_handshake_select_protocol(&p.req, pref2, 3, NULL, &chosen), WS_OK);
    assert_ptr_equal(chosen, pref2[1]); /* "chat.v2" differs in case from "Chat.V2" */
    const char *pref3[] = {"soap", "chat"};
    assert_int_equal(ws_handshake_select_protocol(&p.req, pref3, 2, NULL, &chosen), WS_OK);
    assert_null(chosen);
    assert_int_equal(ws_handshake_select_protocol(&p.req, NULL, 0, NULL, &chosen), WS_OK);
    assert_null(chosen);
    ws_limits l;
    ws_limits_default(&l);
    l.max_protocols = 2;
    assert_int_equal(ws_handshake_select_protocol(&p.req, pref1, 2, &l, &chosen),
                     WS_E_HS_TOO_MANY_PROTOCOLS);
    release(&p);

    parse_request(&p, VALID "\r\n");
    assert_int_equal(ws_handshake_select_protocol(&p.req, pref1, 2, NULL, &chosen), WS_OK);
    assert_null(chosen);
    release(&p);
}

static void test_parse_extensions(void **state)
{
    (void)state;
    struct parsed_request p;
    parse_request(&p, VALID "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits,"
                            " permessage-deflate ;server_max_window_bits = \"10\" ; x=y\r\n"
                            "Sec-WebSocket-Extensions: foo\r\n\r\n");
    ws_extension ext[4];
    ws_extension_param params[8];
    int n = ws_handshake_parse_extensions(p.h, p.req.num_headers, NULL, ext, 4, params, 8);
    assert_int_equal(n, 3);
    assert_memory_equal(ext[0].name, "permessage-deflate", ext[0].name_len);
    assert_int_equal(ext[0].num_params, 1);
    assert_memory_equal(ext[0].params[0].name, "client_max_window_bits",
                        ext[0].params[0].name_len);
    assert_null(ext[0].params[0].value);
    assert_int_equal(ext[1].num_params, 2);
    assert_memory_equal(ext[1].params[0].name, "server_max_window_bits",
                        ext[1].params[0].name_len);
    assert_int_equal(ext[1].params[0].value_len, 2);
    assert_memory_equal(ext[1].params[0].value, "10", 2);
    assert_true(ext[1].params[0].quoted);
    assert_memory_equal(ext[1].params[1].value, "y", 1);
    assert_false(ext[1].params[1].quoted);
    assert_int_equal(ext[2].name_len, 3);
    assert_memory_equal(ext[2].name, "foo", 3);
    assert_int_equal(ext[2].num_params, 0);

    /* Arrays that are too small are errors, not truncation. */
    assert_int_equal(ws_handshake_parse_extensions(p.h, p.req.num_headers, NULL, ext, 2, params, 8),
                     WS_E_HS_TOO_MANY_EXTENSIONS);
    assert_int_equal(ws_handshake_parse_extensions(p.h, p.req.num_headers, NULL, ext, 4, params, 2),
                     WS_E_HS_TOO_MANY_EXTENSIONS);
    assert_int_equal(ws_handshake_parse_extensions(p.h, p.req.num_headers, NULL, ext, 4, NULL, 0),
                     WS_E_HS_TOO_MANY_EXTENSIONS);
    /* Count only. */
    assert_int_equal(ws_handshake_parse_extensions(p.h, p.req.num_headers, NULL, NULL, 0, NULL, 0),
                     3);
    release(&p);

    parse_request(&p, VALID "Sec-WebSocket-Extensions: a; b=\"c\\\"d\"\r\n\r\n");
    assert_int_equal(ws_handshake_parse_extensions(p.h, p.req.num_headers, NULL, ext, 4, params, 8),
                     WS_E_HS_BAD_EXTENSION); /* an escaped quote is not a token character */
    release(&p);
    parse_request(&p, VALID "Sec-WebSocket-Extensions: a; b=\"c\\d\"\r\n\r\n");
    assert_int_equal(ws_handshake_parse_extensions(p.h, p.req.num_headers, NULL, ext, 4, params, 8),
                     1);
    assert_int_equal(ext[0].params[0].value_len, 3); /* escapes left in place */
    release(&p);
}

/* --------------------------------------- section 4.2.2: the server answers */

static void test_write_response(void **state)
{
    (void)state;
    struct parsed_request p;
    parse_request(&p, request_rules[0].text);
    ws_handshake_request hs;
    assert_int_equal(ws_handshake_check_request(&p.req, NULL, &hs), WS_OK);
    char out[512];
    int n = ws_handshake_write_response(&hs, "chat", NULL, NULL, out, sizeof out);
    const char *expect = "HTTP/1.1 101 Switching Protocols\r\n"
                         "Upgrade: websocket\r\n"
                         "Connection: Upgrade\r\n"
                         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                         "Sec-WebSocket-Protocol: chat\r\n"
                         "\r\n";
    assert_int_equal(n, (int)strlen(expect));
    assert_memory_equal(out, expect, (size_t)n);
    for (size_t cap = 0; cap < strlen(expect); cap++)
        assert_int_equal(ws_handshake_write_response(&hs, "chat", NULL, NULL, out, cap),
                         WS_E_BUFFER_TOO_SMALL);

    n = ws_handshake_write_response(&hs, NULL, "permessage-deflate", "Set-Cookie: a=b\r\n", out,
                                    sizeof out);
    expect = "HTTP/1.1 101 Switching Protocols\r\n"
             "Upgrade: websocket\r\n"
             "Connection: Upgrade\r\n"
             "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
             "Sec-WebSocket-Extensions: permessage-deflate\r\n"
             "Set-Cookie: a=b\r\n"
             "\r\n";
    assert_int_equal(n, (int)strlen(expect));
    assert_memory_equal(out, expect, (size_t)n);

    assert_int_equal(ws_handshake_write_response(&hs, "a b", NULL, NULL, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    /* Section 4.2.2: the empty string is not a legal subprotocol (NULL is
     * how "none" is said, and sends no field). */
    assert_int_equal(ws_handshake_write_response(&hs, "", NULL, NULL, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_handshake_write_response(&hs, NULL, "x\r\nEvil: 1", NULL, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_handshake_write_response(&hs, NULL, NULL, "Evil: 1", out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    /* RFC 6455 sections 11.3.2-11.3.4: Sec-WebSocket-Accept, -Protocol and
     * -Extensions appear at most once in a response, so extra lines may not
     * repeat one that is written; ones that are not written may be added. */
    assert_int_equal(ws_handshake_write_response(&hs, NULL, NULL,
                                                 "sec-websocket-accept: x\r\n", out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_handshake_write_response(&hs, "chat", NULL,
                                                 "A: b\r\nSec-WebSocket-Protocol: chat\r\n", out,
                                                 sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_handshake_write_response(&hs, NULL, "x-a",
                                                 "Sec-WebSocket-Extensions: x-b\r\n", out,
                                                 sizeof out),
                     WS_E_INVALID_ARGUMENT);
    n = ws_handshake_write_response(&hs, NULL, NULL, "Sec-WebSocket-Protocol: chat\r\n", out,
                                    sizeof out);
    assert_true(n > 0);
    n = ws_handshake_write_response(&hs, "chat", "", "Sec-WebSocket-Extensions: x-b\r\n", out,
                                    sizeof out);
    assert_true(n > 0);
    release(&p);
}

/* RFC 9110 section 7.8: a server that gets Upgrade and "Expect:
 * 100-continue" sends a 100 before the 101. */
static void test_expect_continue(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        bool expect_continue;
    } cases[] = {
        {"", false},
        {"Expect: 100-continue\r\n", true},
        {"Expect: 100-Continue\r\n", true},
        {"Expect: something-else\r\n", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s%s\r\n", VALID, cases[i].line);
        struct parsed_request p;
        parse_request(&p, text);
        ws_handshake_request hs;
        assert_int_equal(ws_handshake_check_request(&p.req, NULL, &hs), WS_OK);
        assert_int_equal(hs.expect_continue, cases[i].expect_continue);
        char out[512];
        int n = ws_handshake_write_response(&hs, NULL, NULL, NULL, out, sizeof out);
        assert_true(n > 0);
        const char *interim = "HTTP/1.1 100 Continue\r\n\r\n";
        const char *final = "HTTP/1.1 101 Switching Protocols\r\n";
        const char *after = cases[i].expect_continue ? out + strlen(interim) : out;
        if (cases[i].expect_continue)
            assert_memory_equal(out, interim, strlen(interim));
        assert_memory_equal(after, final, strlen(final));
        /* What a client reads: the interim answer, then the 101 after it. */
        ws_http_response res;
        ws_http_header h[MAXH];
        int head = ws_http_parse_response(out, (size_t)n, 0, NULL, &res, h, MAXH);
        assert_true(head > 0);
        assert_int_equal(res.status, cases[i].expect_continue ? 100 : 101);
        release(&p);
    }
}

/* Section 4.4 and RFC 9110: every refusal is a complete response a client
 * can parse, with the right status and extra fields. */
static void test_write_rejection(void **state)
{
    (void)state;
    static const struct {
        int error;
        int status;
        const char *field; /* a field that must be present, or NULL */
        const char *value;
    } cases[] = {
        {WS_E_HS_BAD_VERSION, 426, "Sec-WebSocket-Version", "13"},
        {WS_E_HS_NOT_WEBSOCKET, 426, "Upgrade", "websocket"},
        {WS_E_HS_BAD_KEY, 400, NULL, NULL},
        {WS_E_HS_NO_HOST, 400, NULL, NULL},
        {WS_E_HS_ORIGIN_FORBIDDEN, 403, NULL, NULL},
        {WS_E_HS_METHOD, 405, "Allow", "GET"},
        {WS_E_HTTP_HEADER_TOO_LARGE, 431, NULL, NULL},
        {WS_E_HTTP_URI_TOO_LONG, 414, NULL, NULL},
        {WS_E_HS_BAD_TARGET, 400, NULL, NULL},
        {WS_E_HS_REPEATED_VERSION, 400, NULL, NULL},
        {WS_E_HS_BODY, 400, NULL, NULL},
        {WS_E_HTTP_VERSION, 505, NULL, NULL},
        {WS_E_HTTP_NUL, 400, NULL, NULL},
        {WS_E_RESERVED_OPCODE, 400, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[512];
        int n = ws_handshake_write_rejection(cases[i].error, out, sizeof out);
        assert_true(n > 0);
        ws_http_response res;
        ws_http_header h[MAXH];
        int head = ws_http_parse_response(out, (size_t)n, 0, NULL, &res, h, MAXH);
        assert_true(head > 0);
        assert_int_equal(res.status, cases[i].status);
        if (cases[i].field) {
            const ws_http_header *f = ws_http_find_header(h, res.num_headers, cases[i].field, NULL);
            assert_non_null(f);
            assert_int_equal(f->value_len, strlen(cases[i].value));
            assert_memory_equal(f->value, cases[i].value, f->value_len);
        }
        /* The body is the sentence, and Content-Length says so. */
        const char *sentence = ws_strerror(cases[i].error);
        assert_int_equal((size_t)(n - head), strlen(sentence) + 1);
        assert_memory_equal(out + head, sentence, strlen(sentence));
        assert_true(ws_http_has_token(h, res.num_headers, "Connection", "close"));
        assert_int_equal(ws_handshake_write_rejection(cases[i].error, out, (size_t)n - 1),
                         WS_E_BUFFER_TOO_SMALL);
    }
}

static void test_origin(void **state)
{
    (void)state;
    const char *allowed[] = {"https://Example.com", "http://localhost:8080", "http://[::1]:9000",
                             "null-ish", "https://b.example:443"};
    static const struct {
        const char *origin;
        ws_status expect;
    } cases[] = {
        {"https://example.com", WS_OK},
        {"HTTPS://EXAMPLE.COM", WS_OK},
        {"https://example.com:443", WS_OK},
        {"https://b.example", WS_OK},
        {"http://localhost:8080", WS_OK},
        {"http://[::1]:9000", WS_OK},
        {"http://example.com", WS_E_HS_ORIGIN_FORBIDDEN},
        {"https://example.com:8443", WS_E_HS_ORIGIN_FORBIDDEN},
        {"https://example.com.evil.net", WS_E_HS_ORIGIN_FORBIDDEN},
        {"https://evil.net/https://example.com", WS_E_HS_ORIGIN_FORBIDDEN},
        {"https://example.com/", WS_E_HS_ORIGIN_FORBIDDEN},
        {"http://localhost", WS_E_HS_ORIGIN_FORBIDDEN},
        {"https://localhost:8080", WS_E_HS_ORIGIN_FORBIDDEN}, /* same host and port, other scheme */
        {"http://localhost:08080x", WS_E_HS_ORIGIN_FORBIDDEN},
        {"null", WS_E_HS_ORIGIN_FORBIDDEN},
        {"", WS_E_HS_ORIGIN_FORBIDDEN},
        {"example.com", WS_E_HS_ORIGIN_FORBIDDEN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *o = cases[i].origin;
        uint8_t *g = ws_test_guard_copy(o, strlen(o));
        ws_status st = ws_handshake_check_origin((const char *)g, strlen(o), allowed, 5);
        ws_test_guard_free(g, strlen(o));
        if (st != cases[i].expect)
            fail_msg("origin \"%s\": got %s", o, ws_status_name(st));
    }
    assert_int_equal(ws_handshake_check_origin(NULL, 0, allowed, 5), WS_E_HS_ORIGIN_FORBIDDEN);
    const char *with_null[] = {"null"};
    assert_int_equal(ws_handshake_check_origin("null", 4, with_null, 1), WS_OK);
    assert_int_equal(ws_handshake_check_origin("NULL", 4, with_null, 1), WS_E_HS_ORIGIN_FORBIDDEN);
    assert_int_equal(ws_handshake_check_origin("http://null", 11, with_null, 1),
                     WS_E_HS_ORIGIN_FORBIDDEN);
}

/* ------------------------------------ section 4.1: the client's request */

static const uint8_t nonce[16] = "the sample nonce";

static void check_request_text(const char *url_text, const ws_client_options *opts,
                               const char *expect)
{
    ws_url url;
    assert_int_equal(ws_url_parse(url_text, strlen(url_text), &url), WS_OK);
    char out[1024], key[WS_KEY_LEN + 1];
    int n = ws_handshake_write_request(&url, opts, nonce, key, out, sizeof out);
    if (n != (int)strlen(expect) || memcmp(out, expect, (size_t)n) != 0)
        fail_msg("%s gave:\n%.*s", url_text, n > 0 ? n : 0, out);
    assert_string_equal(key, "dGhlIHNhbXBsZSBub25jZQ==");
    for (size_t cap = 0; cap < (size_t)n; cap++)
        assert_int_equal(ws_handshake_write_request(&url, opts, nonce, key, out, cap),
                         WS_E_BUFFER_TOO_SMALL);
}

#define REQ_TAIL                                                                                   \
    "Upgrade: websocket\r\nConnection: Upgrade\r\n"                                               \
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"

/* The bound the header promises for out: 256 + the strings' lengths,
 * checked on the largest fixed parts (an IPv6 host with a port, every
 * optional header). */
static void test_write_request_size_bound(void **state)
{
    (void)state;
    const char *u = "wss://[1111:2222:3333:4444:5555:6666:7777:8888]:65535/p?q=1";
    ws_url url;
    assert_int_equal(ws_url_parse(u, strlen(u), &url), WS_OK);
    const char *protocols[] = {"a", "bb", "ccc"};
    ws_client_options opts = {"https://o.example", protocols, 3, "x-ext", "A: b\r\n"};
    size_t bound = 256 + url.host_len + url.target_len + strlen(opts.origin) +
                   strlen(opts.extensions) + strlen(opts.extra_headers);
    for (size_t i = 0; i < 3; i++)
        bound += strlen(protocols[i]) + 2;
    uint8_t nonce[16] = {0};
    char key[WS_KEY_LEN + 1];
    char *out = malloc(bound);
    assert_non_null(out);
    int n = ws_handshake_write_request(&url, &opts, nonce, key, out, bound);
    assert_true(n > 0);
    /* With no options at all, too. */
    assert_true(ws_handshake_write_request(&url, NULL, nonce, key, out,
                                           256 + url.host_len + url.target_len) > 0);
    free(out);
}

static void test_write_request(void **state)
{
    (void)state;
    check_request_text("ws://example.com", NULL,
                       "GET / HTTP/1.1\r\nHost: example.com\r\n" REQ_TAIL "\r\n");
    check_request_text("ws://example.com:80/chat?x=1", NULL,
                       "GET /chat?x=1 HTTP/1.1\r\nHost: example.com\r\n" REQ_TAIL "\r\n");
    check_request_text("wss://example.com:443/", NULL,
                       "GET / HTTP/1.1\r\nHost: example.com\r\n" REQ_TAIL "\r\n");
    check_request_text("wss://example.com:80/", NULL,
                       "GET / HTTP/1.1\r\nHost: example.com:80\r\n" REQ_TAIL "\r\n");
    check_request_text("ws://[::1]:9000/a", NULL,
                       "GET /a HTTP/1.1\r\nHost: [::1]:9000\r\n" REQ_TAIL "\r\n");
    check_request_text("ws://[::1]", NULL, "GET / HTTP/1.1\r\nHost: [::1]\r\n" REQ_TAIL "\r\n");
    check_request_text("ws://h?q=1", NULL, "GET /?q=1 HTTP/1.1\r\nHost: h\r\n" REQ_TAIL "\r\n");

    const char *protocols[] = {"chat", "superchat"};
    ws_client_options opts = {"http://example.com", protocols, 2,
                              "permessage-deflate; client_max_window_bits",
                              "Authorization: Bearer x\r\n"};
    check_request_text("ws://server.example.com/chat", &opts,
                       "GET /chat HTTP/1.1\r\nHost: server.example.com\r\n" REQ_TAIL
                       "Origin: http://example.com\r\n"
                       "Sec-WebSocket-Protocol: chat, superchat\r\n"
                       "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
                       "Authorization: Bearer x\r\n"
                       "\r\n");

    ws_url url;
    assert_int_equal(ws_url_parse("ws://h/", 7, &url), WS_OK);
    char out[1024], key[WS_KEY_LEN + 1];
    const char *bad_protocols[] = {"chat", "a b"};
    ws_client_options bad = {NULL, bad_protocols, 2, NULL, NULL};
    assert_int_equal(ws_handshake_write_request(&url, &bad, nonce, key, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    const char *dup_protocols[] = {"chat", "chat"};
    bad.protocols = dup_protocols;
    assert_int_equal(ws_handshake_write_request(&url, &bad, nonce, key, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    ws_client_options inject = {"http://a\r\nX: y", NULL, 0, NULL, NULL};
    assert_int_equal(ws_handshake_write_request(&url, &inject, nonce, key, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);

    /* RFC 6455 sections 11.3.1 and 11.3.5: Sec-WebSocket-Key and -Version
     * appear once in a request; -Protocol and -Extensions are not repeated
     * by extra lines either when the options write them. */
    static const struct {
        const char *lines;
        size_t num_protocols;
        const char *extensions;
    } repeats[] = {
        {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", 0, NULL},
        {"A: b\r\nsec-websocket-version: 13\r\n", 0, NULL},
        {"host: other.example\r\n", 0, NULL},
        {"Sec-WebSocket-Protocol: chat\r\n", 1, NULL},
        {"Sec-WebSocket-Extensions: x-b\r\n", 0, "x-a"},
    };
    for (size_t i = 0; i < sizeof repeats / sizeof repeats[0]; i++) {
        ws_client_options o = {NULL, dup_protocols, repeats[i].num_protocols,
                               repeats[i].extensions, repeats[i].lines};
        if (ws_handshake_write_request(&url, &o, nonce, key, out, sizeof out) !=
            WS_E_INVALID_ARGUMENT)
            fail_msg("extra headers %s were not refused", repeats[i].lines);
    }
    ws_client_options own = {NULL, NULL, 0, NULL, "Sec-WebSocket-Protocol: chat\r\n"};
    assert_true(ws_handshake_write_request(&url, &own, nonce, key, out, sizeof out) > 0);
    ws_client_options own_origin = {NULL, NULL, 0, NULL, "Origin: http://a\r\n"};
    assert_true(ws_handshake_write_request(&url, &own_origin, nonce, key, out, sizeof out) > 0);
    own_origin.origin = "http://b";
    assert_int_equal(ws_handshake_write_request(&url, &own_origin, nonce, key, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);

    /* RFC 6455 section 3: a fragment MUST NOT be used. ws_url_parse refuses
     * one; a ws_url filled by hand with one is refused here, while %23 is
     * data and goes out as given. */
    ws_url by_hand = url;
    by_hand.target = "/chat#top";
    by_hand.target_len = strlen(by_hand.target);
    assert_int_equal(ws_handshake_write_request(&by_hand, NULL, nonce, key, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    check_request_text("ws://h/chat%23top", NULL,
                       "GET /chat%23top HTTP/1.1\r\nHost: h\r\n" REQ_TAIL "\r\n");
}

/* --------------------------- section 4.1: the client checks the answer */

/* The full exchange, both roles of the library talking to each other:
 * client request -> server checks and answers -> client checks. */
static void test_round_trip(void **state)
{
    (void)state;
    ws_url url;
    assert_int_equal(ws_url_parse("ws://127.0.0.1:8080/chat", 24, &url), WS_OK);
    const char *offered[] = {"v2.chat", "v1.chat"};
    ws_client_options opts = {NULL, offered, 2, "x-test", NULL};
    char req_text[1024], key[WS_KEY_LEN + 1];
    uint8_t rnd[16];
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 42);
    ws_test_rng_fill(&rng, rnd, sizeof rnd);
    int n = ws_handshake_write_request(&url, &opts, rnd, key, req_text, sizeof req_text);
    assert_true(n > 0);

    ws_http_request req;
    ws_http_header h[MAXH];
    assert_int_equal(ws_http_parse_request(req_text, (size_t)n, 0, NULL, &req, h, MAXH), n);
    ws_handshake_request hs;
    assert_int_equal(ws_handshake_check_request(&req, NULL, &hs), WS_OK);
    assert_memory_equal(hs.host, "127.0.0.1:8080", hs.host_len);
    const char *supported[] = {"v1.chat"};
    const char *chosen;
    assert_int_equal(ws_handshake_select_protocol(&req, supported, 1, NULL, &chosen), WS_OK);
    assert_ptr_equal(chosen, supported[0]);
    char res_text[512];
    int m = ws_handshake_write_response(&hs, chosen, "x-test", NULL, res_text, sizeof res_text);
    assert_true(m > 0);

    ws_http_response res;
    ws_http_header rh[MAXH];
    assert_int_equal(ws_http_parse_response(res_text, (size_t)m, 0, NULL, &res, rh, MAXH), m);
    ws_handshake_response hr;
    assert_int_equal(ws_handshake_check_response(&res, key, &opts, &hr), WS_OK);
    assert_int_equal(hr.protocol_len, 7);
    assert_memory_equal(hr.protocol, "v1.chat", 7);
    assert_int_equal(hr.num_extensions, 1);
}

#define RES_START "HTTP/1.1 101 Switching Protocols\r\n"
#define RES_UPGRADE "Upgrade: websocket\r\n"
#define RES_CONNECTION "Connection: Upgrade\r\n"
#define RES_ACCEPT "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
#define RES_VALID RES_START RES_UPGRADE RES_CONNECTION RES_ACCEPT

static const struct {
    const char *name;
    const char *text;
    ws_status expect;
} response_rules[] = {
    {"minimal", RES_VALID "\r\n", WS_OK},
    {"odd case", "HTTP/1.1 101 ok\r\nupgrade: WebSocket\r\nconnection: upgrade\r\n"
     "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", WS_OK},
    {"chosen protocol", RES_VALID "Sec-WebSocket-Protocol: chat\r\n\r\n", WS_OK},
    {"accepted extension", RES_VALID "Sec-WebSocket-Extensions: permessage-deflate; "
     "server_no_context_takeover\r\n\r\n", WS_OK},
    {"404", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", WS_E_HS_STATUS},
    {"200", "HTTP/1.1 200 OK\r\n" RES_UPGRADE RES_CONNECTION RES_ACCEPT "\r\n", WS_E_HS_STATUS},
    {"HTTP/1.0", "HTTP/1.0 101 Switching Protocols\r\n" RES_UPGRADE RES_CONNECTION RES_ACCEPT
     "\r\n", WS_E_HTTP_VERSION},
    {"no Upgrade", RES_START RES_CONNECTION RES_ACCEPT "\r\n", WS_E_HS_RESPONSE_UPGRADE},
    {"Upgrade: h2c", RES_START "Upgrade: h2c\r\n" RES_CONNECTION RES_ACCEPT "\r\n",
     WS_E_HS_RESPONSE_UPGRADE},
    {"no Connection", RES_START RES_UPGRADE RES_ACCEPT "\r\n", WS_E_HS_RESPONSE_UPGRADE},
    {"Connection without the Upgrade token", RES_START RES_UPGRADE "Connection: keep-alive\r\n"
     RES_ACCEPT "\r\n", WS_E_HS_RESPONSE_UPGRADE},
    /* Section 4.1, step 2: an Upgrade value that is not "websocket" fails,
     * even beside "websocket" (a request's only has to contain it). */
    {"Upgrade: websocket, h2c", RES_START "Upgrade: websocket, h2c\r\n" RES_CONNECTION RES_ACCEPT
     "\r\n", WS_E_HS_RESPONSE_UPGRADE},
    {"Upgrade: websocket, then Upgrade: h2c", RES_START RES_UPGRADE "Upgrade: h2c\r\n"
     RES_CONNECTION RES_ACCEPT "\r\n", WS_E_HS_RESPONSE_UPGRADE},
    {"Upgrade with an empty element", RES_START "Upgrade: websocket,\r\n" RES_CONNECTION
     RES_ACCEPT "\r\n", WS_OK},
    {"no accept", RES_START RES_UPGRADE RES_CONNECTION "\r\n", WS_E_HS_BAD_ACCEPT},
    {"wrong accept", RES_START RES_UPGRADE RES_CONNECTION
     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOO=\r\n\r\n", WS_E_HS_BAD_ACCEPT},
    {"accept of the key itself", RES_START RES_UPGRADE RES_CONNECTION
     "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", WS_E_HS_BAD_ACCEPT},
    {"accept twice", RES_VALID RES_ACCEPT "\r\n", WS_E_HS_BAD_ACCEPT},
    /* Section 4.1, step 4: whitespace around the value is ignored. */
    {"accept with whitespace around", RES_START RES_UPGRADE RES_CONNECTION
     "Sec-WebSocket-Accept: \t s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \t\r\n\r\n", WS_OK},
    {"protocol not offered", RES_VALID "Sec-WebSocket-Protocol: mqtt\r\n\r\n",
     WS_E_HS_UNOFFERED_PROTOCOL},
    {"protocol in other case", RES_VALID "Sec-WebSocket-Protocol: Chat\r\n\r\n",
     WS_E_HS_UNOFFERED_PROTOCOL},
    {"two protocols", RES_VALID "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n",
     WS_E_HS_UNOFFERED_PROTOCOL},
    {"protocol twice", RES_VALID "Sec-WebSocket-Protocol: chat\r\nSec-WebSocket-Protocol: chat\r\n"
     "\r\n", WS_E_HS_UNOFFERED_PROTOCOL},
    /* Section 4.2.2: the empty string "is not a legal value" (it is not
     * the absent field), and section 4.3 makes the value one token; a
     * response that breaks 4.2.2 fails the connection (section 4.1). */
    {"empty protocol", RES_VALID "Sec-WebSocket-Protocol:\r\n\r\n", WS_E_HS_UNOFFERED_PROTOCOL},
    {"protocol with a trailing comma", RES_VALID "Sec-WebSocket-Protocol: chat,\r\n\r\n",
     WS_E_HS_UNOFFERED_PROTOCOL},
    {"protocol quoted", RES_VALID "Sec-WebSocket-Protocol: \"chat\"\r\n\r\n",
     WS_E_HS_UNOFFERED_PROTOCOL},
    {"extension not offered", RES_VALID "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n",
     WS_E_HS_UNOFFERED_EXTENSION},
    {"extension malformed", RES_VALID "Sec-WebSocket-Extensions: permessage-deflate;\r\n\r\n",
     WS_E_HS_BAD_EXTENSION},
    {"extension without a name", RES_VALID "Sec-WebSocket-Extensions: ; server_no_context_takeover"
     "\r\n\r\n", WS_E_HS_BAD_EXTENSION},
};

static void test_response_rules(void **state)
{
    (void)state;
    const char *offered[] = {"chat", "superchat"};
    ws_client_options opts = {NULL, offered, 2, "permessage-deflate; client_max_window_bits",
                              NULL};
    for (size_t i = 0; i < sizeof response_rules / sizeof response_rules[0]; i++) {
        const char *t = response_rules[i].text;
        size_t len = strlen(t);
        uint8_t *g = ws_test_guard_copy(t, len);
        ws_http_response res;
        ws_http_header h[MAXH];
        assert_int_equal(ws_http_parse_response((const char *)g, len, 0, NULL, &res, h, MAXH),
                         (int)len);
        ws_handshake_response hr;
        ws_status st = ws_handshake_check_response(&res, "dGhlIHNhbXBsZSBub25jZQ==", &opts, &hr);
        for (size_t cut = 1; cut < len; cut++) {
            ws_http_response part;
            ws_http_header ph[MAXH];
            assert_int_equal(ws_http_parse_response((const char *)g, cut, 0, NULL, &part, ph, MAXH),
                             WS_INCOMPLETE);
            assert_int_equal(ws_http_parse_response((const char *)g, len, cut, NULL, &part, ph,
                                                    MAXH),
                             (int)len);
            assert_int_equal(
                ws_handshake_check_response(&part, "dGhlIHNhbXBsZSBub25jZQ==", &opts, NULL), st);
        }
        if (st != response_rules[i].expect)
            fail_msg("%s: got %s, want %s", response_rules[i].name, ws_status_name(st),
                     ws_status_name(response_rules[i].expect));
        if (st == WS_E_HS_STATUS && res.status == 404)
            assert_memory_equal(res.reason, "Not Found", res.reason_len);
        ws_test_guard_free(g, len);
    }
}

/* Offering nothing means accepting nothing. */
static void test_response_without_offers(void **state)
{
    (void)state;
    const char *t = RES_VALID "Sec-WebSocket-Protocol: chat\r\n\r\n";
    ws_http_response res;
    ws_http_header h[MAXH];
    assert_int_equal(ws_http_parse_response(t, strlen(t), 0, NULL, &res, h, MAXH), (int)strlen(t));
    assert_int_equal(ws_handshake_check_response(&res, "dGhlIHNhbXBsZSBub25jZQ==", NULL, NULL),
                     WS_E_HS_UNOFFERED_PROTOCOL);
    t = RES_VALID "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n";
    assert_int_equal(ws_http_parse_response(t, strlen(t), 0, NULL, &res, h, MAXH), (int)strlen(t));
    assert_int_equal(ws_handshake_check_response(&res, "dGhlIHNhbXBsZSBub25jZQ==", NULL, NULL),
                     WS_E_HS_UNOFFERED_EXTENSION);
    t = RES_VALID "\r\n";
    assert_int_equal(ws_http_parse_response(t, strlen(t), 0, NULL, &res, h, MAXH), (int)strlen(t));
    ws_handshake_response hr;
    assert_int_equal(ws_handshake_check_response(&res, "dGhlIHNhbXBsZSBub25jZQ==", NULL, &hr),
                     WS_OK);
    assert_null(hr.protocol);
    assert_int_equal(hr.num_extensions, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept_key_rfc_example),
        cmocka_unit_test(test_request_rules),
        cmocka_unit_test(test_rfc_example_key),
        cmocka_unit_test(test_request_fields_exposed),
        cmocka_unit_test(test_request_limits),
        cmocka_unit_test(test_select_protocol),
        cmocka_unit_test(test_parse_extensions),
        cmocka_unit_test(test_write_response),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_write_rejection),
        cmocka_unit_test(test_origin),
        cmocka_unit_test(test_write_request),
        cmocka_unit_test(test_write_request_size_bound),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_response_rules),
        cmocka_unit_test(test_response_without_offers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
