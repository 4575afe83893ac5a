/* The frame header layer (RFC 6455 section 5.2): parse every rule as its own
 * row, whole and one byte at a time, always just before a guard page; write
 * headers and whole frames byte-exact; round trips over random frames. */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "frame.h"

#define SERVER WS_ROLE_SERVER
#define CLIENT WS_ROLE_CLIENT
#define ALL_RSV (WS_RSV1 | WS_RSV2 | WS_RSV3)
#define MAX_LEN63 0x7FFFFFFFFFFFFFFFull

/* One parse case. For an OK row the decoded fields follow; for an error row
 * they are ignored. hex may carry payload bytes after the header. */
typedef struct parse_row {
    const char *name;
    const char *hex;
    ws_role role;
    unsigned rsv_allowed;
    int result; /* header length, or a negative status */
    bool fin;
    uint8_t rsv;
    uint8_t opcode;
    bool masked;
    uint64_t payload_len;
} parse_row;

#define OK_ROW(name, hex, role, rsv_allowed, hlen, fin, rsv, op, masked, plen)                     \
    {name, hex, role, rsv_allowed, hlen, fin, rsv, op, masked, plen}
#define ERR_ROW(name, hex, role, rsv_allowed, status)                                              \
    {name, hex, role, rsv_allowed, status, false, 0, 0, false, 0}

static const parse_row parse_rows[] = {
    /* RFC 6455 section 5.7 examples */
    OK_ROW("5.7 unmasked Hello", "81 05 48 65 6c 6c 6f", CLIENT, 0, 2, true, 0, WS_OP_TEXT, false, 5),
    OK_ROW("5.7 masked Hello", "81 85 37 fa 21 3d 7f 9f 4d 51 58", SERVER, 0, 6, true, 0, WS_OP_TEXT,
           true, 5),
    OK_ROW("5.7 fragment Hel", "01 03 48 65 6c", CLIENT, 0, 2, false, 0, WS_OP_TEXT, false, 3),
    OK_ROW("5.7 fragment lo", "80 02 6c 6f", CLIENT, 0, 2, true, 0, WS_OP_CONTINUATION, false, 2),
    OK_ROW("5.7 unmasked ping", "89 05 48 65 6c 6c 6f", CLIENT, 0, 2, true, 0, WS_OP_PING, false, 5),
    OK_ROW("5.7 masked pong", "8a 85 37 fa 21 3d 7f 9f 4d 51 58", SERVER, 0, 6, true, 0, WS_OP_PONG,
           true, 5),
    OK_ROW("5.7 256 bytes binary", "82 7e 01 00", CLIENT, 0, 4, true, 0, WS_OP_BINARY, false, 256),
    OK_ROW("5.7 64 KiB binary", "82 7f 00 00 00 00 00 01 00 00", CLIENT, 0, 10, true, 0,
           WS_OP_BINARY, false, 65536),
    /* length boundaries */
    OK_ROW("length 0", "82 00", CLIENT, 0, 2, true, 0, WS_OP_BINARY, false, 0),
    OK_ROW("length 125", "82 7d", CLIENT, 0, 2, true, 0, WS_OP_BINARY, false, 125),
    OK_ROW("length 126", "82 7e 00 7e", CLIENT, 0, 4, true, 0, WS_OP_BINARY, false, 126),
    OK_ROW("length 65535", "82 7e ff ff", CLIENT, 0, 4, true, 0, WS_OP_BINARY, false, 65535),
    OK_ROW("length 65536", "82 7f 00 00 00 00 00 01 00 00", CLIENT, 0, 10, true, 0, WS_OP_BINARY,
           false, 65536),
    OK_ROW("length 2^63-1", "82 7f 7f ff ff ff ff ff ff ff", CLIENT, 0, 10, true, 0, WS_OP_BINARY,
           false, MAX_LEN63),
    ERR_ROW("length 2^63", "82 7f 80 00 00 00 00 00 00 00", CLIENT, 0, WS_E_LENGTH_TOP_BIT),
    ERR_ROW("length 2^64-1", "82 7f ff ff ff ff ff ff ff ff", CLIENT, 0, WS_E_LENGTH_TOP_BIT),
    OK_ROW("masked length 0", "82 80 01 02 03 04", SERVER, 0, 6, true, 0, WS_OP_BINARY, true, 0),
    OK_ROW("masked length 126", "82 fe 00 7e 01 02 03 04", SERVER, 0, 8, true, 0, WS_OP_BINARY, true,
           126),
    OK_ROW("masked length 65536", "82 ff 00 00 00 00 00 01 00 00 01 02 03 04", SERVER, 0, 14, true, 0,
           WS_OP_BINARY, true, 65536),
    OK_ROW("masked length 2^63-1", "82 ff 7f ff ff ff ff ff ff ff 01 02 03 04", SERVER, 0, 14, true,
           0, WS_OP_BINARY, true, MAX_LEN63),
    /* non-minimal lengths */
    ERR_ROW("16-bit length 0", "82 7e 00 00", CLIENT, 0, WS_E_NONMINIMAL_LENGTH),
    ERR_ROW("16-bit length 125", "82 7e 00 7d", CLIENT, 0, WS_E_NONMINIMAL_LENGTH),
    ERR_ROW("64-bit length 0", "82 7f 00 00 00 00 00 00 00 00", CLIENT, 0, WS_E_NONMINIMAL_LENGTH),
    ERR_ROW("64-bit length 125", "82 7f 00 00 00 00 00 00 00 7d", CLIENT, 0, WS_E_NONMINIMAL_LENGTH),
    ERR_ROW("64-bit length 126", "82 7f 00 00 00 00 00 00 00 7e", CLIENT, 0, WS_E_NONMINIMAL_LENGTH),
    ERR_ROW("64-bit length 65535", "82 7f 00 00 00 00 00 00 ff ff", CLIENT, 0,
            WS_E_NONMINIMAL_LENGTH),
    ERR_ROW("masked 16-bit length 125", "82 fe 00 7d 01 02 03 04", SERVER, 0, WS_E_NONMINIMAL_LENGTH),
    /* masking rule per role (section 5.1) */
    ERR_ROW("server gets unmasked", "81 05 48 65 6c 6c 6f", SERVER, 0, WS_E_UNMASKED_FRAME),
    ERR_ROW("server gets unmasked empty", "82 00", SERVER, 0, WS_E_UNMASKED_FRAME),
    ERR_ROW("client gets masked", "81 85 37 fa 21 3d 7f 9f 4d 51 58", CLIENT, 0, WS_E_MASKED_FRAME),
    ERR_ROW("client gets masked empty", "82 80 00 00 00 00", CLIENT, 0, WS_E_MASKED_FRAME),
    /* RSV bits */
    ERR_ROW("RSV1 not negotiated", "c1 00", CLIENT, 0, WS_E_RSV_BITS),
    ERR_ROW("RSV2 not negotiated", "a1 00", CLIENT, 0, WS_E_RSV_BITS),
    ERR_ROW("RSV3 not negotiated", "91 00", CLIENT, 0, WS_E_RSV_BITS),
    OK_ROW("RSV1 negotiated", "c1 00", CLIENT, WS_RSV1, 2, true, WS_RSV1, WS_OP_TEXT, false, 0),
    ERR_ROW("RSV2 with only RSV1 negotiated", "e1 00", CLIENT, WS_RSV1, WS_E_RSV_BITS),
    ERR_ROW("RSV3 with RSV1|RSV2 negotiated", "d1 00", CLIENT, WS_RSV1 | WS_RSV2, WS_E_RSV_BITS),
    OK_ROW("all RSV negotiated", "f2 00", CLIENT, ALL_RSV, 2, true, ALL_RSV, WS_OP_BINARY, false, 0),
    ERR_ROW("RSV1 on control frame", "c9 00", CLIENT, 0, WS_E_RSV_BITS),
    /* opcodes */
    ERR_ROW("opcode 3", "83 00", CLIENT, 0, WS_E_RESERVED_OPCODE),
    ERR_ROW("opcode 4", "84 00", CLIENT, 0, WS_E_RESERVED_OPCODE),
    ERR_ROW("opcode 5", "85 00", CLIENT, 0, WS_E_RESERVED_OPCODE),
    ERR_ROW("opcode 6", "86 00", CLIENT, 0, WS_E_RESERVED_OPCODE),
    ERR_ROW("opcode 7", "87 00", CLIENT, 0, WS_E_RESERVED_OPCODE),
    ERR_ROW("opcode B", "8b 00", CLIENT, 0, WS_E_RESERVED_OPCODE),
    ERR_ROW("opcode C", "8c 00", CLIENT, 0, WS_E_RESERVED_OPCODE),
    ERR_ROW("opcode D", "8d 00", CLIENT, 0, WS_E_RESERVED_OPCODE),
    ERR_ROW("opcode E", "8e 00", CLIENT, 0, WS_E_RESERVED_OPCODE),
    ERR_ROW("opcode F", "8f 00", CLIENT, 0, WS_E_RESERVED_OPCODE),
    ERR_ROW("opcode 3 masked to server", "83 80 00 00 00 00", SERVER, 0, WS_E_RESERVED_OPCODE),
    OK_ROW("opcode close", "88 00", CLIENT, 0, 2, true, 0, WS_OP_CLOSE, false, 0),
    OK_ROW("continuation not FIN", "00 00", CLIENT, 0, 2, false, 0, WS_OP_CONTINUATION, false, 0),
    OK_ROW("binary not FIN", "02 7d", CLIENT, 0, 2, false, 0, WS_OP_BINARY, false, 125),
    /* control frames */
    ERR_ROW("close not FIN", "08 00", CLIENT, 0, WS_E_CONTROL_FRAGMENTED),
    ERR_ROW("ping not FIN", "09 00", CLIENT, 0, WS_E_CONTROL_FRAGMENTED),
    ERR_ROW("pong not FIN", "0a 00", CLIENT, 0, WS_E_CONTROL_FRAGMENTED),
    OK_ROW("ping 125", "89 7d", CLIENT, 0, 2, true, 0, WS_OP_PING, false, 125),
    ERR_ROW("ping 126", "89 7e 00 7e", CLIENT, 0, WS_E_CONTROL_TOO_LONG),
    ERR_ROW("close 65536", "88 7f 00 00 00 00 00 01 00 00", CLIENT, 0, WS_E_CONTROL_TOO_LONG),
    ERR_ROW("masked pong 126", "8a fe 00 7e 01 02 03 04", SERVER, 0, WS_E_CONTROL_TOO_LONG),
    /* the documented order when several rules break at once */
    ERR_ROW("order: RSV before opcode", "c3 00", CLIENT, 0, WS_E_RSV_BITS),
    ERR_ROW("order: opcode before FIN", "0b 00", CLIENT, 0, WS_E_RESERVED_OPCODE),
    ERR_ROW("order: FIN before length", "09 7e 00 7e", CLIENT, 0, WS_E_CONTROL_FRAGMENTED),
    ERR_ROW("order: control length before mask", "89 7e 00 7e", SERVER, 0, WS_E_CONTROL_TOO_LONG),
    ERR_ROW("order: mask before top bit", "82 7f 80 00 00 00 00 00 00 00", SERVER, 0,
            WS_E_UNMASKED_FRAME),
    ERR_ROW("order: mask before non-minimal", "82 7e 00 01", SERVER, 0, WS_E_UNMASKED_FRAME),
    ERR_ROW("order: masked to client before non-minimal", "82 fe 00 01 00 00 00 00", CLIENT, 0,
            WS_E_MASKED_FRAME),
};

/* What a parser that has seen only the first k bytes can know about the
 * header length. */
static size_t known_header_len(const uint8_t *b, size_t k)
{
    if (k < 2)
        return 2;
    unsigned len7 = b[1] & 0x7Fu;
    size_t n = 2 + (len7 == 127 ? 8 : len7 == 126 ? 2 : 0);
    return n + ((b[1] & 0x80u) ? 4 : 0);
}

static int parse_guarded(const uint8_t *bytes, size_t len, const parse_row *row, ws_frame *f)
{
    uint8_t *g = ws_test_guard_copy(bytes, len);
    int r = ws_frame_parse(g, len, row->role, row->rsv_allowed, f);
    ws_test_guard_free(g, len);
    return r;
}

static void check_row(const parse_row *row)
{
    uint8_t bytes[64];
    size_t n = ws_test_hex(row->hex, bytes, sizeof bytes);
    ws_frame f;
    memset(&f, 0xA5, sizeof f);
    int r = parse_guarded(bytes, n, row, &f);
    if (r != row->result)
        fail_msg("%s: got %d (%s), want %d (%s)", row->name, r, ws_status_name(r), row->result,
                 ws_status_name(row->result));
    if (r > 0) {
        assert_int_equal(f.header_len, (size_t)r);
        assert_int_equal(f.fin, row->fin);
        assert_int_equal(f.rsv, row->rsv);
        assert_int_equal(f.opcode, row->opcode);
        assert_int_equal(f.masked, row->masked);
        assert_true(f.payload_len == row->payload_len);
        if (row->masked)
            assert_memory_equal(f.mask, bytes + r - 4, 4);
    }

    /* Every prefix: need-more with the header length known so far, or (an
     * error row) the same error once the bytes proving it are there, and from
     * then on for every longer prefix. */
    bool failed = false;
    for (size_t k = 0; k < n; k++) {
        ws_frame pf;
        memset(&pf, 0x5A, sizeof pf);
        int pr = parse_guarded(bytes, k, row, &pf);
        if (row->result > 0 && k >= (size_t)row->result) {
            assert_int_equal(pr, row->result);
            continue;
        }
        if (pr == WS_INCOMPLETE && !failed) {
            if (pf.header_len != known_header_len(bytes, k))
                fail_msg("%s: prefix %zu: header_len %zu, want %zu", row->name, k, pf.header_len,
                         known_header_len(bytes, k));
            continue;
        }
        if (row->result > 0 || pr != row->result)
            fail_msg("%s: prefix %zu of %zu gave %d (%s)", row->name, k, n, pr, ws_status_name(pr));
        failed = true;
    }
}

static void test_parse_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof parse_rows / sizeof parse_rows[0]; i++)
        check_row(&parse_rows[i]);
}

static void test_parse_arguments(void **state)
{
    (void)state;
    const uint8_t b[] = {0x81, 0x00};
    assert_int_equal(ws_frame_parse(b, 2, CLIENT, 0, NULL), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_frame_parse(NULL, 2, CLIENT, 0, &(ws_frame){0}), WS_E_INVALID_ARGUMENT);
    ws_frame f;
    memset(&f, 0, sizeof f);
    assert_int_equal(ws_frame_parse(NULL, 0, CLIENT, 0, &f), WS_INCOMPLETE);
    assert_int_equal(f.header_len, 2);
    assert_int_equal(ws_frame_parse(b, 2, (ws_role)2, 0, &f), WS_E_INVALID_ARGUMENT);
    /* Bits outside the RSV field in rsv_allowed grant nothing. */
    const uint8_t opcode_bits_set[] = {0x83, 0x00};
    assert_int_equal(ws_frame_parse(opcode_bits_set, 2, CLIENT, 0xFFu, &f), WS_E_RESERVED_OPCODE);
}

/* ------------------------------------------------------------ writing */

static void test_header_size(void **state)
{
    (void)state;
    static const struct {
        uint64_t len;
        bool masked;
        size_t size;
    } rows[] = {
        {0, false, 2},          {125, false, 2},        {126, false, 4},
        {65535, false, 4},      {65536, false, 10},     {MAX_LEN63, false, 10},
        {0, true, 6},           {125, true, 6},         {126, true, 8},
        {65535, true, 8},       {65536, true, 14},      {MAX_LEN63, true, 14},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(ws_frame_header_size(rows[i].len, rows[i].masked), rows[i].size);
}

typedef struct write_row {
    const char *name;
    ws_frame frame;
    const char *hex; /* expected header, or NULL for an error */
    int result;
} write_row;

#define FRAME(fin, rsv, op, masked, k0, k1, k2, k3, len)                                           \
    {fin, rsv, op, masked, {k0, k1, k2, k3}, len, 0}

static const write_row write_rows[] = {
    {"5.7 unmasked Hello", FRAME(true, 0, WS_OP_TEXT, false, 0, 0, 0, 0, 5), "81 05", 2},
    {"5.7 masked Hello", FRAME(true, 0, WS_OP_TEXT, true, 0x37, 0xfa, 0x21, 0x3d, 5),
     "81 85 37 fa 21 3d", 6},
    {"5.7 fragment Hel", FRAME(false, 0, WS_OP_TEXT, false, 0, 0, 0, 0, 3), "01 03", 2},
    {"5.7 fragment lo", FRAME(true, 0, WS_OP_CONTINUATION, false, 0, 0, 0, 0, 2), "80 02", 2},
    {"5.7 ping", FRAME(true, 0, WS_OP_PING, false, 0, 0, 0, 0, 5), "89 05", 2},
    {"5.7 masked pong", FRAME(true, 0, WS_OP_PONG, true, 0x37, 0xfa, 0x21, 0x3d, 5),
     "8a 85 37 fa 21 3d", 6},
    {"5.7 256 bytes", FRAME(true, 0, WS_OP_BINARY, false, 0, 0, 0, 0, 256), "82 7e 01 00", 4},
    {"5.7 64 KiB", FRAME(true, 0, WS_OP_BINARY, false, 0, 0, 0, 0, 65536),
     "82 7f 00 00 00 00 00 01 00 00", 10},
    {"length 0", FRAME(true, 0, WS_OP_BINARY, false, 0, 0, 0, 0, 0), "82 00", 2},
    {"length 125", FRAME(true, 0, WS_OP_BINARY, false, 0, 0, 0, 0, 125), "82 7d", 2},
    {"length 126", FRAME(true, 0, WS_OP_BINARY, false, 0, 0, 0, 0, 126), "82 7e 00 7e", 4},
    {"length 65535", FRAME(true, 0, WS_OP_BINARY, false, 0, 0, 0, 0, 65535), "82 7e ff ff", 4},
    {"length 2^63-1", FRAME(true, 0, WS_OP_BINARY, true, 1, 2, 3, 4, MAX_LEN63),
     "82 ff 7f ff ff ff ff ff ff ff 01 02 03 04", 14},
    {"RSV1 text", FRAME(true, WS_RSV1, WS_OP_TEXT, false, 0, 0, 0, 0, 1), "c1 01", 2},
    {"close 125", FRAME(true, 0, WS_OP_CLOSE, false, 0, 0, 0, 0, 125), "88 7d", 2},
    {"length 2^63", FRAME(true, 0, WS_OP_BINARY, false, 0, 0, 0, 0, 0x8000000000000000ull), NULL,
     WS_E_INVALID_ARGUMENT},
    {"opcode 3", FRAME(true, 0, 3, false, 0, 0, 0, 0, 0), NULL, WS_E_INVALID_ARGUMENT},
    {"opcode B", FRAME(true, 0, 0xB, false, 0, 0, 0, 0, 0), NULL, WS_E_INVALID_ARGUMENT},
    {"opcode 0x11", FRAME(true, 0, 0x11, false, 0, 0, 0, 0, 0), NULL, WS_E_INVALID_ARGUMENT},
    {"rsv outside the RSV bits", FRAME(true, 0x01, WS_OP_TEXT, false, 0, 0, 0, 0, 0), NULL,
     WS_E_INVALID_ARGUMENT},
    {"ping not FIN", FRAME(false, 0, WS_OP_PING, false, 0, 0, 0, 0, 0), NULL, WS_E_INVALID_ARGUMENT},
    {"close 126", FRAME(true, 0, WS_OP_CLOSE, false, 0, 0, 0, 0, 126), NULL, WS_E_INVALID_ARGUMENT},
};

static void test_write_header_rows(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof write_rows / sizeof write_rows[0]; i++) {
        const write_row *row = &write_rows[i];
        uint8_t out[WS_MAX_HEADER_SIZE + 2];
        memset(out, 0xEE, sizeof out);
        int r = ws_frame_write_header(&row->frame, out, sizeof out);
        if (r != row->result)
            fail_msg("%s: got %d, want %d", row->name, r, row->result);
        if (row->hex == NULL) {
            for (size_t j = 0; j < sizeof out; j++)
                assert_int_equal(out[j], 0xEE);
            continue;
        }
        uint8_t want[WS_MAX_HEADER_SIZE];
        size_t n = ws_test_hex(row->hex, want, sizeof want);
        assert_int_equal(n, (size_t)r);
        assert_memory_equal(out, want, n);
        assert_int_equal(out[n], 0xEE);
        assert_int_equal(ws_frame_header_size(row->frame.payload_len, row->frame.masked), n);
        /* One byte short: an error and not a byte written. */
        memset(out, 0xEE, sizeof out);
        assert_int_equal(ws_frame_write_header(&row->frame, out, n - 1), WS_E_BUFFER_TOO_SMALL);
        for (size_t j = 0; j < sizeof out; j++)
            assert_int_equal(out[j], 0xEE);
    }
    assert_int_equal(ws_frame_write_header(NULL, (uint8_t[14]){0}, 14), WS_E_INVALID_ARGUMENT);
}

static void expect_frame(const ws_frame *f, const void *payload, size_t len, const char *hex)
{
    uint8_t want[64];
    size_t n = ws_test_hex(hex, want, sizeof want);
    uint8_t out[64];
    memset(out, 0xEE, sizeof out);
    assert_int_equal(ws_frame_write(f, payload, len, out, n), (ptrdiff_t)n);
    assert_memory_equal(out, want, n);
    memset(out, 0xEE, sizeof out);
    assert_int_equal(ws_frame_write(f, payload, len, out, n - 1), WS_E_BUFFER_TOO_SMALL);
    for (size_t j = 0; j < sizeof out; j++)
        assert_int_equal(out[j], 0xEE);
}

static void test_write_rfc_examples(void **state)
{
    (void)state;
    ws_frame f = FRAME(true, 0, WS_OP_TEXT, false, 0, 0, 0, 0, 5);
    expect_frame(&f, "Hello", 5, "81 05 48 65 6c 6c 6f");
    f = (ws_frame)FRAME(true, 0, WS_OP_TEXT, true, 0x37, 0xfa, 0x21, 0x3d, 5);
    expect_frame(&f, "Hello", 5, "81 85 37 fa 21 3d 7f 9f 4d 51 58");
    f = (ws_frame)FRAME(false, 0, WS_OP_TEXT, false, 0, 0, 0, 0, 3);
    expect_frame(&f, "Hel", 3, "01 03 48 65 6c");
    f = (ws_frame)FRAME(true, 0, WS_OP_CONTINUATION, false, 0, 0, 0, 0, 2);
    expect_frame(&f, "lo", 2, "80 02 6c 6f");
    f = (ws_frame)FRAME(true, 0, WS_OP_PING, false, 0, 0, 0, 0, 5);
    expect_frame(&f, "Hello", 5, "89 05 48 65 6c 6c 6f");
    f = (ws_frame)FRAME(true, 0, WS_OP_PONG, true, 0x37, 0xfa, 0x21, 0x3d, 5);
    expect_frame(&f, "Hello", 5, "8a 85 37 fa 21 3d 7f 9f 4d 51 58");
    f = (ws_frame)FRAME(true, 0, WS_OP_BINARY, false, 0, 0, 0, 0, 0);
    expect_frame(&f, NULL, 0, "82 00");
}

/* 256 bytes and 64 KiB of binary, as in section 5.7, header and payload. */
static void test_write_big_binary(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        const char *header;
    } rows[] = {{256, "82 7e 01 00"}, {65536, "82 7f 00 00 00 00 00 01 00 00"}};
    for (size_t i = 0; i < 2; i++) {
        size_t len = rows[i].len;
        uint8_t *payload = malloc(len);
        uint8_t *out = malloc(len + 16);
        assert_non_null(payload);
        assert_non_null(out);
        for (size_t j = 0; j < len; j++)
            payload[j] = (uint8_t)(j * 7 + 3);
        uint8_t want[16];
        size_t h = ws_test_hex(rows[i].header, want, sizeof want);
        ws_frame f = FRAME(true, 0, WS_OP_BINARY, false, 0, 0, 0, 0, len);
        assert_int_equal(ws_frame_write(&f, payload, len, out, len + 16), (ptrdiff_t)(h + len));
        assert_memory_equal(out, want, h);
        assert_memory_equal(out + h, payload, len);

        ws_frame back;
        uint8_t *g = ws_test_guard_copy(out, h + len);
        assert_int_equal(ws_frame_parse(g, h + len, CLIENT, 0, &back), (int)h);
        ws_test_guard_free(g, h + len);
        assert_true(back.payload_len == len);
        free(payload);
        free(out);
    }
}

static void test_write_arguments(void **state)
{
    (void)state;
    uint8_t out[32];
    ws_frame f = FRAME(true, 0, WS_OP_TEXT, false, 0, 0, 0, 0, 5);
    assert_int_equal(ws_frame_write(&f, "Hello", 4, out, sizeof out), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_frame_write(&f, NULL, 5, out, sizeof out), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_frame_write(NULL, "Hello", 5, out, sizeof out), WS_E_INVALID_ARGUMENT);
    f.opcode = 7;
    assert_int_equal(ws_frame_write(&f, "Hello", 5, out, sizeof out), WS_E_INVALID_ARGUMENT);
    f = (ws_frame)FRAME(false, 0, WS_OP_CLOSE, false, 0, 0, 0, 0, 0);
    assert_int_equal(ws_frame_write(&f, NULL, 0, out, sizeof out), WS_E_INVALID_ARGUMENT);
    /* Lengths no buffer can hold: short, whatever cap claims; nothing read. */
    static const uint8_t one = 0;
    f = (ws_frame)FRAME(true, 0, WS_OP_BINARY, false, 0, 0, 0, 0, 0);
    f.payload_len = (uint64_t)1 << 40;
#if SIZE_MAX >= (1ull << 40)
    assert_int_equal(ws_frame_write(&f, &one, (size_t)f.payload_len, out, sizeof out),
                     WS_E_BUFFER_TOO_SMALL);
#else
    /* A 32-bit size_t cannot state that length: the declared one never
     * matches, and is refused rather than truncated. */
    assert_int_equal(ws_frame_write(&f, &one, SIZE_MAX, out, SIZE_MAX), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_frame_write(&f, &one, (size_t)f.payload_len, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
#endif
    f.payload_len = (uint64_t)PTRDIFF_MAX - 5;
    assert_int_equal(ws_frame_write(&f, &one, (size_t)f.payload_len, out, SIZE_MAX),
                     WS_E_BUFFER_TOO_SMALL);
}

/* The small-frame path folds its argument checks into one test; whatever it
 * does not take must still get the general path's answer. */
static void test_write_small_refusals(void **state)
{
    (void)state;
    uint8_t out[32];
    memset(out, 0xEE, sizeof out);
    ws_frame f = FRAME(true, 0, WS_OP_BINARY, false, 0, 0, 0, 0, 2);
    f.rsv = 0x08; /* not an RSV bit: part of the opcode nibble on the wire */
    assert_int_equal(ws_frame_write(&f, "ab", 2, out, sizeof out), WS_E_INVALID_ARGUMENT);
    f.rsv = 0x80;
    assert_int_equal(ws_frame_write(&f, "ab", 2, out, sizeof out), WS_E_INVALID_ARGUMENT);
    f.rsv = 0;
    f.opcode = 0x12; /* 2 in the low nibble, but not an opcode */
    assert_int_equal(ws_frame_write(&f, "ab", 2, out, sizeof out), WS_E_INVALID_ARGUMENT);
    for (unsigned op = 3; op < 8; op++) {
        f.opcode = (uint8_t)op;
        assert_int_equal(ws_frame_write(&f, "ab", 2, out, sizeof out), WS_E_INVALID_ARGUMENT);
    }
    f = (ws_frame)FRAME(false, 0, WS_OP_PING, true, 1, 2, 3, 4, 2);
    assert_int_equal(ws_frame_write(&f, "ab", 2, out, sizeof out), WS_E_INVALID_ARGUMENT);
    f.fin = true;
    assert_int_equal(ws_frame_write(&f, "ab", 2, NULL, sizeof out), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_frame_write(&f, "ab", 2, out, 7), WS_E_BUFFER_TOO_SMALL);
    assert_int_equal(ws_frame_write(&f, "ab", 2, NULL, 0), WS_E_BUFFER_TOO_SMALL);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xEE);
    /* A continuation without FIN is fine; an empty payload may be NULL. */
    f = (ws_frame)FRAME(false, WS_RSV1, WS_OP_CONTINUATION, false, 0, 0, 0, 0, 0);
    assert_int_equal(ws_frame_write(&f, NULL, 0, out, sizeof out), 2);
    assert_int_equal(out[0], 0x40);
    assert_int_equal(out[1], 0x00);
    f = (ws_frame)FRAME(true, 0, WS_OP_PONG, true, 1, 2, 3, 4, 0);
    assert_int_equal(ws_frame_write(&f, NULL, 0, out, sizeof out), 6);
    static const uint8_t pong[] = {0x8A, 0x80, 1, 2, 3, 4};
    assert_memory_equal(out, pong, sizeof pong);
    assert_int_equal(ws_frame_write(&f, NULL, 0, out, 5), WS_E_BUFFER_TOO_SMALL);
}

/* ------------------------------------------------------------ round trips */

static uint64_t test_seed(void)
{
    const char *env = getenv("WS_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5eed0f4a11ull;
    printf("test_frame: seed 0x%" PRIx64 " (set WS_TEST_SEED to repeat)\n", seed);
    return seed;
}

static uint64_t random_length(ws_test_rng *rng, bool control)
{
    static const uint64_t edges[] = {0, 1, 125, 126, 127, 65535, 65536, 65537, MAX_LEN63};
    if (control)
        return ws_test_rng_below(rng, 126);
    switch (ws_test_rng_below(rng, 4)) {
    case 0:
        return edges[ws_test_rng_below(rng, sizeof edges / sizeof edges[0])];
    case 1:
        return ws_test_rng_below(rng, 300);
    case 2:
        return ws_test_rng_below(rng, 70000);
    default:
        return ws_test_rng_next(rng) >> (1 + ws_test_rng_below(rng, 63));
    }
}

static void test_round_trip_random(void **state)
{
    (void)state;
    static const uint8_t opcodes[] = {WS_OP_CONTINUATION, WS_OP_TEXT, WS_OP_BINARY,
                                      WS_OP_CLOSE,        WS_OP_PING, WS_OP_PONG};
    ws_test_rng rng;
    uint64_t seed = test_seed();
    ws_test_rng_seed(&rng, seed);
    static uint8_t payload[300], wire[300 + WS_MAX_HEADER_SIZE];
    for (int iter = 0; iter < 20000; iter++) {
        ws_frame f;
        memset(&f, 0, sizeof f);
        f.opcode = opcodes[ws_test_rng_below(&rng, sizeof opcodes)];
        bool control = WS_OPCODE_IS_CONTROL(f.opcode);
        f.fin = control || ws_test_rng_below(&rng, 2);
        f.rsv = (uint8_t)(ws_test_rng_below(&rng, 8) << 4);
        f.masked = ws_test_rng_below(&rng, 2);
        if (f.masked)
            ws_test_rng_fill(&rng, f.mask, 4);
        f.payload_len = random_length(&rng, control);
        ws_role receiver = f.masked ? SERVER : CLIENT;

        uint8_t header[WS_MAX_HEADER_SIZE];
        int h = ws_frame_write_header(&f, header, sizeof header);
        if (h != (int)ws_frame_header_size(f.payload_len, f.masked))
            fail_msg("seed 0x%" PRIx64 " iter %d: write_header %d", seed, iter, h);
        ws_frame back;
        uint8_t *g = ws_test_guard_copy(header, (size_t)h);
        int r = ws_frame_parse(g, (size_t)h, receiver, ALL_RSV, &back);
        ws_test_guard_free(g, (size_t)h);
        if (r != h)
            fail_msg("seed 0x%" PRIx64 " iter %d: parse %d want %d", seed, iter, r, h);
        assert_int_equal(back.fin, f.fin);
        assert_int_equal(back.rsv, f.rsv);
        assert_int_equal(back.opcode, f.opcode);
        assert_int_equal(back.masked, f.masked);
        assert_memory_equal(back.mask, f.mask, 4);
        assert_true(back.payload_len == f.payload_len);
        /* Without the RSV bits negotiated the same header is refused. */
        if (f.rsv != 0) {
            g = ws_test_guard_copy(header, (size_t)h);
            assert_int_equal(ws_frame_parse(g, (size_t)h, receiver, 0, &back), WS_E_RSV_BITS);
            ws_test_guard_free(g, (size_t)h);
        }

        if (f.payload_len < sizeof payload) {
            size_t len = (size_t)f.payload_len;
            ws_test_rng_fill(&rng, payload, len);
            ptrdiff_t w = ws_frame_write(&f, payload, len, wire, sizeof wire);
            assert_int_equal(w, (ptrdiff_t)(h + len));
            assert_memory_equal(wire, header, (size_t)h);
            g = ws_test_guard_copy(wire, (size_t)w);
            assert_int_equal(ws_frame_parse(g, (size_t)w, receiver, ALL_RSV, &back), h);
            ws_test_guard_free(g, (size_t)w);
            if (f.masked)
                ws_mask(wire + h, len, back.mask, 0);
            assert_memory_equal(wire + h, payload, len);
        }
    }
}

/* ws_frame_write byte-exact for every payload length 0-300 (the small-frame
 * path up to 125 and the general one after it), masked and not, at every
 * alignment: the payload read from the end of a guard page (no over-read),
 * nothing written past the frame, every key phase of the last word right. */
static void test_write_every_length(void **state)
{
    (void)state;
    static uint8_t payload[300], out[300 + WS_MAX_HEADER_SIZE + 16], expect[sizeof out];
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 0xf7a3);
    for (size_t len = 0; len <= 300; len++) {
        for (int masked = 0; masked < 2; masked++) {
            for (size_t align = 0; align < 8; align++) {
                ws_frame f = {.fin = true, .opcode = WS_OP_BINARY, .masked = masked != 0,
                              .payload_len = len};
                ws_test_rng_fill(&rng, f.mask, 4);
                ws_test_rng_fill(&rng, payload, len);
                int h = ws_frame_write_header(&f, expect + align, sizeof expect - align);
                assert_true(h > 0);
                for (size_t i = 0; i < len; i++)
                    expect[align + (size_t)h + i] =
                        (uint8_t)(payload[i] ^ (masked ? f.mask[i % 4] : 0));
                memset(out, 0xEE, sizeof out);
                memset(expect + align + (size_t)h + len, 0xEE,
                       sizeof expect - align - (size_t)h - len);
                memset(expect, 0xEE, align);
                uint8_t *g = ws_test_guard_copy(payload, len);
                ptrdiff_t w = ws_frame_write(&f, g, len, out + align, (size_t)h + len);
                ws_test_guard_free(g, len);
                assert_int_equal(w, (ptrdiff_t)((size_t)h + len));
                assert_memory_equal(out, expect, sizeof out);
                /* One byte short: refused, nothing written. */
                memset(out, 0xEE, sizeof out);
                assert_int_equal(ws_frame_write(&f, payload, len, out + align, (size_t)h + len - 1),
                                 WS_E_BUFFER_TOO_SMALL);
                for (size_t i = 0; i < sizeof out; i++)
                    assert_int_equal(out[i], 0xEE);
            }
        }
    }
}

/* ------------------------------------------- against a reference encoder */

/* ws_frame_write's contract spelled out the slow way: which frames it
 * accepts, and their bytes, one at a time. */
static bool ref_writable(const ws_frame *f)
{
    const bool control = f->opcode >= WS_OP_CLOSE && f->opcode <= WS_OP_PONG;
    if (!(f->opcode <= WS_OP_BINARY || control) || (f->rsv & ~ALL_RSV) != 0 ||
        f->payload_len > MAX_LEN63)
        return false;
    return !control || (f->fin && f->payload_len <= WS_MAX_CONTROL_PAYLOAD);
}

static size_t ref_encode(const ws_frame *f, const uint8_t *payload, size_t len, uint8_t *out)
{
    size_t pos = 0;
    out[pos++] = (uint8_t)((f->fin ? 0x80 : 0) | f->rsv | f->opcode);
    const uint8_t mask_bit = f->masked ? 0x80 : 0;
    if (len <= 125) {
        out[pos++] = (uint8_t)(mask_bit | len);
    } else if (len <= 0xFFFF) {
        out[pos++] = (uint8_t)(mask_bit | 126);
        out[pos++] = (uint8_t)(len >> 8);
        out[pos++] = (uint8_t)len;
    } else {
        out[pos++] = (uint8_t)(mask_bit | 127);
        for (int shift = 56; shift >= 0; shift -= 8)
            out[pos++] = (uint8_t)((uint64_t)len >> shift);
    }
    if (f->masked) {
        for (size_t i = 0; i < 4; i++)
            out[pos++] = f->mask[i];
    }
    for (size_t i = 0; i < len; i++)
        out[pos++] = (uint8_t)(payload[i] ^ (f->masked ? f->mask[i % 4] : 0));
    return pos;
}

typedef ptrdiff_t (*frame_writer)(const ws_frame *, const void *, size_t, uint8_t *, size_t);

/* ws_frame_write_short_unmasked (ws_message_write's path) for every frame
 * its contract admits, ws_frame_write for the rest: held to the same
 * reference bytes, fences and canaries as ws_frame_write itself. */
static ptrdiff_t write_short_when_admitted(const ws_frame *f, const void *payload, size_t len,
                                          uint8_t *out, size_t cap)
{
    if (ref_writable(f) && !f->masked && f->payload_len == len && len <= WS_MAX_CONTROL_PAYLOAD &&
        payload != NULL && out != NULL && cap >= 2 + len)
        return ws_frame_write_short_unmasked(
            (uint8_t)((f->fin ? 0x80 : 0) | f->rsv | f->opcode), payload, len, out);
    return ws_frame_write(f, payload, len, out, cap);
}

static const struct {
    const char *name;
    frame_writer write;
} writers[] = {{"ws_frame_write", ws_frame_write},
               {"no AVX2", ws_frame_write_no_avx2},
               {"short unmasked", write_short_when_admitted}};

/* len bytes between two PROT_NONE pages, flush against the first (at_end
 * false) or the second: a read before or after the payload faults. */
typedef struct fenced {
    uint8_t *base, *data;
    size_t total;
} fenced;

static fenced fenced_copy(const uint8_t *data, size_t len, bool at_end)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    const size_t body = (len + page - 1) / page * page + page;
    fenced f;
    f.total = body + 2 * page;
    f.base = mmap(NULL, f.total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(f.base != MAP_FAILED);
    assert_int_equal(mprotect(f.base, page, PROT_NONE), 0);
    assert_int_equal(mprotect(f.base + page + body, page, PROT_NONE), 0);
    f.data = at_end ? f.base + page + body - len : f.base + page;
    if (len)
        memcpy(f.data, data, len);
    return f;
}

static void fenced_free(fenced *f) { munmap(f->base, f->total); }

#define CANARY 0xEE
#define SLACK 8 /* canary bytes on each side of the output */

/* ws_frame_write_header against the header the reference wrote into want
 * (want is ignored for a frame the reference refuses): exact capacity, one
 * byte less, and nothing written outside the header. */
static void check_header_against_reference(const ws_frame *f, const uint8_t *want)
{
    const bool ok = ref_writable(f);
    const size_t h = ws_frame_header_size(f->payload_len, f->masked);
    uint8_t out[WS_MAX_HEADER_SIZE + 2 * SLACK];
    memset(out, CANARY, sizeof out);
    int r = ws_frame_write_header(f, out + SLACK, ok ? h : WS_MAX_HEADER_SIZE);
    if (r != (ok ? (int)h : WS_E_INVALID_ARGUMENT))
        fail_msg("write_header: fin %d rsv %#x opcode %#x masked %d len %" PRIu64 ": got %d",
                 f->fin, f->rsv, f->opcode, f->masked, f->payload_len, r);
    if (ok)
        assert_memory_equal(out + SLACK, want, h);
    for (size_t i = 0; i < sizeof out; i++) {
        if ((i < SLACK || i >= SLACK + (ok ? h : 0)) && out[i] != CANARY)
            fail_msg("write_header: opcode %#x: byte %zu written", f->opcode, i);
    }
    if (ok) {
        memset(out, CANARY, sizeof out);
        assert_int_equal(ws_frame_write_header(f, out + SLACK, h - 1), WS_E_BUFFER_TOO_SMALL);
        for (size_t i = 0; i < sizeof out; i++)
            assert_int_equal(out[i], CANARY);
    }
}

/* One frame through each writer, payload fenced on both sides, out exactly
 * the frame's size with canaries around it; then one byte short. */
static void check_against_reference(const ws_frame *f, const uint8_t *payload, size_t len,
                                    uint8_t *want, uint8_t *out, size_t align)
{
    const bool ok = ref_writable(f);
    const size_t n = ok ? ref_encode(f, payload, len, want) : 0;
    check_header_against_reference(f, want);
    for (int end = 0; end < 2; end++) {
        fenced src = fenced_copy(payload, len, end != 0);
        for (size_t w = 0; w < sizeof writers / sizeof writers[0]; w++) {
            const size_t cap = ok ? n : ws_frame_header_size(len, f->masked) + len;
            memset(out, CANARY, align + cap + 2 * SLACK);
            uint8_t *dst = out + SLACK + align;
            ptrdiff_t r = writers[w].write(f, src.data, len, dst, cap);
            if (r != (ok ? (ptrdiff_t)n : WS_E_INVALID_ARGUMENT))
                fail_msg("%s: fin %d rsv %#x opcode %#x masked %d len %zu: got %td",
                         writers[w].name, f->fin, f->rsv, f->opcode, f->masked, len, r);
            if (ok && memcmp(dst, want, n) != 0)
                fail_msg("%s: len %zu masked %d opcode %#x: bytes differ from the reference",
                         writers[w].name, len, f->masked, f->opcode);
            for (size_t i = 0; i < SLACK + align; i++)
                assert_int_equal(out[i], CANARY);
            for (size_t i = ok ? n : 0; i < cap + SLACK; i++)
                assert_int_equal(dst[i], CANARY);
            if (ok) {
                memset(out, CANARY, align + cap + 2 * SLACK);
                assert_int_equal(writers[w].write(f, src.data, len, dst, n - 1),
                                 WS_E_BUFFER_TOO_SMALL);
                for (size_t i = 0; i < align + cap + 2 * SLACK; i++)
                    assert_int_equal(out[i], CANARY);
            }
        }
        fenced_free(&src);
    }
}

/* Every length of the small-frame path and the first of the 16-bit one,
 * and both sides of the 16/64-bit boundary, masked and not, at a few
 * output alignments: byte for byte what the reference writes, nothing read
 * outside the payload, nothing written outside the frame. */
static void test_write_lengths_vs_reference(void **state)
{
    (void)state;
    static const size_t large[] = {65530, 65531, 65532, 65533, 65534, 65535,
                                   65536, 65537, 65538, 65539, 65540, 65541};
    enum { MAX = 65541 };
    uint8_t *payload = malloc(MAX), *want = malloc(MAX + WS_MAX_HEADER_SIZE);
    uint8_t *out = malloc(MAX + WS_MAX_HEADER_SIZE + 2 * SLACK + 8);
    assert_non_null(payload);
    assert_non_null(want);
    assert_non_null(out);
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 0x1e57);
    ws_test_rng_fill(&rng, payload, MAX);
    for (size_t k = 0; k <= 130 + sizeof large / sizeof large[0]; k++) {
        const size_t len = k <= 130 ? k : large[k - 131];
        for (int masked = 0; masked < 2; masked++) {
            for (size_t align = 0; align < (len <= 130 ? 8u : 2u); align++) {
                ws_frame f = {.fin = true, .opcode = WS_OP_BINARY, .masked = masked != 0,
                              .payload_len = len};
                ws_test_rng_fill(&rng, f.mask, 4);
                check_against_reference(&f, payload, len, want, out, align);
            }
        }
    }
    free(payload);
    free(want);
    free(out);
}

/* Every value of rsv and opcode with either fin and mask flag, at lengths
 * around the small-frame path's edges: accepted exactly when the reference
 * accepts, with its bytes. The small-frame path tests these four fields as
 * one word, so each bit of each field is worth a case. */
static void test_write_every_head_vs_reference(void **state)
{
    (void)state;
    static const size_t lengths[] = {0, 1, 33, 125, 126};
    uint8_t payload[126], want[126 + WS_MAX_HEADER_SIZE];
    uint8_t out[126 + WS_MAX_HEADER_SIZE + 2 * SLACK];
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 0x4ead);
    ws_test_rng_fill(&rng, payload, sizeof payload);
    for (unsigned bits = 0; bits < 4; bits++) {
        for (unsigned rsv = 0; rsv < 256; rsv++) {
            for (unsigned op = 0; op < 256; op++) {
                for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
                    ws_frame f = {.fin = (bits & 1) != 0, .rsv = (uint8_t)rsv,
                                  .opcode = (uint8_t)op, .masked = (bits & 2) != 0,
                                  .mask = {0x12, 0x34, 0x56, (uint8_t)op},
                                  .payload_len = lengths[i]};
                    const size_t len = lengths[i];
                    const bool ok = ref_writable(&f);
                    const size_t n = ok ? ref_encode(&f, payload, len, want) : 0;
                    check_header_against_reference(&f, want);
                    for (size_t w = 0; w < sizeof writers / sizeof writers[0]; w++) {
                        memset(out, CANARY, sizeof out);
                        ptrdiff_t r = writers[w].write(&f, payload, len, out + SLACK,
                                                       sizeof out - 2 * SLACK);
                        if (r != (ok ? (ptrdiff_t)n : WS_E_INVALID_ARGUMENT))
                            fail_msg("%s: fin %d rsv %#x opcode %#x masked %d len %zu: got %td",
                                     writers[w].name, f.fin, rsv, op, f.masked, len, r);
                        if (ok && memcmp(out + SLACK, want, n) != 0)
                            fail_msg("%s: fin %d rsv %#x opcode %#x masked %d len %zu: bytes "
                                     "differ",
                                     writers[w].name, f.fin, rsv, op, f.masked, len);
                        for (size_t j = 0; j < sizeof out; j++) {
                            if ((j < SLACK || j >= SLACK + n) && out[j] != CANARY)
                                fail_msg("%s: opcode %#x len %zu: byte %zu written",
                                         writers[w].name, op, len, j);
                        }
                    }
                }
            }
        }
    }
    /* The exhaustive run covers the fast path's head word; a few with the
     * fenced payload and exact capacity too. */
    static const uint8_t heads[][3] = {{1, 0, WS_OP_PING},   {1, 0x70, WS_OP_PONG},
                                       {1, 0, WS_OP_CLOSE},  {0, 0x40, WS_OP_CONTINUATION},
                                       {0, 0x10, WS_OP_TEXT}, {1, 0x20, WS_OP_TEXT}};
    for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++) {
        for (size_t len = 0; len <= 126; len++) {
            for (int masked = 0; masked < 2; masked++) {
                ws_frame f = {.fin = heads[h][0] != 0, .rsv = heads[h][1], .opcode = heads[h][2],
                              .masked = masked != 0, .mask = {9, 8, 7, 6}, .payload_len = len};
                check_against_reference(&f, payload, len, want, out, len % 4);
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_rows),         cmocka_unit_test(test_parse_arguments),
        cmocka_unit_test(test_header_size),        cmocka_unit_test(test_write_header_rows),
        cmocka_unit_test(test_write_rfc_examples), cmocka_unit_test(test_write_big_binary),
        cmocka_unit_test(test_write_arguments),    cmocka_unit_test(test_write_small_refusals),
        cmocka_unit_test(test_round_trip_random),  cmocka_unit_test(test_write_every_length),
        cmocka_unit_test(test_write_lengths_vs_reference),
        cmocka_unit_test(test_write_every_head_vs_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
