/* Helpers shared by the cmocka unit tests. */
#ifndef WS_TESTUTIL_H
#define WS_TESTUTIL_H

#include <setjmp.h> /* cmocka needs these before cmocka.h */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "wsframe.h"

/*
 * A copy of len bytes placed so that its last byte is the last byte of a
 * mapped page and the next page is PROT_NONE: any read past the end faults.
 * Release with ws_test_guard_free(). Never returns NULL (fails the test).
 */
uint8_t *ws_test_guard_copy(const void *data, size_t len);
void ws_test_guard_free(uint8_t *p, size_t len);

/* A small seeded PRNG (xorshift64*), so randomized tests are reproducible:
 * the seed is printed on failure by the caller. */
typedef struct ws_test_rng {
    uint64_t s;
} ws_test_rng;
void ws_test_rng_seed(ws_test_rng *r, uint64_t seed);
uint64_t ws_test_rng_next(ws_test_rng *r);
/* Uniform in [0, n). n > 0. */
uint64_t ws_test_rng_below(ws_test_rng *r, uint64_t n);
void ws_test_rng_fill(ws_test_rng *r, void *buf, size_t len);

/* Bytes from a hex string with optional spaces: "81 05 48 65". Returns the
 * byte count; fails the test if out is too small or the string is bad. */
size_t ws_test_hex(const char *hex, uint8_t *out, size_t cap);

#endif
