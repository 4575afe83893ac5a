/* Close payloads (RFC 6455 sections 5.5.1, 7.4): the code table for every
 * code 0..5000 and 65535, parse and build rules as rows, inputs before a
 * guard page. */
#include "testutil.h"

#include <string.h>

/* The IANA registry as ranges, written out: which codes may be sent. */
static bool registry_allows(unsigned code)
{
    static const struct {
        unsigned lo, hi;
    } allowed[] = {{1000, 1003}, {1007, 1014}, {3000, 4999}};
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (code >= allowed[i].lo && code <= allowed[i].hi)
            return true;
    return false;
}

static ws_status parse_guarded(const uint8_t *p, size_t len, uint16_t *code, const char **reason,
                               size_t *reason_len, const uint8_t **base)
{
    uint8_t *g = ws_test_guard_copy(p, len);
    *base = g;
    ws_status st = ws_close_parse(g, len, code, reason, reason_len);
    /* Check pointer results before the copy goes away. */
    if (st == WS_OK && len >= 2) {
        assert_ptr_equal(*reason, (const char *)g + 2);
        assert_memory_equal(*reason, p + 2, *reason_len);
    }
    ws_test_guard_free(g, len);
    return st;
}

static void test_every_code(void **state)
{
    (void)state;
    for (unsigned code = 0; code <= 65535; code = code == 5000 ? 65535 : code + 1) {
        bool valid = registry_allows(code);
        if (ws_close_code_valid(code) != valid)
            fail_msg("code %u: valid %d, want %d", code, !valid, valid);
        uint8_t out[4] = {0xEE, 0xEE, 0xEE, 0xEE};
        int built = ws_close_build((uint16_t)code, NULL, 0, out, sizeof out);
        if (code == 0)
            assert_int_equal(built, 0);
        else if (valid)
            assert_int_equal(built, 2);
        else
            assert_int_equal(built, WS_E_CLOSE_CODE_INVALID);
        if (built == 2) {
            assert_int_equal(out[0], code >> 8);
            assert_int_equal(out[1], code & 0xFF);
        }
        const uint8_t wire[2] = {(uint8_t)(code >> 8), (uint8_t)code};
        uint16_t got = 0;
        const char *reason = NULL;
        size_t reason_len = 99;
        const uint8_t *base;
        ws_status st = parse_guarded(wire, 2, &got, &reason, &reason_len, &base);
        assert_int_equal(st, valid ? WS_OK : WS_E_CLOSE_CODE_INVALID);
        if (valid) {
            assert_int_equal(got, code);
            assert_int_equal(reason_len, 0);
        }
    }
    assert_false(ws_close_code_valid(65536 + 1000)); /* no truncation to 16 bits */
}

typedef struct parse_row {
    const char *name;
    const char *hex;
    ws_status status;
    uint16_t code;
    size_t reason_len;
} parse_row;

static const parse_row parse_rows[] = {
    {"empty", "", WS_OK, WS_CLOSE_NO_STATUS, 0},
    {"1 byte", "03", WS_E_CLOSE_PAYLOAD_1BYTE, 0, 0},
    {"1000 no reason", "03 e8", WS_OK, 1000, 0},
    {"1001 with reason", "03 e9 62 79 65", WS_OK, 1001, 3},
    {"4999 with UTF-8 reason", "13 87 c3 a9 e2 82 ac f0 9f 98 80", WS_OK, 4999, 9},
    {"1005 on the wire", "03 ed", WS_E_CLOSE_CODE_INVALID, 0, 0},
    {"1006 on the wire", "03 ee", WS_E_CLOSE_CODE_INVALID, 0, 0},
    {"1015 on the wire", "03 f7", WS_E_CLOSE_CODE_INVALID, 0, 0},
    {"0", "00 00", WS_E_CLOSE_CODE_INVALID, 0, 0},
    {"999", "03 e7", WS_E_CLOSE_CODE_INVALID, 0, 0},
    {"5000", "13 88 61", WS_E_CLOSE_CODE_INVALID, 0, 0},
    {"65535", "ff ff", WS_E_CLOSE_CODE_INVALID, 0, 0},
    {"bad UTF-8 reason", "03 e8 ff", WS_E_INVALID_UTF8, 0, 0},
    {"surrogate in reason", "03 e8 ed a0 80", WS_E_INVALID_UTF8, 0, 0},
    {"truncated UTF-8 reason", "03 e8 61 c3", WS_E_INVALID_UTF8, 0, 0},
    {"bad code before bad reason", "03 ed ff", WS_E_CLOSE_CODE_INVALID, 0, 0},
};

static void test_parse_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_rows / sizeof parse_rows[0]; i++) {
        const parse_row *row = &parse_rows[i];
        uint8_t p[64];
        size_t len = ws_test_hex(row->hex, p, sizeof p);
        uint16_t code = 0;
        const char *reason = NULL;
        size_t reason_len = 99;
        const uint8_t *base;
        ws_status st = parse_guarded(p, len, &code, &reason, &reason_len, &base);
        if (st != row->status)
            fail_msg("%s: %s, want %s", row->name, ws_status_name(st), ws_status_name(row->status));
        if (st == WS_OK) {
            assert_int_equal(code, row->code);
            assert_int_equal(reason_len, row->reason_len);
        }
    }
}

static void test_parse_lengths(void **state)
{
    (void)state;
    uint8_t p[130];
    memset(p, 'r', sizeof p);
    p[0] = 0x03;
    p[1] = 0xe8;
    uint16_t code;
    const char *reason;
    size_t reason_len;
    const uint8_t *base;
    assert_int_equal(parse_guarded(p, 125, &code, &reason, &reason_len, &base), WS_OK);
    assert_int_equal(reason_len, WS_MAX_CLOSE_REASON);
    assert_int_equal(parse_guarded(p, 126, &code, &reason, &reason_len, &base),
                     WS_E_CONTROL_TOO_LONG);
    assert_int_equal(parse_guarded(p, 130, &code, &reason, &reason_len, &base),
                     WS_E_CONTROL_TOO_LONG);
    assert_int_equal(ws_close_parse(p, 2, NULL, &reason, &reason_len), WS_E_INVALID_ARGUMENT);
}

static void test_build(void **state)
{
    (void)state;
    uint8_t out[130];
    char reason[130];
    memset(reason, 'x', sizeof reason);

    memset(out, 0xEE, sizeof out);
    assert_int_equal(ws_close_build(1000, "bye", 3, out, sizeof out), 5);
    assert_memory_equal(out, "\x03\xe8" "bye", 5);
    assert_int_equal(out[5], 0xEE);

    assert_int_equal(ws_close_build(4000, reason, 123, out, sizeof out), 125);
    assert_int_equal(ws_close_build(4000, reason, 124, out, sizeof out),
                     WS_E_CLOSE_REASON_TOO_LONG);
    assert_int_equal(ws_close_build(1005, NULL, 0, out, sizeof out), WS_E_CLOSE_CODE_INVALID);
    assert_int_equal(ws_close_build(1000, "\xc3", 1, out, sizeof out), WS_E_INVALID_UTF8);
    assert_int_equal(ws_close_build(1000, "\xed\xa0\x80", 3, out, sizeof out), WS_E_INVALID_UTF8);
    assert_int_equal(ws_close_build(0, "x", 1, out, sizeof out), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_close_build(1000, NULL, 1, out, sizeof out), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_close_build(0, NULL, 0, NULL, 0), 0);

    /* Too small by one: nothing written. */
    memset(out, 0xEE, sizeof out);
    assert_int_equal(ws_close_build(1000, "bye", 3, out, 4), WS_E_BUFFER_TOO_SMALL);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xEE);
    assert_int_equal(ws_close_build(1000, NULL, 0, out, 1), WS_E_BUFFER_TOO_SMALL);
    assert_int_equal(out[0], 0xEE);
}

/* What build makes, parse takes back exactly. */
static void test_build_parse_round_trip(void **state)
{
    (void)state;
    static const char *reasons[] = {"", "bye", "going away", "caf\xc3\xa9 \xf0\x9f\x98\x80"};
    static const uint16_t codes[] = {1000, 1001, 1003, 1007, 1011, 1014, 3000, 4321, 4999};
    for (size_t c = 0; c < sizeof codes / sizeof codes[0]; c++) {
        for (size_t r = 0; r < sizeof reasons / sizeof reasons[0]; r++) {
            uint8_t out[WS_MAX_CONTROL_PAYLOAD];
            size_t rlen = strlen(reasons[r]);
            int n = ws_close_build(codes[c], reasons[r], rlen, out, sizeof out);
            assert_int_equal(n, (int)(2 + rlen));
            uint16_t code;
            const char *reason;
            size_t reason_len;
            const uint8_t *base;
            assert_int_equal(parse_guarded(out, (size_t)n, &code, &reason, &reason_len, &base),
                             WS_OK);
            assert_int_equal(code, codes[c]);
            assert_int_equal(reason_len, rlen);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_code),   cmocka_unit_test(test_parse_rows),
        cmocka_unit_test(test_parse_lengths), cmocka_unit_test(test_build),
        cmocka_unit_test(test_build_parse_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
