/* Checks shared by the handshake and URL fuzz targets. */
#ifndef WS_HANDSHAKE_FUZZ_H
#define WS_HANDSHAKE_FUZZ_H

#include <stdint.h>
#include <stdlib.h>

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

#endif
