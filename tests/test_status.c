/* The status table: every status has a sentence, a name, and the close code
 * or HTTP status its row promises. */
#include "testutil.h"

#include <string.h>

#define ROW_(name, value, close_code, http_code, sentence) {name, close_code, http_code},
static const struct {
    int status;
    int close_code;
    int http_code;
} rows[] = {WS_STATUS_TABLE(ROW_)};
#undef ROW_

static void test_every_status_has_text(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *s = ws_strerror(rows[i].status);
        assert_non_null(s);
        assert_true(strlen(s) > 5);
        assert_string_not_equal(ws_status_name(rows[i].status), "UNKNOWN");
        assert_int_equal(ws_status_close_code(rows[i].status), rows[i].close_code);
        assert_int_equal(ws_status_http_code(rows[i].status), rows[i].http_code);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(rows[i].status, rows[j].status);
    }
}

static void test_close_codes_of_protocol_errors(void **state)
{
    (void)state;
    assert_int_equal(ws_status_close_code(WS_E_RESERVED_OPCODE), 1002);
    assert_int_equal(ws_status_close_code(WS_E_INVALID_UTF8), 1007);
    assert_int_equal(ws_status_close_code(WS_E_MESSAGE_TOO_BIG), 1009);
    assert_int_equal(ws_status_close_code(WS_OK), 0);
    assert_int_equal(ws_status_http_code(WS_E_HS_BAD_VERSION), 426);
    assert_int_equal(ws_status_http_code(WS_E_HS_ORIGIN_FORBIDDEN), 403);
    assert_string_equal(ws_status_name(WS_E_RESERVED_OPCODE), "RESERVED_OPCODE");
    assert_string_equal(ws_status_name(WS_INCOMPLETE), "INCOMPLETE");
    assert_string_equal(ws_strerror(-12345), "Unknown libwsframe status.");
    assert_string_equal(ws_status_name(-12345), "UNKNOWN");
    /* A writer's byte count reads as success in both, not as an unknown status. */
    assert_string_equal(ws_strerror(5), "Success.");
    assert_string_equal(ws_status_name(5), "OK");
    assert_string_equal(ws_status_name(WS_OK), "OK");
}

static void test_version(void **state)
{
    (void)state;
    assert_string_equal(ws_version(), WS_VERSION_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_status_has_text),
        cmocka_unit_test(test_close_codes_of_protocol_errors),
        cmocka_unit_test(test_version),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
