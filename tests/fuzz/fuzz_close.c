/*
 * fuzz_close - ws_close_parse on arbitrary payloads, with invariants:
 *   - the status follows from the rules in order: over 125 bytes, 1 byte,
 *     empty (1005), code not allowed (ws_close_code_valid), reason not UTF-8
 *     (ws_utf8_validate);
 *   - when valid, ws_close_build(code, reason) gives back exactly the input;
 *   - ws_close_build on the same code and reason agrees about validity.
 */
#include <string.h>

#include "wsframe.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint16_t code = 0;
    const char *reason = NULL;
    size_t reason_len = 0;
    ws_status st = ws_close_parse(data, size, &code, &reason, &reason_len);

    ws_status want;
    unsigned wire_code = size >= 2 ? (unsigned)data[0] << 8 | data[1] : 0;
    if (size > WS_MAX_CONTROL_PAYLOAD)
        want = WS_E_CONTROL_TOO_LONG;
    else if (size == 1)
        want = WS_E_CLOSE_PAYLOAD_1BYTE;
    else if (size == 0)
        want = WS_OK;
    else if (!ws_close_code_valid(wire_code))
        want = WS_E_CLOSE_CODE_INVALID;
    else if (ws_utf8_validate(data + 2, size - 2) != WS_OK)
        want = WS_E_INVALID_UTF8;
    else
        want = WS_OK;
    CHECK(st == want);

    uint8_t out[WS_MAX_CONTROL_PAYLOAD];
    if (st == WS_OK && size == 0) {
        CHECK(code == WS_CLOSE_NO_STATUS && reason_len == 0);
        CHECK(ws_close_build(0, NULL, 0, out, sizeof out) == 0);
    } else if (st == WS_OK) {
        CHECK(code == wire_code && reason == (const char *)data + 2 && reason_len == size - 2);
        CHECK(ws_close_build(code, reason, reason_len, out, sizeof out) == (int)size);
        CHECK(memcmp(out, data, size) == 0);
        CHECK(ws_close_build(code, reason, reason_len, out, size - 1) == WS_E_BUFFER_TOO_SMALL);
    } else if (size >= 2 && size <= WS_MAX_CONTROL_PAYLOAD) {
        /* Building the same code and reason must fail for the same reason. */
        int b = ws_close_build((uint16_t)wire_code, (const char *)data + 2, size - 2, out,
                               sizeof out);
        if (wire_code == 0)
            CHECK(b == (size == 2 ? 0 : WS_E_INVALID_ARGUMENT));
        else
            CHECK(b == (int)st);
    }
    return 0;
}
