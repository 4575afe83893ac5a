/*
 * close.c - the payload of a close frame (RFC 6455 section 5.5.1): empty, or
 * a 2-byte big-endian status code followed by a UTF-8 reason. Which codes may
 * travel on the wire follows section 7.4 and the IANA registry.
 */
#include <string.h>

#include "wsframe.h"

WS_API bool ws_close_code_valid(unsigned code)
{
    /* 1004 is reserved; 1005, 1006 and 1015 are pseudo-codes that must never
     * be sent; 1016-2999 are unassigned; 3000-3999 are registered by
     * libraries and 4000-4999 private use. */
    return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
           (code >= 3000 && code <= 4999);
}

WS_API int ws_close_build(uint16_t code, const char *reason, size_t reason_len, uint8_t *out,
                          size_t cap)
{
    if ((reason == NULL && reason_len > 0) || (out == NULL && cap > 0))
        return WS_E_INVALID_ARGUMENT;
    if (code == 0) {
        /* An empty close payload: "no status", and so no reason either. */
        return reason_len == 0 ? 0 : WS_E_INVALID_ARGUMENT;
    }
    if (!ws_close_code_valid(code))
        return WS_E_CLOSE_CODE_INVALID;
    if (reason_len > WS_MAX_CLOSE_REASON)
        return WS_E_CLOSE_REASON_TOO_LONG;
    if (ws_utf8_validate((const uint8_t *)reason, reason_len) != WS_OK)
        return WS_E_INVALID_UTF8;
    if (cap < 2 + reason_len)
        return WS_E_BUFFER_TOO_SMALL;
    out[0] = (uint8_t)(code >> 8);
    out[1] = (uint8_t)code;
    if (reason_len > 0)
        memcpy(out + 2, reason, reason_len);
    return (int)(2 + reason_len);
}

WS_API ws_status ws_close_parse(const uint8_t *payload, size_t len, uint16_t *code,
                                const char **reason, size_t *reason_len)
{
    if ((payload == NULL && len > 0) || code == NULL || reason == NULL || reason_len == NULL)
        return WS_E_INVALID_ARGUMENT;
    if (len > WS_MAX_CONTROL_PAYLOAD)
        return WS_E_CONTROL_TOO_LONG;
    if (len == 1)
        return WS_E_CLOSE_PAYLOAD_1BYTE;
    if (len == 0) {
        *code = WS_CLOSE_NO_STATUS;
        *reason = (const char *)payload;
        *reason_len = 0;
        return WS_OK;
    }
    const unsigned wire_code = (unsigned)payload[0] << 8 | payload[1];
    if (!ws_close_code_valid(wire_code))
        return WS_E_CLOSE_CODE_INVALID;
    if (ws_utf8_validate(payload + 2, len - 2) != WS_OK)
        return WS_E_INVALID_UTF8;
    *code = (uint16_t)wire_code;
    *reason = (const char *)(payload + 2);
    *reason_len = len - 2;
    return WS_OK;
}
