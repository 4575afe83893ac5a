/* Base64 (RFC 4648 section 4, the standard alphabet with '=' padding), for
 * Sec-WebSocket-Key and Sec-WebSocket-Accept. Internal, not installed. */
#ifndef WS_BASE64_H
#define WS_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Characters ws_base64_encode() writes for len bytes (no NUL). */
#define WS_BASE64_ENCODED_LEN(len) ((((len) + 2u) / 3u) * 4u)

/* Encode len bytes into out, which holds WS_BASE64_ENCODED_LEN(len)
 * characters; no NUL is written. Returns the characters written. */
size_t ws_base64_encode(const uint8_t *in, size_t len, char *out);

/*
 * Decode: the length is a multiple of 4, only alphabet characters with '='
 * padding at the very end. The bits the padding leaves over in the last
 * character are ignored, not required to be zero (RFC 4648 section 3.5
 * lets a decoder choose): RFC 6455's own example key in section 4.1,
 * "AQIDBAUGBwgJCgsMDQ4PEC==", has them set, and Python websockets and Node
 * ws take it. Returns the decoded length, or -1 when in is not base64 or
 * the result does not fit in cap bytes.
 */
int ws_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

#endif
