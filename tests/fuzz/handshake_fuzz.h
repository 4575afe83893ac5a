/* Checks shared by the handshake and URL fuzz targets. */
#ifndef WS_HANDSHAKE_FUZZ_H
#define WS_HANDSHAKE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "wsframe.h"

/* An invariant: abort() so libFuzzer records the input. */
static inline void require(int cond)
{
    if (!cond)
        abort();
}

/* p[0..n) lies inside data[0..size). */
static inline int in_range(const char *p, size_t n, const uint8_t *data, size_t size)
{
    const char *lo = (const char *)data;
    return p >= lo && p + n <= lo + size;
}

/* One of ws_http_parse_request / ws_http_parse_response with its outputs
 * thrown away: its answer for buf[0..len) after a call that saw last_len
 * bytes. ctx is what the target passes through (its limits). */
typedef int (*head_parse_fn)(const char *buf, size_t len, size_t last_len, const void *ctx);

/* The incremental-feeding invariants of an HTTP head parser, given whole,
 * its answer for all of data: every prefix answers WS_INCOMPLETE or whole
 * (every prefix for small inputs, a spread of them for large ones), and
 * feeding chunk bytes at a time with last_len ends in whole. */
static inline void require_prefixes_agree(head_parse_fn parse, const void *ctx,
                                          const uint8_t *data, size_t size, int whole,
                                          size_t chunk)
{
    const char *buf = (const char *)data;
    size_t decided = whole > 0 ? (size_t)whole : size;
    size_t step = decided > 512 ? decided / 256 : 1;
    for (size_t p = 0; p < decided; p += step) {
        int r = parse(buf, p, 0, ctx);
        require(r == WS_INCOMPLETE || r == whole);
    }
    int r = WS_INCOMPLETE;
    size_t last = 0;
    for (size_t p = chunk;; p += chunk) {
        if (p > size)
            p = size;
        r = parse(buf, p, last, ctx);
        last = p;
        if (r != WS_INCOMPLETE || p == size)
            break;
    }
    require(r == whole);
}

#endif
