/* HTTP heads (RFC 9112) as ws_http_parse_request/response see them: every
 * case is parsed from a guard-page copy, whole, at every split point and
 * byte by byte with last_len, and must give the same answer each way. */
#include "testutil.h"

#include <string.h>

#define MAXH 16

/* Parse s whole from a guard copy; returns what the parser returned and
 * leaves the request in *req (pointing into freed memory: compare lengths
 * only, or use parse_keep). */
static int parse_req_guarded(const char *s, size_t len, const ws_limits *limits,
                             ws_http_request *req, ws_http_header *h, size_t maxh)
{
    uint8_t *g = ws_test_guard_copy(s, len);
    int r = ws_http_parse_request((const char *)g, len, 0, limits, req, h, maxh);
    if (r > 0) {
        /* No pointer may leave the input. */
        const char *lo = (const char *)g, *hi = lo + len;
        assert_true(req->method >= lo && req->method + req->method_len <= hi);
        assert_true(req->target >= lo && req->target + req->target_len <= hi);
        for (size_t i = 0; i < req->num_headers; i++) {
            assert_true(h[i].name >= lo && h[i].name + h[i].name_len <= hi);
            assert_true(h[i].value >= lo && h[i].value + h[i].value_len <= hi);
        }
    }
    ws_test_guard_free(g, len);
    return r;
}

/*
 * The chunking invariants: every proper prefix answers WS_INCOMPLETE or
 * the whole input's error; feeding the bytes one at a time with last_len
 * ends in the whole input's answer.
 */
static void check_request_chunking(const char *s, size_t len, const ws_limits *limits,
                                   int expect)
{
    ws_http_request req;
    ws_http_header h[MAXH];
    assert_int_equal(parse_req_guarded(s, len, limits, &req, h, MAXH), expect);
    size_t decided = expect > 0 ? (size_t)expect : len;
    for (size_t p = 0; p < decided; p++) {
        int r = parse_req_guarded(s, p, limits, &req, h, MAXH);
        if (r != WS_INCOMPLETE && r != expect)
            fail_msg("prefix %zu of %zu gave %s, whole gave %s", p, len, ws_status_name(r),
                     ws_status_name(expect));
    }
    uint8_t *g = ws_test_guard_copy(s, len);
    size_t last = 0;
    int r = WS_INCOMPLETE;
    for (size_t p = 1; p <= len && r == WS_INCOMPLETE; p++) {
        r = ws_http_parse_request((const char *)g, p, last, limits, &req, h, MAXH);
        last = p;
    }
    assert_int_equal(r, expect);
    ws_test_guard_free(g, len);
}

static const char good_request[] = "GET /chat?room=1 HTTP/1.1\r\n"
                                   "Host: example.com:8080\r\n"
                                   "Upgrade:websocket\r\n"
                                   "Connection: \t keep-alive, Upgrade \t\r\n"
                                   "X-Empty:\r\n"
                                   "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                   "\r\n"
                                   "\x81\x85 frame bytes after the head";

static void test_request_fields(void **state)
{
    (void)state;
    size_t len = sizeof good_request - 1;
    size_t head = (size_t)(strstr(good_request, "\r\n\r\n") - good_request) + 4;
    ws_http_request req;
    ws_http_header h[MAXH];
    int r = ws_http_parse_request(good_request, len, 0, NULL, &req, h, MAXH);
    assert_int_equal(r, (int)head);
    assert_int_equal(req.method_len, 3);
    assert_memory_equal(req.method, "GET", 3);
    assert_int_equal(req.target_len, strlen("/chat?room=1"));
    assert_memory_equal(req.target, "/chat?room=1", req.target_len);
    assert_int_equal(req.minor_version, 1);
    assert_ptr_equal(req.headers, h);
    assert_int_equal(req.num_headers, 5);
    static const char *names[] = {"Host", "Upgrade", "Connection", "X-Empty", "Sec-WebSocket-Key"};
    static const char *values[] = {"example.com:8080", "websocket", "keep-alive, Upgrade", "",
                                   "dGhlIHNhbXBsZSBub25jZQ=="};
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(h[i].name_len, strlen(names[i]));
        assert_memory_equal(h[i].name, names[i], h[i].name_len);
        assert_int_equal(h[i].value_len, strlen(values[i]));
        assert_memory_equal(h[i].value, values[i], h[i].value_len);
    }
    check_request_chunking(good_request, len, NULL, (int)head);
}

static void test_http_10_parses(void **state)
{
    (void)state;
    /* HTTP/1.0 is valid HTTP: the handshake check, not the parser, refuses
     * it, so a server can still answer such a client with a page. */
    const char *s = "GET / HTTP/1.0\r\n\r\n";
    ws_http_request req;
    ws_http_header h[MAXH];
    assert_int_equal(parse_req_guarded(s, strlen(s), NULL, &req, h, MAXH), (int)strlen(s));
    assert_int_equal(req.minor_version, 0);
    assert_int_equal(req.num_headers, 0);
}

/* RFC 9112 rejects, one rule per row. */
static const struct {
    const char *name;
    const char *text;
    size_t len; /* 0: strlen */
    int expect;
} bad_requests[] = {
    {"NUL in a value", "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 28, WS_E_HTTP_NUL},
    {"NUL in the request line", "GET /\0 HTTP/1.1\r\n\r\n", 19, WS_E_HTTP_NUL},
    {"NUL first", "\0GET / HTTP/1.1\r\n\r\n", 19, WS_E_HTTP_NUL},
    {"bare CR in a value", "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 0, WS_E_HTTP_BARE_CR},
    {"bare CR ending a line", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", 0, WS_E_HTTP_BARE_CR},
    {"bare LF line end", "GET / HTTP/1.1\nHost: a\r\n\r\n", 0, WS_E_HTTP_BARE_LF},
    {"bare LF blank line", "GET / HTTP/1.1\r\nHost: a\r\n\n", 0, WS_E_HTTP_BARE_LF},
    {"bare LF before the request line", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, WS_E_HTTP_BARE_LF},
    {"bare LF after an empty line", "\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, WS_E_HTTP_BARE_LF},
    {"obs-fold with space", "GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n", 0, WS_E_HTTP_OBS_FOLD},
    {"obs-fold with tab", "GET / HTTP/1.1\r\nX: a\r\n\tb\r\n\r\n", 0, WS_E_HTTP_OBS_FOLD},
    {"space before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 0, WS_E_HTTP_OBS_FOLD},
    {"control character", "GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", 0, WS_E_HTTP_SYNTAX},
    {"DEL character", "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n", 0, WS_E_HTTP_SYNTAX},
    {"TLS ClientHello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11, WS_E_HTTP_SYNTAX},
    {"no target", "GET HTTP/1.1\r\n\r\n", 0, WS_E_HTTP_SYNTAX},
    {"two spaces", "GET  / HTTP/1.1\r\n\r\n", 0, WS_E_HTTP_SYNTAX},
    {"space after version", "GET / HTTP/1.1 \r\n\r\n", 0, WS_E_HTTP_SYNTAX},
    {"lower-case protocol", "GET / http/1.1\r\n\r\n", 0, WS_E_HTTP_SYNTAX},
    {"version without minor", "GET / HTTP/1\r\n\r\n", 0, WS_E_HTTP_SYNTAX},
    {"HTTP/0.9 style", "GET /\r\n\r\n", 0, WS_E_HTTP_SYNTAX},
    {"method not a token", "G(T / HTTP/1.1\r\n\r\n", 0, WS_E_HTTP_SYNTAX},
    {"bare CR before the request line", "\r\rGET / HTTP/1.1\r\n\r\n", 0, WS_E_HTTP_BARE_CR},
    {"space before the request line", "\r\n GET / HTTP/1.1\r\n\r\n", 0, WS_E_HTTP_SYNTAX},
    {"non-ASCII target", "GET /\xc3\xa9 HTTP/1.1\r\n\r\n", 0, WS_E_HTTP_SYNTAX},
    {"HTTP/2.0", "GET / HTTP/2.0\r\n\r\n", 0, WS_E_HTTP_VERSION},
    {"HTTP/3.0", "GET / HTTP/3.0\r\nHost: a\r\n\r\n", 0, WS_E_HTTP_VERSION},
    {"space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 0, WS_E_HTTP_HEADER_NAME},
    {"tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 0, WS_E_HTTP_HEADER_NAME},
    {"empty name", "GET / HTTP/1.1\r\n: a\r\n\r\n", 0, WS_E_HTTP_HEADER_NAME},
    {"separator in name", "GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 0, WS_E_HTTP_HEADER_NAME},
    {"non-ASCII name", "GET / HTTP/1.1\r\nH\xc3\xb6st: a\r\n\r\n", 0, WS_E_HTTP_HEADER_NAME},
    {"missing colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 0, WS_E_HTTP_NO_COLON},
    {"missing colon, bare name", "GET / HTTP/1.1\r\nUpgrade\r\n\r\n", 0, WS_E_HTTP_NO_COLON},
};

static void test_bad_requests(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_requests / sizeof bad_requests[0]; i++) {
        const char *t = bad_requests[i].text;
        size_t len = bad_requests[i].len ? bad_requests[i].len : strlen(t);
        ws_http_request req;
        ws_http_header h[MAXH];
        int r = parse_req_guarded(t, len, NULL, &req, h, MAXH);
        if (r != bad_requests[i].expect)
            fail_msg("%s: got %s, want %s", bad_requests[i].name, ws_status_name(r),
                     ws_status_name(bad_requests[i].expect));
        check_request_chunking(t, len, NULL, bad_requests[i].expect);
    }
}

/* Errors that sit in single bytes are reported as soon as the byte
 * arrives, not after the blank line: a server stops reading garbage. */
static void test_early_errors(void **state)
{
    (void)state;
    ws_http_request req;
    ws_http_header h[MAXH];
    const char *nul = "GET / HTTP/1.1\r\nHost: a\0";
    assert_int_equal(parse_req_guarded(nul, 24, NULL, &req, h, MAXH), WS_E_HTTP_NUL);
    const char *fold = "GET / HTTP/1.1\r\nX: a\r\n ";
    assert_int_equal(parse_req_guarded(fold, strlen(fold), NULL, &req, h, MAXH),
                     WS_E_HTTP_OBS_FOLD);
    const char *cr = "GET / HTTP/1.1\r\nX: a\rb";
    assert_int_equal(parse_req_guarded(cr, strlen(cr), NULL, &req, h, MAXH), WS_E_HTTP_BARE_CR);
    /* A CR at the very end is undecided until the next byte. */
    assert_int_equal(parse_req_guarded(cr, strlen(cr) - 1, NULL, &req, h, MAXH), WS_INCOMPLETE);
    assert_int_equal(parse_req_guarded("\x16\x03", 2, NULL, &req, h, MAXH), WS_E_HTTP_SYNTAX);
}

/* A head of exactly max_header_bytes passes; one byte more fails, and
 * fails before the blank line when the bytes keep coming. */
static void test_header_bytes_limit(void **state)
{
    (void)state;
    char buf[300];
    const char *start = "GET / HTTP/1.1\r\nX: ";
    size_t n = strlen(start);
    memcpy(buf, start, n);
    memset(buf + n, 'a', 200);
    memcpy(buf + n + 200, "\r\n\r\n", 4);
    size_t total = n + 204;
    ws_limits l;
    ws_limits_default(&l);
    ws_http_request req;
    ws_http_header h[MAXH];

    l.max_header_bytes = (uint32_t)total;
    assert_int_equal(parse_req_guarded(buf, total, &l, &req, h, MAXH), (int)total);
    check_request_chunking(buf, total, &l, (int)total);

    l.max_header_bytes = (uint32_t)total - 1;
    assert_int_equal(parse_req_guarded(buf, total, &l, &req, h, MAXH),
                     WS_E_HTTP_HEADER_TOO_LARGE);
    check_request_chunking(buf, total, &l, WS_E_HTTP_HEADER_TOO_LARGE);

    /* No blank line ever: the limit still ends it. */
    l.max_header_bytes = 100;
    assert_int_equal(parse_req_guarded(buf, 100, &l, &req, h, MAXH),
                     WS_E_HTTP_HEADER_TOO_LARGE);
    assert_int_equal(parse_req_guarded(buf, 99, &l, &req, h, MAXH), WS_INCOMPLETE);

    /* The default limit is 8 KiB. */
    static char big[9000];
    memcpy(big, start, n);
    memset(big + n, 'b', sizeof big - n);
    assert_int_equal(parse_req_guarded(big, sizeof big, NULL, &req, h, MAXH),
                     WS_E_HTTP_HEADER_TOO_LARGE);
}

/* RFC 9112 section 2.2: empty lines before the request line are ignored;
 * they are part of what the call consumes, and of the head's limit. */
static void test_leading_empty_lines(void **state)
{
    (void)state;
    ws_http_request req;
    ws_http_header h[MAXH];
    static const char *heads[] = {
        "\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n",
        "\r\n\r\n\r\nGET /a HTTP/1.1\r\nHost: x\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        size_t len = strlen(heads[i]);
        assert_int_equal(parse_req_guarded(heads[i], len, NULL, &req, h, MAXH), (int)len);
        assert_int_equal(req.target_len, 2);
        assert_int_equal(req.num_headers, 1);
        check_request_chunking(heads[i], len, NULL, (int)len);
    }
    /* Only empty lines so far: wait for the request line. */
    assert_int_equal(parse_req_guarded("\r\n\r\n", 4, NULL, &req, h, MAXH), WS_INCOMPLETE);

    ws_limits l;
    ws_limits_default(&l);
    l.max_header_bytes = 40;
    const char *over = "\r\n\r\nGET /a HTTP/1.1\r\nHost: xxxxxxxxxxxxx\r\n\r\n";
    assert_int_equal(parse_req_guarded(over, strlen(over), &l, &req, h, MAXH),
                     WS_E_HTTP_HEADER_TOO_LARGE);
    check_request_chunking(over, strlen(over), &l, WS_E_HTTP_HEADER_TOO_LARGE);
    char crlfs[40];
    for (size_t i = 0; i < sizeof crlfs; i += 2)
        memcpy(crlfs + i, "\r\n", 2);
    assert_int_equal(parse_req_guarded(crlfs, sizeof crlfs, &l, &req, h, MAXH),
                     WS_E_HTTP_HEADER_TOO_LARGE);
    check_request_chunking(crlfs, sizeof crlfs, &l, WS_E_HTTP_HEADER_TOO_LARGE);
}

/* A request line that does not end within the head limit is a target that
 * is too long: 414, not 431. */
static void test_uri_too_long(void **state)
{
    (void)state;
    char buf[120];
    memcpy(buf, "GET /", 5);
    memset(buf + 5, 'a', sizeof buf - 5);
    ws_limits l;
    ws_limits_default(&l);
    l.max_header_bytes = 100;
    ws_http_request req;
    ws_http_header h[MAXH];
    assert_int_equal(parse_req_guarded(buf, 100, &l, &req, h, MAXH), WS_E_HTTP_URI_TOO_LONG);
    assert_int_equal(parse_req_guarded(buf, 99, &l, &req, h, MAXH), WS_INCOMPLETE);
    check_request_chunking(buf, sizeof buf, &l, WS_E_HTTP_URI_TOO_LONG);
    assert_int_equal(ws_status_http_code(WS_E_HTTP_URI_TOO_LONG), 414);
    /* A response's status line gets no 414: that is a request's status. */
    ws_http_response res;
    memcpy(buf, "HTTP/1.1 200 ", 13);
    assert_int_equal(ws_http_parse_response(buf, 100, 0, &l, &res, h, MAXH),
                     WS_E_HTTP_HEADER_TOO_LARGE);
}

static void test_header_count_limit(void **state)
{
    (void)state;
    const char *s = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
    ws_limits l;
    ws_limits_default(&l);
    ws_http_request req;
    ws_http_header h[MAXH];

    l.max_headers = 3;
    assert_int_equal(parse_req_guarded(s, strlen(s), &l, &req, h, MAXH), (int)strlen(s));
    assert_int_equal(req.num_headers, 3);
    l.max_headers = 2;
    assert_int_equal(parse_req_guarded(s, strlen(s), &l, &req, h, MAXH),
                     WS_E_HTTP_TOO_MANY_HEADERS);
    check_request_chunking(s, strlen(s), &l, WS_E_HTTP_TOO_MANY_HEADERS);
    /* The caller's array is a limit too. */
    l.max_headers = 64;
    assert_int_equal(parse_req_guarded(s, strlen(s), &l, &req, h, 2), WS_E_HTTP_TOO_MANY_HEADERS);
    assert_int_equal(parse_req_guarded(s, strlen(s), &l, &req, h, 3), (int)strlen(s));
}

/* Calling again on a growing buffer resumes where the last call stopped,
 * and a last_len that lies still cannot make bad bytes pass. */
static void test_last_len(void **state)
{
    (void)state;
    const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    ws_http_request req;
    ws_http_header h[MAXH];
    size_t len = strlen(s);
    assert_int_equal(ws_http_parse_request(s, 20, 0, NULL, &req, h, MAXH), WS_INCOMPLETE);
    assert_int_equal(ws_http_parse_request(s, len, 20, NULL, &req, h, MAXH), (int)len);
    /* Terminator split across calls right at the CR. */
    for (size_t cut = len - 4; cut < len; cut++) {
        assert_int_equal(ws_http_parse_request(s, cut, 0, NULL, &req, h, MAXH), WS_INCOMPLETE);
        assert_int_equal(ws_http_parse_request(s, len, cut, NULL, &req, h, MAXH), (int)len);
    }
    const char nul[] = "GET / HTTP/1.1\r\nHost: \0\r\n\r\n";
    assert_int_equal(ws_http_parse_request(nul, sizeof nul - 1, 25, NULL, &req, h, MAXH),
                     WS_E_HTTP_NUL);
    /* last_len beyond len is treated as 0. */
    assert_int_equal(ws_http_parse_request(s, len, 1000, NULL, &req, h, MAXH), (int)len);
}

/* Field names keep their case and are matched without it. */
static void test_find_header(void **state)
{
    (void)state;
    const char *s = "GET / HTTP/1.1\r\n"
                    "sec-websocket-protocol: a, b\r\n"
                    "Host: h\r\n"
                    "SEC-WEBSOCKET-PROTOCOL: c\r\n\r\n";
    ws_http_request req;
    ws_http_header h[MAXH];
    assert_true(ws_http_parse_request(s, strlen(s), 0, NULL, &req, h, MAXH) > 0);
    size_t pos = 0;
    const ws_http_header *f = ws_http_find_header(h, req.num_headers, "Sec-WebSocket-Protocol", &pos);
    assert_ptr_equal(f, &h[0]);
    assert_int_equal(pos, 1);
    f = ws_http_find_header(h, req.num_headers, "Sec-WebSocket-Protocol", &pos);
    assert_ptr_equal(f, &h[2]);
    assert_null(ws_http_find_header(h, req.num_headers, "Sec-WebSocket-Protocol", &pos));
    assert_ptr_equal(ws_http_find_header(h, req.num_headers, "HOST", NULL), &h[1]);
    assert_null(ws_http_find_header(h, req.num_headers, "Hos", NULL));
    assert_null(ws_http_find_header(h, req.num_headers, "Hostx", NULL));
}

static void test_list_next(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        const char *elems[4];
        int n;
    } cases[] = {
        {"a", {"a"}, 1},
        {"keep-alive, Upgrade", {"keep-alive", "Upgrade"}, 2},
        {" ,, a ,\t,b,  ", {"a", "b"}, 2},
        {"", {""}, 0},
        {" , ", {""}, 0},
        {"x; q=\"a,b\", y", {"x; q=\"a,b\"", "y"}, 2},
        {"x; q=\"a\\\"b\", y", {"x; q=\"a\\\"b\"", "y"}, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t pos = 0;
        const char *e;
        size_t elen;
        int k = 0;
        int r;
        while ((r = ws_http_list_next(cases[i].value, strlen(cases[i].value), &pos, &e, &elen)) ==
               1) {
            assert_true(k < cases[i].n);
            assert_int_equal(elen, strlen(cases[i].elems[k]));
            assert_memory_equal(e, cases[i].elems[k], elen);
            k++;
        }
        assert_int_equal(r, 0);
        assert_int_equal(k, cases[i].n);
    }
    size_t pos = 0;
    const char *e;
    size_t elen;
    assert_int_equal(ws_http_list_next("a=\"open", 7, &pos, &e, &elen), WS_E_HS_BAD_TOKEN_LIST);
}

static void test_tokens(void **state)
{
    (void)state;
    assert_true(ws_http_is_token("websocket", 9));
    assert_true(ws_http_is_token("chat.v2+json", 12));
    assert_false(ws_http_is_token("", 0));
    assert_false(ws_http_is_token("a b", 3));
    assert_false(ws_http_is_token("a/b", 3));
    assert_false(ws_http_is_token("a,b", 3));
    assert_false(ws_http_is_token("\"a\"", 3));

    const char *s = "GET / HTTP/1.1\r\nConnection: keep-alive\r\nconnection: UPGRADE\r\n"
                    "Upgrade: h2c,  WebSocket \r\n\r\n";
    ws_http_request req;
    ws_http_header h[MAXH];
    assert_true(ws_http_parse_request(s, strlen(s), 0, NULL, &req, h, MAXH) > 0);
    assert_true(ws_http_has_token(h, req.num_headers, "Connection", "upgrade"));
    assert_true(ws_http_has_token(h, req.num_headers, "Upgrade", "websocket"));
    assert_false(ws_http_has_token(h, req.num_headers, "Upgrade", "web"));
    assert_false(ws_http_has_token(h, req.num_headers, "Connection", "close"));
}

/* ------------------------------------------------------------ responses */

static void check_response_chunking(const char *s, size_t len, int expect)
{
    ws_http_response res;
    ws_http_header h[MAXH];
    size_t decided = expect > 0 ? (size_t)expect : len;
    for (size_t p = 0; p <= len; p++) {
        uint8_t *g = ws_test_guard_copy(s, p);
        int r = ws_http_parse_response((const char *)g, p, 0, NULL, &res, h, MAXH);
        ws_test_guard_free(g, p);
        if (p < decided && r != WS_INCOMPLETE && r != expect)
            fail_msg("prefix %zu gave %s, whole gives %s", p, ws_status_name(r),
                     ws_status_name(expect));
        if (p >= decided)
            assert_int_equal(r, expect);
    }
    uint8_t *g = ws_test_guard_copy(s, len);
    size_t last = 0;
    int r = WS_INCOMPLETE;
    for (size_t p = 1; p <= len && r == WS_INCOMPLETE; p++) {
        r = ws_http_parse_response((const char *)g, p, last, NULL, &res, h, MAXH);
        last = p;
    }
    assert_int_equal(r, expect);
    ws_test_guard_free(g, len);
}

static void test_response_fields(void **state)
{
    (void)state;
    const char s[] = "HTTP/1.1 101 Switching Protocols\r\n"
                     "Upgrade: websocket\r\n"
                     "Connection: Upgrade\r\n"
                     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
                     "\x81\x02hi";
    size_t len = sizeof s - 1;
    size_t head = len - 4;
    ws_http_response res;
    ws_http_header h[MAXH];
    uint8_t *g = ws_test_guard_copy(s, len);
    assert_int_equal(ws_http_parse_response((const char *)g, len, 0, NULL, &res, h, MAXH),
                     (int)head);
    /* The frame after the head is the caller's, untouched. */
    assert_memory_equal(g + head, "\x81\x02hi", 4);
    assert_int_equal(res.status, 101);
    assert_int_equal(res.minor_version, 1);
    assert_int_equal(res.reason_len, strlen("Switching Protocols"));
    assert_memory_equal(res.reason, "Switching Protocols", res.reason_len);
    assert_int_equal(res.num_headers, 3);
    ws_test_guard_free(g, len);
    check_response_chunking(s, len, (int)head);
}

static void test_responses(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        int expect; /* > 0: OK with that status */
        const char *reason;
    } cases[] = {
        {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 404, "Not Found"},
        {"HTTP/1.1 101\r\n\r\n", 101, ""},
        {"HTTP/1.1 101 \r\n\r\n", 101, ""},
        {"HTTP/1.0 200 OK\r\n\r\n", 200, "OK"},
        {"HTTP/1.1 503 Service  Unavailable\t\r\n\r\n", 503, "Service  Unavailable\t"},
        {"HTTP/1.1 1x1 Bad\r\n\r\n", WS_E_HTTP_SYNTAX, NULL},
        {"HTTP/1.1 10 Short\r\n\r\n", WS_E_HTTP_SYNTAX, NULL},
        {"HTTP/1.1 099 Low\r\n\r\n", WS_E_HTTP_SYNTAX, NULL},
        {"HTTP/1.1 1011 Long\r\n\r\n", WS_E_HTTP_SYNTAX, NULL},
        {"HTTP/1.1  101 X\r\n\r\n", WS_E_HTTP_SYNTAX, NULL},
        {"HTTP/2 101 X\r\n\r\n", WS_E_HTTP_SYNTAX, NULL},
        {"HTTP/2.0 101 X\r\n\r\n", WS_E_HTTP_VERSION, NULL},
        {"SSH-2.0-OpenSSH\r\n\r\n", WS_E_HTTP_SYNTAX, NULL},
        {"HTTP/1.1 101 X\r\nUpgrade websocket\r\n\r\n", WS_E_HTTP_NO_COLON, NULL},
        {"HTTP/1.1 101 X\r\nUp grade: websocket\r\n\r\n", WS_E_HTTP_HEADER_NAME, NULL},
        {"HTTP/1.1 101 X\r\nA: b\r\n c\r\n\r\n", WS_E_HTTP_OBS_FOLD, NULL},
        {"HTTP/1.1 101 X\nA: b\r\n\r\n", WS_E_HTTP_BARE_LF, NULL},
        {"\nHTTP/1.1 101 X\r\n\r\n", WS_E_HTTP_BARE_LF, NULL},
        {"HTTP/1.1 101 X\r\nA: b\rc\r\n\r\n", WS_E_HTTP_BARE_CR, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *t = cases[i].text;
        size_t len = strlen(t);
        ws_http_response res;
        ws_http_header h[MAXH];
        uint8_t *g = ws_test_guard_copy(t, len);
        int r = ws_http_parse_response((const char *)g, len, 0, NULL, &res, h, MAXH);
        if (cases[i].expect > 0) {
            if (r != (int)len)
                fail_msg("case %zu: %s", i, ws_status_name(r));
            assert_int_equal(res.status, cases[i].expect);
            assert_int_equal(res.reason_len, strlen(cases[i].reason));
            assert_memory_equal(res.reason, cases[i].reason, res.reason_len);
            ws_test_guard_free(g, len);
            check_response_chunking(t, len, (int)len);
        } else {
            if (r != cases[i].expect)
                fail_msg("case %zu: got %s want %s", i, ws_status_name(r),
                         ws_status_name(cases[i].expect));
            ws_test_guard_free(g, len);
            check_response_chunking(t, len, cases[i].expect);
        }
    }
}

/* ------------------------------------------------------------- builders */

/* The bound the header promises for out, for every status with its
 * standard reason phrase (NULL: counted as 32) and a 20-digit body size. */
static void test_write_response_size_bound(void **state)
{
    (void)state;
    const char *type = "text/plain; charset=utf-8", *extra = "Retry-After: 5\r\n";
    char out[512];
    for (int status = 100; status <= 999; status++) {
        size_t bound = 128 + 32 + strlen(type) + strlen(extra);
        assert_true(bound <= sizeof out);
        /* No body given: the head alone, with the longest Content-Length. */
        int n = ws_http_write_response(status, NULL, type, extra, NULL, SIZE_MAX, out, bound);
        if (n < 0)
            fail_msg("status %d: %s in %zu bytes", status, ws_status_name(n), bound);
    }
}

static void test_write_response(void **state)
{
    (void)state;
    char out[512];
    const char *body = "<h1>gone</h1>";
    int n = ws_http_write_response(404, NULL, "text/html; charset=utf-8", "X-A: 1\r\n", body,
                                   strlen(body), out, sizeof out);
    const char *expect = "HTTP/1.1 404 Not Found\r\n"
                         "Content-Type: text/html; charset=utf-8\r\n"
                         "Content-Length: 13\r\n"
                         "Connection: close\r\n"
                         "X-A: 1\r\n"
                         "\r\n"
                         "<h1>gone</h1>";
    assert_int_equal(n, (int)strlen(expect));
    assert_memory_equal(out, expect, (size_t)n);

    /* Every shorter buffer is refused. */
    for (size_t cap = 0; cap < strlen(expect); cap++)
        assert_int_equal(ws_http_write_response(404, NULL, "text/html; charset=utf-8",
                                                "X-A: 1\r\n", body, strlen(body), out, cap),
                         WS_E_BUFFER_TOO_SMALL);

    /* Head only, the caller streams a 123456-byte body. */
    n = ws_http_write_response(200, "Fine", NULL, NULL, NULL, 123456, out, sizeof out);
    expect = "HTTP/1.1 200 Fine\r\nContent-Length: 123456\r\nConnection: close\r\n\r\n";
    assert_int_equal(n, (int)strlen(expect));
    assert_memory_equal(out, expect, (size_t)n);

    /* What we write, we parse. */
    n = ws_http_write_response(503, NULL, NULL, "Retry-After: 5\r\n", "busy", 4, out, sizeof out);
    ws_http_response res;
    ws_http_header h[MAXH];
    int head = ws_http_parse_response(out, (size_t)n, 0, NULL, &res, h, MAXH);
    assert_int_equal(head, n - 4);
    assert_int_equal(res.status, 503);
    assert_memory_equal(res.reason, "Service Unavailable", res.reason_len);
    assert_non_null(ws_http_find_header(h, res.num_headers, "Retry-After", NULL));

    /* No header injection through any argument. */
    assert_int_equal(ws_http_write_response(200, NULL, NULL, "X: a\r\nY", NULL, 0, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_http_write_response(200, NULL, NULL, "X: a\nY: b\r\n", NULL, 0, out,
                                            sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_http_write_response(200, NULL, NULL, "X a\r\n", NULL, 0, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_http_write_response(200, NULL, "text/html\r\nX: y", NULL, NULL, 0, out,
                                            sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_http_write_response(200, "OK\r\nX: y", NULL, NULL, NULL, 0, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_http_write_response(99, NULL, NULL, NULL, NULL, 0, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);

    /* The fields it writes itself, in any case, anywhere among the lines:
     * never twice. Content-Type only when it writes one. */
    static const char *const own[] = {"Content-Length: 999\r\n",
                                      "X: a\r\ntransfer-encoding: chunked\r\n",
                                      "CONNECTION: keep-alive\r\n",
                                      "X: a\r\nContent-Type: text/plain\r\nY: b\r\n"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        assert_int_equal(ws_http_write_response(200, NULL, "text/html", own[i], "x", 1, out,
                                                sizeof out),
                         WS_E_INVALID_ARGUMENT);
    n = ws_http_write_response(200, NULL, NULL, "Content-Type: text/css\r\n", "x", 1, out,
                               sizeof out);
    assert_true(n > 0);
    /* A name that only starts like one of them is another field. */
    n = ws_http_write_response(200, NULL, "text/html", "Content-Length-X: 1\r\n", "x", 1, out,
                               sizeof out);
    assert_true(n > 0);
    n = ws_http_write_response(599, NULL, NULL, NULL, NULL, 0, out, sizeof out);
    assert_true(n > 0);
    assert_memory_equal(out, "HTTP/1.1 599 Unknown\r\n", 22);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_fields),
        cmocka_unit_test(test_http_10_parses),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_early_errors),
        cmocka_unit_test(test_header_bytes_limit),
        cmocka_unit_test(test_leading_empty_lines),
        cmocka_unit_test(test_uri_too_long),
        cmocka_unit_test(test_header_count_limit),
        cmocka_unit_test(test_last_len),
        cmocka_unit_test(test_find_header),
        cmocka_unit_test(test_list_next),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_response_fields),
        cmocka_unit_test(test_responses),
        cmocka_unit_test(test_write_response),
        cmocka_unit_test(test_write_response_size_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
