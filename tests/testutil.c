#define _DEFAULT_SOURCE
#include "testutil.h"

#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static size_t mapping_size(size_t len)
{
    size_t pg = page_size();
    return ((len + pg - 1) / pg + 1) * pg;
}

uint8_t *ws_test_guard_copy(const void *data, size_t len)
{
    size_t total = mapping_size(len);
    uint8_t *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(base != MAP_FAILED);
    uint8_t *guard = base + total - page_size();
    assert_int_equal(mprotect(guard, page_size(), PROT_NONE), 0);
    uint8_t *p = guard - len;
    if (len)
        memcpy(p, data, len);
    return p;
}

void ws_test_guard_free(uint8_t *p, size_t len)
{
    size_t total = mapping_size(len);
    uint8_t *base = p + len + page_size() - total;
    munmap(base, total);
}

void ws_test_rng_seed(ws_test_rng *r, uint64_t seed) { r->s = seed ? seed : 0x9E3779B97F4A7C15ull; }

uint64_t ws_test_rng_next(ws_test_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1Dull;
}

uint64_t ws_test_rng_below(ws_test_rng *r, uint64_t n) { return ws_test_rng_next(r) % n; }

void ws_test_rng_fill(ws_test_rng *r, void *buf, size_t len)
{
    uint8_t *b = buf;
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(ws_test_rng_next(r) >> 56);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t ws_test_hex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*hex) {
        if (*hex == ' ') {
            hex++;
            continue;
        }
        int hi = hex_value(hex[0]);
        assert_true(hi >= 0 && hex[1] != '\0');
        int lo = hex_value(hex[1]);
        assert_true(lo >= 0);
        assert_true(n < cap);
        out[n++] = (uint8_t)(hi << 4 | lo);
        hex += 2;
    }
    return n;
}
