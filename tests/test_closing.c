/* The close handshake (lib/closing.c) for both roles: who sends which close,
 * the echo of the code, who closes TCP first (RFC 6455 7.1.1), failing the
 * connection (7.1.7), and nothing sent after our close. The close frames it
 * writes are parsed back by the other role's parser. */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <string.h>

#include "stream_harness.h"

static void next_key(void *ctx, uint8_t key[4])
{
    size_t *calls = ctx;
    sh_key((uint32_t)++*calls, key);
}

typedef struct endpoint {
    ws_closing closing;
    ws_writer writer;
    size_t keys;
    ws_role role;
} endpoint;

static void endpoint_init(endpoint *e, ws_role role)
{
    e->keys = 0;
    e->role = role;
    ws_closing_init(&e->closing, role);
    ws_writer_init(&e->writer, role, 0, next_key, &e->keys);
}

/* Write the close that e is asked to send and parse it as its peer would:
 * returns the code the peer's parser reports, and the reason in reason. */
static uint16_t send_close(endpoint *e, char *reason, size_t reason_cap)
{
    assert_int_equal(ws_closing_next(&e->closing), WS_CLOSING_SEND_CLOSE);
    uint8_t out[WS_MAX_HEADER_SIZE + WS_MAX_CONTROL_PAYLOAD];
    ptrdiff_t n = ws_closing_write(&e->closing, &e->writer, out, sizeof out);
    assert_true(n > 0);
    assert_false(ws_writer_can_send(&e->writer));
    ws_parser p;
    ws_parser_init(&p, e->role == WS_ROLE_SERVER ? WS_ROLE_CLIENT : WS_ROLE_SERVER, NULL);
    ws_event ev;
    assert_int_equal(ws_parser_next(&p, out, (size_t)n, &ev), n);
    assert_int_equal(ev.type, WS_EV_CLOSE);
    if (reason) {
        assert_true(ev.len < reason_cap);
        memcpy(reason, ev.data, ev.len);
        reason[ev.len] = '\0';
    }
    return ev.close_code;
}

/* The peer closes first; we echo its code; then the server closes TCP at
 * once while the client waits for the server's TCP close. */
static void test_server_answers_peer_close(void **state)
{
    (void)state;
    endpoint s;
    endpoint_init(&s, WS_ROLE_SERVER);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_READ);
    ws_closing_received(&s.closing, 1001);
    assert_int_equal(send_close(&s, NULL, 0), 1001);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_CLOSE_TCP);
    assert_true(ws_closing_clean(&s.closing));
    assert_int_equal(ws_closing_peer_code(&s.closing), 1001);
    uint8_t out[32];
    assert_int_equal(ws_message_write(&s.writer, WS_OP_TEXT, "x", 1, out, sizeof out),
                     WS_E_CLOSING);
}

static void test_client_answers_server_close_then_waits(void **state)
{
    (void)state;
    endpoint c;
    endpoint_init(&c, WS_ROLE_CLIENT);
    ws_closing_received(&c.closing, 4321);
    assert_int_equal(send_close(&c, NULL, 0), 4321);
    assert_int_equal(c.keys, 1); /* masked like every client frame */
    assert_int_equal(ws_closing_next(&c.closing), WS_CLOSING_WAIT_TCP_CLOSE);
    ws_closing_peer_closed(&c.closing);
    assert_int_equal(ws_closing_next(&c.closing), WS_CLOSING_CLOSE_TCP);
    assert_true(ws_closing_clean(&c.closing));
}

static void test_client_gives_up_waiting_for_tcp_close(void **state)
{
    (void)state;
    endpoint c;
    endpoint_init(&c, WS_ROLE_CLIENT);
    ws_closing_received(&c.closing, 1000);
    send_close(&c, NULL, 0);
    assert_int_equal(ws_closing_next(&c.closing), WS_CLOSING_WAIT_TCP_CLOSE);
    ws_closing_timeout(&c.closing);
    assert_int_equal(ws_closing_next(&c.closing), WS_CLOSING_CLOSE_TCP);
}

/* With ws_closing_received_reason the echo carries the peer's reason too,
 * in both roles; one that could not be sent is left out, the code kept. */
static void test_reason_echoed(void **state)
{
    (void)state;
    char long_reason[WS_MAX_CLOSE_REASON + 1];
    memset(long_reason, 'r', sizeof long_reason);
    const struct {
        uint16_t code;
        const char *reason;
        size_t len;
        uint16_t want_code;
        const char *want_reason;
    } cases[] = {
        {1000, "bye", 3, 1000, "bye"},
        {4999, "\xf0\x9f\x98\x80 \xe4\xb8\xad", 8, 4999, "\xf0\x9f\x98\x80 \xe4\xb8\xad"},
        {3000, "", 0, 3000, ""},
        {1001, long_reason, WS_MAX_CLOSE_REASON, 1001, NULL}, /* the most that fits */
        {1001, long_reason, WS_MAX_CLOSE_REASON + 1, 1001, ""},
        {1000, "\xc0\xaf", 2, 1000, ""},       /* not UTF-8 */
        {1000, "bye\xe2\x82", 5, 1000, ""},    /* a sequence cut at the end */
    };
    for (int role = 0; role < 2; role++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            endpoint e;
            endpoint_init(&e, (ws_role)role);
            ws_closing_received_reason(&e.closing, cases[i].code,
                                       (const uint8_t *)cases[i].reason, cases[i].len);
            char reason[WS_MAX_CLOSE_REASON + 1];
            assert_int_equal(send_close(&e, reason, sizeof reason), cases[i].want_code);
            if (cases[i].want_reason)
                assert_string_equal(reason, cases[i].want_reason);
            else
                assert_memory_equal(reason, long_reason, WS_MAX_CLOSE_REASON);
            assert_true(ws_closing_clean(&e.closing));
        }
        /* Without a code to go with it (1005) a reason cannot be sent. */
        endpoint e;
        endpoint_init(&e, (ws_role)role);
        ws_closing_received_reason(&e.closing, WS_CLOSE_NO_STATUS, (const uint8_t *)"x", 1);
        uint8_t out[32];
        assert_int_equal(ws_closing_write(&e.closing, &e.writer, out, sizeof out),
                         role == WS_ROLE_CLIENT ? 6 : 2);
        /* Nor with a code that may not be sent. */
        endpoint_init(&e, (ws_role)role);
        ws_closing_received_reason(&e.closing, 1006, (const uint8_t *)"x", 1);
        assert_int_equal(ws_closing_write(&e.closing, &e.writer, out, sizeof out),
                         role == WS_ROLE_CLIENT ? 6 : 2);
    }
}

/* A close without a code (1005) is answered by an empty close. */
static void test_no_status_answered_with_empty_close(void **state)
{
    (void)state;
    for (int role = 0; role < 2; role++) {
        endpoint e;
        endpoint_init(&e, (ws_role)role);
        ws_closing_received(&e.closing, WS_CLOSE_NO_STATUS);
        uint8_t out[32];
        ptrdiff_t n = ws_closing_write(&e.closing, &e.writer, out, sizeof out);
        assert_int_equal(n, role == WS_ROLE_CLIENT ? 6 : 2);
        assert_int_equal(out[0], 0x88);
        assert_int_equal(out[1] & 0x7f, 0);
        assert_int_equal(ws_closing_peer_code(&e.closing), WS_CLOSE_NO_STATUS);
    }
}

/* We close first: the close goes out with our code and reason, we keep
 * reading until the peer's close, then the roles differ. */
static void test_we_close_first(void **state)
{
    (void)state;
    endpoint s;
    endpoint_init(&s, WS_ROLE_SERVER);
    assert_int_equal(ws_closing_request(&s.closing, 1001, "going away", 10), WS_OK);
    char reason[128];
    assert_int_equal(send_close(&s, reason, sizeof reason), 1001);
    assert_string_equal(reason, "going away");
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_READ); /* wait for the answer */
    assert_false(ws_closing_clean(&s.closing));
    assert_int_equal(ws_closing_peer_code(&s.closing), WS_CLOSE_ABNORMAL);
    ws_closing_received(&s.closing, 1001);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_CLOSE_TCP);
    assert_true(ws_closing_clean(&s.closing));

    endpoint c;
    endpoint_init(&c, WS_ROLE_CLIENT);
    assert_int_equal(ws_closing_request(&c.closing, 1000, NULL, 0), WS_OK);
    assert_int_equal(send_close(&c, NULL, 0), 1000);
    assert_int_equal(ws_closing_next(&c.closing), WS_CLOSING_READ);
    ws_closing_received(&c.closing, 1000);
    assert_int_equal(ws_closing_next(&c.closing), WS_CLOSING_WAIT_TCP_CLOSE);
    /* Nothing more is written: the handshake is over. */
    uint8_t out[32];
    assert_int_equal(ws_closing_write(&c.closing, &c.writer, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
}

/* The peer never answers our close: the caller's timer ends it. */
static void test_peer_never_answers(void **state)
{
    (void)state;
    endpoint s;
    endpoint_init(&s, WS_ROLE_SERVER);
    ws_closing_request(&s.closing, 1000, NULL, 0);
    send_close(&s, NULL, 0);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_READ);
    ws_closing_timeout(&s.closing);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_CLOSE_TCP);
    assert_false(ws_closing_clean(&s.closing));
}

static void test_request_validates_and_happens_once(void **state)
{
    (void)state;
    endpoint s;
    endpoint_init(&s, WS_ROLE_SERVER);
    char long_reason[124];
    memset(long_reason, 'r', sizeof long_reason);
    assert_int_equal(ws_closing_request(&s.closing, 1005, NULL, 0), WS_E_CLOSE_CODE_INVALID);
    assert_int_equal(ws_closing_request(&s.closing, 2999, NULL, 0), WS_E_CLOSE_CODE_INVALID);
    assert_int_equal(ws_closing_request(&s.closing, 1000, long_reason, 124),
                     WS_E_CLOSE_REASON_TOO_LONG);
    assert_int_equal(ws_closing_request(&s.closing, 1000, "\xff", 1), WS_E_INVALID_UTF8);
    assert_int_equal(ws_closing_request(&s.closing, 0, "x", 1), WS_E_INVALID_ARGUMENT);
    /* Checked in the documented order: the length before the missing code. */
    assert_int_equal(ws_closing_request(&s.closing, 0, long_reason, 124),
                     WS_E_CLOSE_REASON_TOO_LONG);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_READ);
    assert_int_equal(ws_closing_request(&s.closing, 3000, long_reason, 123), WS_OK);
    assert_int_equal(ws_closing_request(&s.closing, 1000, NULL, 0), WS_OK); /* no effect */
    char reason[128];
    assert_int_equal(send_close(&s, reason, sizeof reason), 3000);
    assert_int_equal(strlen(reason), 123);
    assert_int_equal(ws_closing_request(&s.closing, 1000, NULL, 0), WS_OK);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_READ);
}

/* A peer's close that arrives before our requested one went out is echoed
 * instead: the peer is closing anyway. */
static void test_peer_close_overtakes_our_request(void **state)
{
    (void)state;
    endpoint s;
    endpoint_init(&s, WS_ROLE_SERVER);
    ws_closing_request(&s.closing, 1001, "bye", 3);
    ws_closing_received(&s.closing, 1000);
    assert_int_equal(send_close(&s, NULL, 0), 1000);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_CLOSE_TCP);
}

/* Failing the connection (7.1.7): the close carries the error's code and
 * TCP is closed without waiting for an answer, in both roles. */
static void test_protocol_error_fails_the_connection(void **state)
{
    (void)state;
    static const int errors[] = {WS_E_INVALID_UTF8, WS_E_RESERVED_OPCODE, WS_E_MESSAGE_TOO_BIG};
    for (int role = 0; role < 2; role++)
        for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
            endpoint e;
            endpoint_init(&e, (ws_role)role);
            ws_closing_fail(&e.closing, errors[i]);
            char reason[128];
            assert_int_equal(send_close(&e, reason, sizeof reason),
                             ws_status_close_code(errors[i]));
            assert_string_equal(reason, ws_status_name(errors[i]));
            assert_int_equal(ws_closing_next(&e.closing), WS_CLOSING_CLOSE_TCP);
        }
}

/* A failure after the peer's close, before the echo went out: the
 * failure's close goes instead of the echo, and with a close each way the
 * close is clean. */
static void test_failure_replaces_a_pending_echo(void **state)
{
    (void)state;
    endpoint s;
    endpoint_init(&s, WS_ROLE_SERVER);
    ws_closing_received(&s.closing, 1000);
    ws_closing_fail(&s.closing, WS_E_RESERVED_OPCODE);
    assert_int_equal(send_close(&s, NULL, 0), 1002);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_CLOSE_TCP);
    assert_true(ws_closing_clean(&s.closing));
    assert_int_equal(ws_closing_peer_code(&s.closing), 1000);
}

/* An error after our close went out sends nothing more. */
static void test_error_after_our_close(void **state)
{
    (void)state;
    endpoint s;
    endpoint_init(&s, WS_ROLE_SERVER);
    ws_closing_request(&s.closing, 1000, NULL, 0);
    send_close(&s, NULL, 0);
    ws_closing_fail(&s.closing, WS_E_INVALID_UTF8);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_CLOSE_TCP);
}

/* A close that arrives after we failed the connection is not processed
 * (7.1.7), even when it answers ours: the close was not clean, and there
 * is no peer code to report. */
static void test_close_after_failing_is_ignored(void **state)
{
    (void)state;
    for (int role = 0; role < 2; role++) {
        endpoint e;
        endpoint_init(&e, (ws_role)role);
        ws_closing_fail(&e.closing, WS_E_INVALID_UTF8);
        assert_int_equal(send_close(&e, NULL, 0), 1007);
        ws_closing_received(&e.closing, 1007);
        assert_false(ws_closing_clean(&e.closing));
        assert_int_equal(ws_closing_peer_code(&e.closing), 1006);
        assert_int_equal(ws_closing_next(&e.closing), WS_CLOSING_CLOSE_TCP);
    }
}

/* A local error (no close code) closes TCP at once. */
static void test_local_error_closes_tcp(void **state)
{
    (void)state;
    endpoint s;
    endpoint_init(&s, WS_ROLE_SERVER);
    ws_closing_fail(&s.closing, WS_E_BUFFER_TOO_SMALL);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_CLOSE_TCP);
    uint8_t out[32];
    assert_int_equal(ws_closing_write(&s.closing, &s.writer, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
}

/* Bytes after the peer's close (WS_E_AFTER_CLOSE) do not disturb the
 * handshake: the echo still goes out, and the client still waits. */
static void test_data_after_peer_close_is_ignored(void **state)
{
    (void)state;
    endpoint c;
    endpoint_init(&c, WS_ROLE_CLIENT);
    ws_closing_received(&c.closing, 1000);
    ws_closing_fail(&c.closing, WS_E_AFTER_CLOSE);
    assert_int_equal(send_close(&c, NULL, 0), 1000);
    ws_closing_fail(&c.closing, WS_E_AFTER_CLOSE);
    assert_int_equal(ws_closing_next(&c.closing), WS_CLOSING_WAIT_TCP_CLOSE);
}

/* The peer drops TCP with no close frame: abnormal closure, 1006. For a
 * client this is RFC 6455 7.2.1 (connection lost: Fail the WebSocket
 * Connection), so both roles are checked: no close to send, TCP closed. */
static void test_tcp_dropped(void **state)
{
    (void)state;
    for (int role = 0; role < 2; role++) {
        endpoint e;
        endpoint_init(&e, (ws_role)role);
        ws_closing_peer_closed(&e.closing);
        assert_int_equal(ws_closing_next(&e.closing), WS_CLOSING_CLOSE_TCP);
        assert_int_equal(ws_closing_peer_code(&e.closing), WS_CLOSE_ABNORMAL);
        assert_false(ws_closing_clean(&e.closing));
        assert_true(ws_writer_can_send(&e.writer)); /* no close frame went out */
    }
    /* Even with a close queued, there is no one to send it to. */
    endpoint t;
    endpoint_init(&t, WS_ROLE_SERVER);
    ws_closing_request(&t.closing, 1000, NULL, 0);
    ws_closing_peer_closed(&t.closing);
    assert_int_equal(ws_closing_next(&t.closing), WS_CLOSING_CLOSE_TCP);
}

/* RFC 6455 7.4.1: 1005, 1006 and 1015 MUST NOT be set in a close frame.
 * Failing the connection picks the code from the status table, so every
 * status there, in both roles, either sends nothing or a close whose code
 * may travel on the wire (and that the peer's parser accepts). A status
 * given a pseudo-code such as 1006 would make ws_closing_write fail forever. */
static void test_fail_never_sends_a_reserved_code(void **state)
{
    (void)state;
#define STATUS_VALUE_(name, value, close_code, http_code, sentence) (value),
    static const int statuses[] = {WS_STATUS_TABLE(STATUS_VALUE_)};
#undef STATUS_VALUE_
    for (int role = 0; role < 2; role++)
        for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++) {
            const int st = statuses[i];
            if (st >= 0 || st == WS_E_AFTER_CLOSE)
                continue; /* not failures: ws_closing_fail ignores AFTER_CLOSE */
            endpoint e;
            endpoint_init(&e, (ws_role)role);
            ws_closing_fail(&e.closing, st);
            if (ws_closing_next(&e.closing) == WS_CLOSING_CLOSE_TCP) {
                assert_int_equal(ws_status_close_code(st), 0); /* a local error */
                continue;
            }
            uint16_t code = send_close(&e, NULL, 0);
            if (!ws_close_code_valid(code))
                fail_msg("%s: close code %u may not be sent", ws_status_name(st), code);
            assert_int_equal(code, ws_status_close_code(st));
            assert_int_equal(ws_closing_next(&e.closing), WS_CLOSING_CLOSE_TCP);
        }
}

/* The pseudo-codes a caller may hold (1005 none, 1006 dropped, 1015 TLS)
 * and codes no one may send are never echoed: the answer is an empty
 * close, which is what a close without a code gets (7.4.1). */
static void test_reserved_codes_are_not_echoed(void **state)
{
    (void)state;
    static const uint16_t codes[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535};
    for (int role = 0; role < 2; role++)
        for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
            endpoint e;
            endpoint_init(&e, (ws_role)role);
            ws_closing_received(&e.closing, codes[i]);
            uint8_t out[WS_MAX_HEADER_SIZE + WS_MAX_CONTROL_PAYLOAD];
            ptrdiff_t n = ws_closing_write(&e.closing, &e.writer, out, sizeof out);
            assert_int_equal(n, role == WS_ROLE_CLIENT ? 6 : 2);
            assert_int_equal(out[1] & 0x7f, 0); /* empty payload: no code at all */
        }
}

/* The buffer for the close is too small: nothing changes, retry works. */
static void test_write_retry_after_short_buffer(void **state)
{
    (void)state;
    endpoint s;
    endpoint_init(&s, WS_ROLE_SERVER);
    ws_closing_received(&s.closing, 1000);
    uint8_t out[8];
    assert_int_equal(ws_closing_write(&s.closing, &s.writer, out, 3), WS_E_BUFFER_TOO_SMALL);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_SEND_CLOSE);
    assert_true(ws_writer_can_send(&s.writer));
    assert_int_equal(ws_closing_write(&s.closing, &s.writer, out, sizeof out), 4);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_CLOSE_TCP);
}

/* Two endpoints, client and server, talk to each other through their
 * parsers until both would close TCP: the server closes first. */
static void test_full_handshake_between_roles(void **state)
{
    (void)state;
    endpoint c, s;
    endpoint_init(&c, WS_ROLE_CLIENT);
    endpoint_init(&s, WS_ROLE_SERVER);
    ws_closing_request(&c.closing, 1000, "done", 4);
    uint16_t code = send_close(&c, NULL, 0); /* what the server's parser saw */
    ws_closing_received(&s.closing, code);
    code = send_close(&s, NULL, 0); /* the echo, seen by the client's parser */
    assert_int_equal(code, 1000);
    ws_closing_received(&c.closing, code);
    assert_int_equal(ws_closing_next(&s.closing), WS_CLOSING_CLOSE_TCP);
    assert_int_equal(ws_closing_next(&c.closing), WS_CLOSING_WAIT_TCP_CLOSE);
    ws_closing_peer_closed(&c.closing); /* the server's FIN arrives */
    assert_int_equal(ws_closing_next(&c.closing), WS_CLOSING_CLOSE_TCP);
    assert_true(ws_closing_clean(&c.closing) && ws_closing_clean(&s.closing));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_answers_peer_close),
        cmocka_unit_test(test_client_answers_server_close_then_waits),
        cmocka_unit_test(test_client_gives_up_waiting_for_tcp_close),
        cmocka_unit_test(test_reason_echoed),
        cmocka_unit_test(test_no_status_answered_with_empty_close),
        cmocka_unit_test(test_we_close_first),
        cmocka_unit_test(test_peer_never_answers),
        cmocka_unit_test(test_request_validates_and_happens_once),
        cmocka_unit_test(test_peer_close_overtakes_our_request),
        cmocka_unit_test(test_protocol_error_fails_the_connection),
        cmocka_unit_test(test_failure_replaces_a_pending_echo),
        cmocka_unit_test(test_error_after_our_close),
        cmocka_unit_test(test_close_after_failing_is_ignored),
        cmocka_unit_test(test_local_error_closes_tcp),
        cmocka_unit_test(test_data_after_peer_close_is_ignored),
        cmocka_unit_test(test_tcp_dropped),
        cmocka_unit_test(test_fail_never_sends_a_reserved_code),
        cmocka_unit_test(test_reserved_codes_are_not_echoed),
        cmocka_unit_test(test_write_retry_after_short_buffer),
        cmocka_unit_test(test_full_handshake_between_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
