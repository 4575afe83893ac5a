/* The message writer (lib/message.c): RFC 6455 5.7 examples byte-exact,
 * fragmentation, a fresh key per frame, capacity checks that write nothing,
 * UTF-8 refusal, control frames, and nothing after a close. */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "stream_harness.h"

/* Hands out the keys of a list in order and counts the calls. */
typedef struct key_list {
    const uint8_t (*keys)[4];
    size_t n, used;
} key_list;

static void next_listed_key(void *ctx, uint8_t key[4])
{
    key_list *k = ctx;
    assert_true(k->used < k->n);
    memcpy(key, k->keys[k->used++], 4);
}

/* Counts calls and gives distinct keys. */
static void next_counted_key(void *ctx, uint8_t key[4])
{
    size_t *calls = ctx;
    sh_key((uint32_t)++*calls, key);
}

static void expect_bytes(const uint8_t *got, ptrdiff_t got_len, const char *hex)
{
    uint8_t want[512];
    size_t n = ws_test_hex(hex, want, sizeof want);
    assert_int_equal(got_len, (ptrdiff_t)n);
    assert_memory_equal(got, want, n);
}

static void test_rfc_examples_unmasked(void **state)
{
    (void)state;
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_SERVER, 0, NULL, NULL);
    uint8_t out[80000];
    expect_bytes(out, ws_message_write(&w, WS_OP_TEXT, "Hello", 5, out, sizeof out),
                 "81 05 48 65 6c 6c 6f");
    expect_bytes(out, ws_ping_write(&w, "Hello", 5, out, sizeof out), "89 05 48 65 6c 6c 6f");
    expect_bytes(out, ws_pong_write(&w, "Hello", 5, out, sizeof out), "8a 05 48 65 6c 6c 6f");

    /* 256 bytes and 64 KiB of binary: 16- and 64-bit lengths. */
    static uint8_t big[65536];
    ptrdiff_t r = ws_message_write(&w, WS_OP_BINARY, big, 256, out, sizeof out);
    assert_int_equal(r, 4 + 256);
    assert_memory_equal(out, "\x82\x7e\x01\x00", 4);
    r = ws_message_write(&w, WS_OP_BINARY, big, 65536, out, sizeof out);
    assert_int_equal(r, 10 + 65536);
    assert_memory_equal(out, "\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);

    /* "Hel" "lo" as two fragments. */
    ws_writer_init(&w, WS_ROLE_SERVER, 3, NULL, NULL);
    assert_int_equal(ws_message_size(&w, 5), 9);
    expect_bytes(out, ws_message_write(&w, WS_OP_TEXT, "Hello", 5, out, sizeof out),
                 "01 03 48 65 6c 80 02 6c 6f");
}

/* RFC 6455 5.7's masked "Hello", and its "masked Ping response": the
 * client's pong to a ping of "Hello", from ws_pong_write, byte-exact. */
static void test_rfc_example_masked(void **state)
{
    (void)state;
    static const uint8_t keys[][4] = {{0x37, 0xfa, 0x21, 0x3d}, {0x37, 0xfa, 0x21, 0x3d}};
    key_list k = {keys, 2, 0};
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_CLIENT, 0, next_listed_key, &k);
    uint8_t out[64];
    expect_bytes(out, ws_message_write(&w, WS_OP_TEXT, "Hello", 5, out, sizeof out),
                 "81 85 37 fa 21 3d 7f 9f 4d 51 58");
    assert_int_equal(k.used, 1);
    expect_bytes(out, ws_pong_write(&w, "Hello", 5, out, sizeof out),
                 "8a 85 37 fa 21 3d 7f 9f 4d 51 58");
    assert_int_equal(k.used, 2);
}

/* Every frame of a fragmented masked message has its own key, and the
 * receiving parser gets the message back. */
static void test_fresh_key_per_frame(void **state)
{
    (void)state;
    size_t calls = 0;
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_CLIENT, 4, next_counted_key, &calls);
    const char *text = "0123456789"; /* frames of 4, 4, 2 */
    uint8_t out[128];
    ptrdiff_t r = ws_message_write(&w, WS_OP_TEXT, text, 10, out, sizeof out);
    assert_int_equal(r, (ptrdiff_t)ws_message_size(&w, 10));
    assert_int_equal(r, 3 * 6 + 10);
    assert_int_equal(calls, 3);
    /* Headers: 01 84 key, 00 84 key, 80 82 key. */
    assert_int_equal(out[0], 0x01);
    assert_int_equal(out[1], 0x84);
    assert_int_equal(out[10], 0x00);
    assert_int_equal(out[11], 0x84);
    assert_int_equal(out[20], 0x80);
    assert_int_equal(out[21], 0x82);
    uint8_t k1[4], k2[4], k3[4];
    sh_key(1, k1);
    sh_key(2, k2);
    sh_key(3, k3);
    assert_memory_equal(out + 2, k1, 4);
    assert_memory_equal(out + 12, k2, 4);
    assert_memory_equal(out + 22, k3, 4);

    sh_log log;
    sh_config cfg = {WS_ROLE_SERVER, NULL};
    sh_parse_whole(&cfg, out, (size_t)r, &log);
    char exp[64];
    snprintf(exp, sizeof exp, "T(10:%016" PRIx64 ") ",
             sh_fnv(SH_FNV_INIT, (const uint8_t *)text, 10));
    assert_string_equal(log.text, exp);
}

/* Sizes: exact for every fragmentation, with 2-, 4- and 10-byte headers. */
static void test_message_size_matches_output(void **state)
{
    (void)state;
    static uint8_t data[70000];
    static uint8_t out[80000];
    static const size_t lens[] = {0, 1, 125, 126, 127, 65535, 65536, 69999};
    static const size_t maxes[] = {0, 1, 125, 126, 1000, 65536};
    for (int client = 0; client < 2; client++)
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
            for (size_t j = 0; j < sizeof maxes / sizeof maxes[0]; j++) {
                if (maxes[j] == 1 && lens[i] > 200)
                    continue; /* 7 bytes a frame: too big for out */
                size_t calls = 0;
                ws_writer w;
                ws_writer_init(&w, client ? WS_ROLE_CLIENT : WS_ROLE_SERVER, maxes[j],
                               next_counted_key, &calls);
                ptrdiff_t r = ws_message_write(&w, WS_OP_BINARY, data, lens[i], out, sizeof out);
                assert_int_equal(r, (ptrdiff_t)ws_message_size(&w, lens[i]));
                size_t frames = (maxes[j] == 0 || lens[i] == 0) ? 1
                                                                  : (lens[i] + maxes[j] - 1) / maxes[j];
                assert_int_equal(calls, client ? frames : 0);
                /* And it parses back as one message of that size. */
                sh_log log;
                sh_config cfg = {client ? WS_ROLE_SERVER : WS_ROLE_CLIENT, NULL};
                sh_parse_whole(&cfg, out, (size_t)r, &log);
                char exp[64];
                snprintf(exp, sizeof exp, "B(%zu:%016" PRIx64 ") ", lens[i],
                         sh_fnv(SH_FNV_INIT, data, lens[i]));
                assert_string_equal(log.text, exp);
            }
}

/* Too small by one byte: an error, not one byte written, no key taken. */
static void test_capacity_checked_before_writing(void **state)
{
    (void)state;
    size_t calls = 0;
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_CLIENT, 3, next_counted_key, &calls);
    uint8_t out[64];
    size_t need = ws_message_size(&w, 10);
    memset(out, 0xEE, sizeof out);
    assert_int_equal(ws_message_write(&w, WS_OP_BINARY, "0123456789", 10, out, need - 1),
                     WS_E_BUFFER_TOO_SMALL);
    for (size_t i = 0; i < sizeof out; i++)
        assert_int_equal(out[i], 0xEE);
    assert_int_equal(calls, 0);
    assert_int_equal(ws_message_write(&w, WS_OP_BINARY, "0123456789", 10, out, need),
                     (ptrdiff_t)need);
    assert_int_equal(ws_ping_write(&w, "abc", 3, out, 2 + 4 + 2), WS_E_BUFFER_TOO_SMALL);
    assert_int_equal(ws_close_frame_write(&w, 1000, NULL, 0, out, 2 + 4 + 1),
                     WS_E_BUFFER_TOO_SMALL);
    assert_true(ws_writer_can_send(&w)); /* a close that did not fit was not sent */
    assert_int_equal(ws_fragment_write(&w, WS_OP_TEXT, false, "ab", 2, out, 7),
                     WS_E_BUFFER_TOO_SMALL);
    /* No fragmented message was opened by the failed call. */
    assert_int_equal(ws_message_write(&w, WS_OP_TEXT, "ab", 2, out, sizeof out), 8);
}

static void test_text_must_be_utf8(void **state)
{
    (void)state;
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_SERVER, 0, NULL, NULL);
    uint8_t out[64];
    const uint8_t bad[] = {'a', 0xED, 0xA0, 0x80};
    assert_int_equal(ws_message_write(&w, WS_OP_TEXT, bad, sizeof bad, out, sizeof out),
                     WS_E_INVALID_UTF8);
    assert_int_equal(ws_message_write(&w, WS_OP_BINARY, bad, sizeof bad, out, sizeof out),
                     2 + (ptrdiff_t)sizeof bad);
    assert_int_equal(ws_message_write(&w, WS_OP_PING, "x", 1, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_message_write(&w, WS_OP_CONTINUATION, "x", 1, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_message_write(&w, WS_OP_TEXT, NULL, 3, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_message_write(&w, WS_OP_TEXT, NULL, 0, out, sizeof out), 2);
}

static void test_fragment_writer(void **state)
{
    (void)state;
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_SERVER, 0, NULL, NULL);
    uint8_t out[64];
    /* The euro sign E2 82 AC split over the fragments. */
    expect_bytes(out, ws_fragment_write(&w, WS_OP_TEXT, false, "a\xE2", 2, out, sizeof out),
                 "01 02 61 e2");
    /* Messages and other opcodes are refused while it is open. */
    assert_int_equal(ws_message_write(&w, WS_OP_TEXT, "x", 1, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_fragment_write(&w, WS_OP_BINARY, true, "x", 1, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    /* A fragment that breaks the sequence is refused and changes nothing. */
    assert_int_equal(ws_fragment_write(&w, WS_OP_TEXT, false, "z", 1, out, sizeof out),
                     WS_E_INVALID_UTF8);
    /* Ending with the sequence still open is refused. */
    assert_int_equal(ws_fragment_write(&w, WS_OP_TEXT, true, "\x82", 1, out, sizeof out),
                     WS_E_INVALID_UTF8);
    expect_bytes(out, ws_ping_write(&w, NULL, 0, out, sizeof out), "89 00");
    expect_bytes(out, ws_fragment_write(&w, WS_OP_TEXT, false, "\x82", 1, out, sizeof out),
                 "00 01 82");
    expect_bytes(out, ws_fragment_write(&w, WS_OP_TEXT, true, "\xAC", 1, out, sizeof out),
                 "80 01 ac");
    /* Closed: a new message may start. */
    expect_bytes(out, ws_fragment_write(&w, WS_OP_BINARY, true, "\xff", 1, out, sizeof out),
                 "82 01 ff");
}

static void test_control_frames(void **state)
{
    (void)state;
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_SERVER, 0, NULL, NULL);
    uint8_t out[256], payload[126];
    memset(payload, 'p', sizeof payload);
    assert_int_equal(ws_ping_write(&w, payload, 125, out, sizeof out), 127);
    assert_int_equal(ws_ping_write(&w, payload, 126, out, sizeof out), WS_E_CONTROL_TOO_LONG);
    assert_int_equal(ws_pong_write(&w, payload, 126, out, sizeof out), WS_E_CONTROL_TOO_LONG);
    assert_int_equal(ws_close_frame_write(&w, 1005, NULL, 0, out, sizeof out),
                     WS_E_CLOSE_CODE_INVALID);
    assert_int_equal(ws_close_frame_write(&w, 999, NULL, 0, out, sizeof out),
                     WS_E_CLOSE_CODE_INVALID);
    assert_int_equal(ws_close_frame_write(&w, 1000, (const char *)payload, 124, out, sizeof out),
                     WS_E_CLOSE_REASON_TOO_LONG);
    assert_int_equal(ws_close_frame_write(&w, 1000, "\xC0\x80", 2, out, sizeof out),
                     WS_E_INVALID_UTF8);
    assert_true(ws_writer_can_send(&w));
    ptrdiff_t r = ws_close_frame_write(&w, 1000, (const char *)payload, 123, out, sizeof out);
    assert_int_equal(r, 2 + 125);
    assert_memory_equal(out, "\x88\x7d\x03\xe8", 4);
}

static void test_empty_close(void **state)
{
    (void)state;
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_SERVER, 0, NULL, NULL);
    uint8_t out[16];
    expect_bytes(out, ws_close_frame_write(&w, 0, NULL, 0, out, sizeof out), "88 00");
}

static void test_nothing_after_close(void **state)
{
    (void)state;
    size_t calls = 0;
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_CLIENT, 0, next_counted_key, &calls);
    uint8_t out[64];
    assert_int_equal(ws_close_frame_write(&w, 1001, "bye", 3, out, sizeof out), 2 + 4 + 5);
    assert_false(ws_writer_can_send(&w));
    assert_int_equal(ws_message_write(&w, WS_OP_TEXT, "x", 1, out, sizeof out), WS_E_CLOSING);
    assert_int_equal(ws_fragment_write(&w, WS_OP_TEXT, true, "x", 1, out, sizeof out),
                     WS_E_CLOSING);
    assert_int_equal(ws_ping_write(&w, "x", 1, out, sizeof out), WS_E_CLOSING);
    assert_int_equal(ws_pong_write(&w, "x", 1, out, sizeof out), WS_E_CLOSING);
    assert_int_equal(ws_close_frame_write(&w, 1000, NULL, 0, out, sizeof out), WS_E_CLOSING);
    assert_int_equal(calls, 1);
}

/* RFC 6455 6.1 step 1: a message is sent only while the connection is
 * OPEN, and a state change aborts the remaining steps. A close may be
 * written between the fragments of a message (a control frame); after it
 * the rest of that message is refused, as is any new one. */
static void test_close_aborts_fragmented_message(void **state)
{
    (void)state;
    for (int client = 0; client < 2; client++) {
        size_t calls = 0;
        ws_writer w;
        ws_writer_init(&w, client ? WS_ROLE_CLIENT : WS_ROLE_SERVER, 0, next_counted_key,
                       &calls);
        uint8_t out[64];
        assert_true(ws_fragment_write(&w, WS_OP_TEXT, false, "ab", 2, out, sizeof out) > 0);
        assert_true(ws_close_frame_write(&w, 1001, NULL, 0, out, sizeof out) > 0);
        const size_t keys = calls;
        assert_int_equal(ws_fragment_write(&w, WS_OP_TEXT, false, "cd", 2, out, sizeof out),
                         WS_E_CLOSING);
        assert_int_equal(ws_fragment_write(&w, WS_OP_TEXT, true, "ef", 2, out, sizeof out),
                         WS_E_CLOSING);
        assert_int_equal(ws_message_write(&w, WS_OP_BINARY, "x", 1, out, sizeof out),
                         WS_E_CLOSING);
        assert_int_equal(calls, keys); /* no frame was even begun */
    }
}

static void test_client_needs_keys(void **state)
{
    (void)state;
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_CLIENT, 0, NULL, NULL);
    uint8_t out[64];
    assert_int_equal(ws_message_write(&w, WS_OP_TEXT, "x", 1, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_ping_write(&w, "x", 1, out, sizeof out), WS_E_INVALID_ARGUMENT);
    assert_int_equal(ws_close_frame_write(&w, 1000, NULL, 0, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
}

/* A masked client frame never reveals the payload (the mask is applied)
 * and each key is used for exactly one frame. */
static void test_masked_control_round_trip(void **state)
{
    (void)state;
    size_t calls = 0;
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_CLIENT, 0, next_counted_key, &calls);
    uint8_t out[256];
    size_t len = 0;
    ptrdiff_t r = ws_ping_write(&w, "ping!", 5, out, sizeof out);
    assert_int_equal(r, 2 + 4 + 5);
    assert_memory_not_equal(out + 6, "ping!", 5);
    len += (size_t)r;
    r = ws_close_frame_write(&w, 4001, "bye", 3, out + len, sizeof out - len);
    assert_true(r > 0);
    len += (size_t)r;
    assert_int_equal(calls, 2);
    sh_log log;
    sh_config cfg = {WS_ROLE_SERVER, NULL};
    sh_parse_whole(&cfg, out, len, &log);
    char exp[96];
    snprintf(exp, sizeof exp, "ping5:%016" PRIx64 " close4001:627965 ",
             sh_fnv(SH_FNV_INIT, (const uint8_t *)"ping!", 5));
    assert_string_equal(log.text, exp);
}

/* ws_message_write's output spelled out the slow way: frames of at most
 * max bytes (all of it when max is 0), keys from sh_key(1), sh_key(2)...
 * as next_counted_key hands them out. */
static size_t ref_message(bool client, size_t max, uint8_t opcode, const uint8_t *data, size_t len,
                          uint8_t *out)
{
    size_t pos = 0, done = 0;
    uint32_t keyno = 0;
    do {
        const size_t n = (max == 0 || len - done < max) ? len - done : max;
        out[pos++] = (uint8_t)((done + n == len ? 0x80 : 0) | (done == 0 ? opcode : 0));
        const uint8_t mask_bit = client ? 0x80 : 0;
        if (n <= 125) {
            out[pos++] = (uint8_t)(mask_bit | n);
        } else if (n <= 0xFFFF) {
            out[pos++] = (uint8_t)(mask_bit | 126);
            out[pos++] = (uint8_t)(n >> 8);
            out[pos++] = (uint8_t)n;
        } else {
            out[pos++] = (uint8_t)(mask_bit | 127);
            for (int shift = 56; shift >= 0; shift -= 8)
                out[pos++] = (uint8_t)((uint64_t)n >> shift);
        }
        uint8_t key[4] = {0, 0, 0, 0};
        if (client) {
            sh_key(++keyno, key);
            memcpy(out + pos, key, 4);
            pos += 4;
        }
        for (size_t i = 0; i < n; i++)
            out[pos++] = (uint8_t)(data[done + i] ^ key[i % 4]);
        done += n;
    } while (done < len);
    return pos;
}

/* Every length up to 130 and a few beyond, with max_frame_payload at, just
 * below and just above it, both roles and both opcodes: the reference's
 * bytes, nothing written past them, exactly one key per frame; one byte
 * less room is an error with nothing written and no key taken. */
static void test_messages_vs_reference(void **state)
{
    (void)state;
    static const size_t extra[] = {200, 1000, 65535, 65536, 65537};
    enum { MAX_LEN = 65537, SLACK = 8 };
    uint8_t *data = malloc(MAX_LEN), *want = malloc(2 * MAX_LEN), *out = malloc(2 * MAX_LEN);
    assert_non_null(data);
    assert_non_null(want);
    assert_non_null(out);
    for (size_t i = 0; i < MAX_LEN; i++)
        data[i] = (uint8_t)('a' + i % 26); /* ASCII, so valid text too */
    for (size_t k = 0; k <= 130 + sizeof extra / sizeof extra[0]; k++) {
        const size_t len = k <= 130 ? k : extra[k - 131];
        const size_t maxes[] = {0, len > 1 ? len - 1 : 1, len ? len : 1, len + 1, 125, 126};
        for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
            if (maxes[m] != 0 && len / maxes[m] > 1000)
                continue;
            for (int client = 0; client < 2; client++) {
                for (int text = 0; text < 2; text++) {
                    const uint8_t op = text ? WS_OP_TEXT : WS_OP_BINARY;
                    const size_t n = ref_message(client, maxes[m], op, data, len, want);
                    size_t calls = 0;
                    ws_writer w;
                    ws_writer_init(&w, client ? WS_ROLE_CLIENT : WS_ROLE_SERVER, maxes[m],
                                   next_counted_key, &calls);
                    assert_int_equal(ws_message_size(&w, len), n);
                    memset(out, 0xEE, n + SLACK);
                    ptrdiff_t r = ws_message_write(&w, (ws_opcode)op, data, len, out, n);
                    if (r != (ptrdiff_t)n || memcmp(out, want, n) != 0)
                        fail_msg("len %zu max %zu client %d text %d: got %td, want %zu", len,
                                 maxes[m], client, text, r, n);
                    for (size_t i = n; i < n + SLACK; i++)
                        assert_int_equal(out[i], 0xEE);
                    const size_t frames =
                        (maxes[m] == 0 || len == 0) ? 1 : (len + maxes[m] - 1) / maxes[m];
                    assert_int_equal(calls, client ? frames : 0);

                    calls = 0;
                    memset(out, 0xEE, n + SLACK);
                    assert_int_equal(ws_message_write(&w, (ws_opcode)op, data, len, out, n - 1),
                                     WS_E_BUFFER_TOO_SMALL);
                    for (size_t i = 0; i < n + SLACK; i++)
                        assert_int_equal(out[i], 0xEE);
                    assert_int_equal(calls, 0);
                }
            }
        }
    }
    free(data);
    free(want);
    free(out);
}

/* The small single-frame path checks the same things as the rest, and
 * answers in the same order: a closed writer before a bad opcode, a bad
 * opcode before bad UTF-8, bad UTF-8 before a short buffer. */
static void test_small_message_errors_in_order(void **state)
{
    (void)state;
    const uint8_t bad[] = {'a', 0xC0, 0x80};
    uint8_t out[64];
    for (int client = 0; client < 2; client++) {
        size_t calls = 0;
        ws_writer w;
        ws_writer_init(&w, client ? WS_ROLE_CLIENT : WS_ROLE_SERVER, 0, next_counted_key,
                       &calls);
        assert_int_equal(ws_message_write(&w, WS_OP_TEXT, bad, sizeof bad, out, 1),
                         WS_E_INVALID_UTF8);
        assert_int_equal(ws_message_write(&w, WS_OP_TEXT, bad, sizeof bad, out, sizeof out),
                         WS_E_INVALID_UTF8);
        assert_int_equal(ws_message_write(&w, WS_OP_PING, bad, sizeof bad, out, sizeof out),
                         WS_E_INVALID_ARGUMENT);
        assert_int_equal(ws_message_write(&w, WS_OP_BINARY, NULL, 1, out, sizeof out),
                         WS_E_INVALID_ARGUMENT);
        assert_int_equal(ws_message_write(&w, WS_OP_BINARY, NULL, 0, out, sizeof out),
                         client ? 6 : 2);
        /* A fragmented message in progress. */
        assert_true(ws_fragment_write(&w, WS_OP_TEXT, false, "a", 1, out, sizeof out) > 0);
        assert_int_equal(ws_message_write(&w, WS_OP_BINARY, "b", 1, out, sizeof out),
                         WS_E_INVALID_ARGUMENT);
        assert_true(ws_fragment_write(&w, WS_OP_TEXT, true, "b", 1, out, sizeof out) > 0);
        assert_int_equal(ws_message_write(&w, WS_OP_BINARY, "b", 1, out, sizeof out),
                         client ? 7 : 3);
        assert_true(ws_close_frame_write(&w, 1000, NULL, 0, out, sizeof out) > 0);
        calls = 0;
        assert_int_equal(ws_message_write(&w, WS_OP_PING, bad, sizeof bad, out, 1), WS_E_CLOSING);
        assert_int_equal(ws_message_write(&w, WS_OP_BINARY, "b", 1, out, sizeof out),
                         WS_E_CLOSING);
        assert_int_equal(calls, 0);
    }
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_CLIENT, 0, NULL, NULL);
    assert_int_equal(ws_message_write(&w, WS_OP_TEXT, bad, sizeof bad, out, sizeof out),
                     WS_E_INVALID_ARGUMENT);
}

/* One frame a writer produced, at buf, checked field by field as the peer
 * decodes it: masked exactly when the writer is a client, with key number
 * keyno of next_counted_key, no RSV bit (no extension was negotiated), and
 * the payload given. Returns the frame's length. */
static size_t expect_frame_at(const uint8_t *buf, size_t len, ws_role writer, uint8_t opcode,
                              bool fin, const void *payload, size_t plen, uint32_t keyno)
{
    const bool client = writer == WS_ROLE_CLIENT;
    ws_frame f;
    int h = ws_frame_parse(buf, len, client ? WS_ROLE_SERVER : WS_ROLE_CLIENT, 0, &f);
    if (h < 0)
        fail_msg("opcode %u, frame %u: the peer's parser says %s", opcode, keyno,
                 ws_status_name(h));
    assert_int_equal(buf[1] & 0x80, client ? 0x80 : 0);
    assert_int_equal(f.masked, client);
    assert_int_equal(f.rsv, 0);
    assert_int_equal(f.opcode, opcode);
    assert_int_equal(f.fin, fin);
    assert_true(f.payload_len == plen);
    assert_true((size_t)h + plen <= len);
    uint8_t data[300];
    assert_true(plen <= sizeof data);
    memcpy(data, buf + h, plen);
    if (client) {
        uint8_t key[4];
        sh_key(keyno, key);
        assert_memory_equal(f.mask, key, 4);
        if (plen >= 4)
            assert_memory_not_equal(data, payload, plen); /* the mask was applied */
        ws_mask(data, plen, f.mask, 0);
    }
    if (plen)
        assert_memory_equal(data, payload, plen);
    return (size_t)h + plen;
}

/* Every writer in both roles (RFC 6455 5.1, 5.3): each client frame is
 * masked with a key taken for it alone, a server frame never is, even with
 * a key function at hand; no frame sets an RSV bit. Checked frame by frame
 * rather than by parsing the stream back, so that a writer that leaves
 * out the mask on one kind of frame (a pong, a ws_fragment_write
 * continuation) fails here and not only when the random round trips of
 * test_stream.c happen to draw that frame. */
static void test_every_writer_masks_by_role(void **state)
{
    (void)state;
    uint8_t big[300];
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (uint8_t)(i * 13 + 1);
    for (int role = 0; role < 2; role++) {
        const ws_role r = (ws_role)role;
        size_t calls = 0;
        ws_writer w, split;
        ws_writer_init(&w, r, 0, next_counted_key, &calls);
        ws_writer_init(&split, r, 4, next_counted_key, &calls);
        static uint8_t out[4096];
        size_t len = 0;
        ptrdiff_t n;
#define WRITE(call)                                                                                \
    do {                                                                                           \
        n = (call);                                                                                \
        assert_true(n > 0);                                                                        \
        len += (size_t)n;                                                                          \
    } while (0)
        WRITE(ws_message_write(&w, WS_OP_TEXT, "hello", 5, out + len, sizeof out - len));
        WRITE(ws_message_write(&w, WS_OP_BINARY, big, sizeof big, out + len, sizeof out - len));
        WRITE(ws_message_write(&split, WS_OP_TEXT, "0123456789", 10, out + len,
                               sizeof out - len));
        WRITE(ws_fragment_write(&w, WS_OP_BINARY, false, "ab", 2, out + len, sizeof out - len));
        WRITE(ws_ping_write(&w, "ping", 4, out + len, sizeof out - len));
        WRITE(ws_pong_write(&w, "pong", 4, out + len, sizeof out - len));
        WRITE(ws_fragment_write(&w, WS_OP_BINARY, false, "cdef", 4, out + len, sizeof out - len));
        WRITE(ws_fragment_write(&w, WS_OP_BINARY, true, "gh", 2, out + len, sizeof out - len));
        WRITE(ws_close_frame_write(&w, 1000, "bye", 3, out + len, sizeof out - len));
#undef WRITE
        static const struct {
            uint8_t opcode;
            bool fin;
            const char *payload;
            size_t len;
        } want[] = {
            {WS_OP_TEXT, true, "hello", 5},
            {WS_OP_BINARY, true, NULL, 300},
            {WS_OP_TEXT, false, "0123", 4},
            {WS_OP_CONTINUATION, false, "4567", 4},
            {WS_OP_CONTINUATION, true, "89", 2},
            {WS_OP_BINARY, false, "ab", 2},
            {WS_OP_PING, true, "ping", 4},
            {WS_OP_PONG, true, "pong", 4},
            {WS_OP_CONTINUATION, false, "cdef", 4},
            {WS_OP_CONTINUATION, true, "gh", 2},
            {WS_OP_CLOSE, true, "\x03\xe8" "bye", 5},
        };
        size_t pos = 0;
        for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
            const void *payload = want[i].payload ? (const void *)want[i].payload : big;
            pos += expect_frame_at(out + pos, len - pos, r, want[i].opcode, want[i].fin, payload,
                                   want[i].len, (uint32_t)i + 1);
        }
        assert_int_equal(pos, len);
        /* One key per client frame, taken in the order the frames go out. */
        assert_int_equal(calls, r == WS_ROLE_CLIENT ? sizeof want / sizeof want[0] : 0);
    }
}

/* Text that is not UTF-8 is refused (RFC 6455 5.6: the whole message MUST
 * be valid UTF-8) on the paths test_text_must_be_utf8 does not take: a
 * text longer than 125 bytes, one frame or split into frames by
 * max_frame_payload, the bad byte in the middle or a sequence cut by the
 * message's end. Nothing is written and no key is taken; the same bytes as
 * binary go out. */
static void test_long_text_must_be_utf8(void **state)
{
    (void)state;
    static uint8_t text[300], out[1024];
    static const size_t bad_at[] = {150, sizeof text - 1};
    static const size_t maxes[] = {0, 64, 299};
    for (size_t b = 0; b < sizeof bad_at / sizeof bad_at[0]; b++) {
        memset(text, 'a', sizeof text);
        text[bad_at[b]] = b == 0 ? 0xFF : 0xC3; /* never valid; a lead byte left open */
        for (int role = 0; role < 2; role++) {
            for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
                size_t calls = 0;
                ws_writer w;
                ws_writer_init(&w, (ws_role)role, maxes[m], next_counted_key, &calls);
                memset(out, 0xEE, sizeof out);
                assert_int_equal(ws_message_write(&w, WS_OP_TEXT, text, sizeof text, out,
                                                  sizeof out),
                                 WS_E_INVALID_UTF8);
                for (size_t i = 0; i < sizeof out; i++)
                    assert_int_equal(out[i], 0xEE);
                assert_int_equal(calls, 0);
                assert_int_equal(ws_message_write(&w, WS_OP_BINARY, text, sizeof text, out,
                                                  sizeof out),
                                 (ptrdiff_t)ws_message_size(&w, sizeof text));
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_examples_unmasked),
        cmocka_unit_test(test_rfc_example_masked),
        cmocka_unit_test(test_fresh_key_per_frame),
        cmocka_unit_test(test_message_size_matches_output),
        cmocka_unit_test(test_capacity_checked_before_writing),
        cmocka_unit_test(test_text_must_be_utf8),
        cmocka_unit_test(test_fragment_writer),
        cmocka_unit_test(test_control_frames),
        cmocka_unit_test(test_empty_close),
        cmocka_unit_test(test_nothing_after_close),
        cmocka_unit_test(test_close_aborts_fragmented_message),
        cmocka_unit_test(test_client_needs_keys),
        cmocka_unit_test(test_masked_control_round_trip),
        cmocka_unit_test(test_messages_vs_reference),
        cmocka_unit_test(test_small_message_errors_in_order),
        cmocka_unit_test(test_every_writer_masks_by_role),
        cmocka_unit_test(test_long_text_must_be_utf8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
