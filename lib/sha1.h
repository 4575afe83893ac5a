/* SHA-1 (FIPS 180-4), only for Sec-WebSocket-Accept (RFC 6455 section
 * 4.2.2). Not a security primitive here: the accept key only proves that
 * the server understood the handshake. Internal, not installed. */
#ifndef WS_SHA1_H
#define WS_SHA1_H

#include <stddef.h>
#include <stdint.h>

#define WS_SHA1_DIGEST_LEN 20

typedef struct ws_sha1 {
    uint32_t h[5];
    uint64_t total_len; /* bytes hashed so far */
    uint8_t block[64];  /* a partial block waiting for more input */
    size_t block_len;
} ws_sha1;

void ws_sha1_init(ws_sha1 *s);
void ws_sha1_update(ws_sha1 *s, const void *data, size_t len);
void ws_sha1_final(ws_sha1 *s, uint8_t digest[WS_SHA1_DIGEST_LEN]);

#endif
