/*
 * fuzz_frame - ws_frame_parse on arbitrary bytes, with invariants:
 *   - the result is a header length, WS_INCOMPLETE or a frame-layer error;
 *   - header_len never exceeds the input on success, and on WS_INCOMPLETE it
 *     is more than the input and at most 14;
 *   - a decoded header written back with ws_frame_write_header is the same
 *     bytes, and ws_frame_write + parse give the same frame back;
 *   - every shorter prefix gives WS_INCOMPLETE with the header length known so
 *     far, or (when the whole is an error) that same error, and never
 *     anything else; each prefix is copied to a buffer of exactly its size so
 *     ASan sees any over-read.
 * The first input byte picks the role (bit 0) and the negotiated RSV bits.
 */
#include <stdlib.h>
#include <string.h>

#include "wsframe.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            __builtin_trap();                                                                      \
    } while (0)

static bool frame_error(int r)
{
    switch (r) {
    case WS_E_RESERVED_OPCODE:
    case WS_E_RSV_BITS:
    case WS_E_CONTROL_TOO_LONG:
    case WS_E_CONTROL_FRAGMENTED:
    case WS_E_LENGTH_TOP_BIT:
    case WS_E_NONMINIMAL_LENGTH:
    case WS_E_UNMASKED_FRAME:
    case WS_E_MASKED_FRAME:
        return true;
    default:
        return false;
    }
}

static int parse_exact(const uint8_t *data, size_t len, ws_role role, unsigned rsv, ws_frame *f)
{
    uint8_t *copy = malloc(len ? len : 1);
    CHECK(copy != NULL);
    if (len)
        memcpy(copy, data, len);
    int r = ws_frame_parse(copy, len, role, rsv, f);
    free(copy);
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const ws_role role = (data[0] & 1) ? WS_ROLE_CLIENT : WS_ROLE_SERVER;
    const unsigned rsv = data[0] & (WS_RSV1 | WS_RSV2 | WS_RSV3);
    const uint8_t *buf = data + 1;
    const size_t len = size - 1;

    ws_frame f;
    int r = ws_frame_parse(buf, len, role, rsv, &f);
    CHECK(r > 0 || r == WS_INCOMPLETE || frame_error(r));
    if (r == WS_INCOMPLETE)
        CHECK(f.header_len > len && f.header_len >= 2 && f.header_len <= WS_MAX_HEADER_SIZE);
    if (r > 0) {
        CHECK((size_t)r == f.header_len && (size_t)r <= len && r <= WS_MAX_HEADER_SIZE);
        CHECK((f.rsv & ~rsv) == 0);
        CHECK(f.masked == (role == WS_ROLE_SERVER));
        CHECK(f.payload_len < (1ull << 63));
        CHECK(!WS_OPCODE_IS_CONTROL(f.opcode) || (f.fin && f.payload_len <= 125));
        CHECK(ws_frame_header_size(f.payload_len, f.masked) == (size_t)r);

        uint8_t out[WS_MAX_HEADER_SIZE];
        CHECK(ws_frame_write_header(&f, out, sizeof out) == r);
        CHECK(memcmp(out, buf, (size_t)r) == 0);
        CHECK(ws_frame_write_header(&f, out, (size_t)r - 1) == WS_E_BUFFER_TOO_SMALL);

        /* Whole frame: copy the payload bytes present, masked per the frame. */
        if (f.payload_len <= len - (size_t)r) {
            size_t plen = (size_t)f.payload_len;
            uint8_t *wire = malloc((size_t)r + plen);
            uint8_t *plain = malloc(plen ? plen : 1);
            CHECK(wire && plain);
            if (plen)
                memcpy(plain, buf + r, plen);
            if (f.masked)
                ws_mask(plain, plen, f.mask, 0);
            CHECK(ws_frame_write(&f, plain, plen, wire, (size_t)r + plen) ==
                  (ptrdiff_t)((size_t)r + plen));
            CHECK(memcmp(wire, buf, (size_t)r + plen) == 0);
            free(wire);
            free(plain);
        }
    }

    /* Prefixes. Beyond 14 bytes the header is decided, so stop there. */
    bool failed = false;
    size_t limit = len < WS_MAX_HEADER_SIZE ? len : WS_MAX_HEADER_SIZE;
    for (size_t k = 0; k < limit; k++) {
        ws_frame pf;
        int pr = parse_exact(buf, k, role, rsv, &pf);
        if (r > 0 && k >= (size_t)r) {
            CHECK(pr == r);
            continue;
        }
        if (pr == WS_INCOMPLETE) {
            CHECK(!failed);
            CHECK(pf.header_len > k && pf.header_len <= WS_MAX_HEADER_SIZE);
            if (k >= 2 && r > 0)
                CHECK(pf.header_len == (size_t)r);
            continue;
        }
        /* An error from a prefix must be the whole input's error. */
        CHECK(r < 0 && pr == r);
        failed = true;
    }
    return 0;
}
