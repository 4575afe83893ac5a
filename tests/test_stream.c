/* The stream parser (lib/stream.c): events, sequencing, UTF-8 fail-fast,
 * limits, close payloads, and the chunking invariant: every stream is fed
 * whole, cut at every point, one byte at a time through a buffer of
 * WS_PARSER_MIN_BUFFER bytes, and in random reads, with the same events. */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <string.h>

#include "stream_harness.h"

static const sh_config server = {WS_ROLE_SERVER, NULL};
static const sh_config client = {WS_ROLE_CLIENT, NULL};

/* Parse stream under cfg, check the chunking invariant, and compare the
 * log with expected (NULL: no comparison). Returns the whole-stream log's
 * error. */
static int check_stream(const sh_config *cfg, const sh_bytes *stream, const char *expected)
{
    sh_log whole;
    char why[8192];
    bool same = sh_check_invariance(cfg, stream->p, stream->len, 512, 1, &whole, why, sizeof why);
    if (!same)
        fail_msg("chunking changed the events: %s", why);
    assert_false(whole.truncated);
    if (expected && strcmp(whole.text, expected) != 0)
        fail_msg("events\n  got:      %s\n  expected: %s", whole.text, expected);

    /* WS_PARSER_WHOLE_MESSAGES reports the same messages, cut anywhere,
     * and fails at the same byte. */
    sh_log *one = malloc(2 * sizeof *one);
    assert_non_null(one);
    sh_log *one_whole_mode = one + 1;
    if (!sh_check_invariance_with(cfg, WS_PARSER_WHOLE_MESSAGES, stream->p, stream->len, 512, 2,
                                  one, why, sizeof why))
        fail_msg("WS_PARSER_WHOLE_MESSAGES: chunking changed the events: %s", why);
    if (!sh_same_log(&whole, one))
        fail_msg("WS_PARSER_WHOLE_MESSAGES changed the events\n  got:      %s\n  default:  %s",
                 one->text, whole.text);
    sh_feed(cfg, stream->p, stream->len, WS_PARSER_MIN_BUFFER, sh_chunk_one, NULL, one);
    sh_feed_with(cfg, WS_PARSER_WHOLE_MESSAGES, stream->p, stream->len, WS_PARSER_MIN_BUFFER,
                 sh_chunk_one, NULL, one_whole_mode);
    assert_int_equal(one->error_at, one_whole_mode->error_at);
    free(one);
    return whole.error;
}

/* The log entry of a whole message, as the harness writes it. */
static const char *msg_log(char *out, size_t cap, char type, const void *data, size_t len)
{
    snprintf(out, cap, "%c(%zu:%016" PRIx64 ") ", type, len, sh_fnv(SH_FNV_INIT, data, len));
    return out;
}

/* ---------------------------------------------------------------- basics */

static void test_parser_fits_64_bytes(void **state)
{
    (void)state;
    assert_true(sizeof(ws_parser) <= 64);
    assert_true(WS_PARSER_MIN_BUFFER >= WS_MAX_HEADER_SIZE + WS_MAX_CONTROL_PAYLOAD);
}

/* RFC 6455 5.7: "Hello" masked with 37 fa 21 3d, byte-exact, and the exact
 * return values of each call. */
static void test_rfc_masked_hello_events(void **state)
{
    (void)state;
    uint8_t buf[16];
    size_t n = ws_test_hex("81 85 37 fa 21 3d 7f 9f 4d 51 58", buf, sizeof buf);
    ws_parser p;
    ws_parser_init(&p, WS_ROLE_SERVER, NULL);
    ws_event ev;
    assert_int_equal(ws_parser_next(&p, buf, n, &ev), 6);
    assert_int_equal(ev.type, WS_EV_MESSAGE_START);
    assert_int_equal(ev.opcode, WS_OP_TEXT);
    assert_int_equal(ws_parser_next(&p, buf + 6, n - 6, &ev), 5);
    assert_int_equal(ev.type, WS_EV_DATA);
    assert_ptr_equal(ev.data, buf + 6); /* in place, no copy */
    assert_int_equal(ev.len, 5);
    assert_memory_equal(ev.data, "Hello", 5);
    assert_int_equal(ws_parser_next(&p, buf + 11, 0, &ev), 0);
    assert_int_equal(ev.type, WS_EV_MESSAGE_END);
    assert_int_equal(ev.opcode, WS_OP_TEXT);
    assert_int_equal(ws_parser_next(&p, buf + 11, 0, &ev), 0);
    assert_int_equal(ev.type, WS_EV_NONE);
}

/* WS_PARSER_WHOLE_MESSAGES: a complete single-frame message is one event,
 * in place, consuming the whole frame; the parser writes nothing else. */
static void test_whole_message_is_one_event(void **state)
{
    (void)state;
    uint8_t buf[32];
    size_t n = ws_test_hex("81 85 37 fa 21 3d 7f 9f 4d 51 58 82 80 01 02 03 04", buf, sizeof buf);
    ws_parser p;
    ws_parser_init(&p, WS_ROLE_SERVER, NULL);
    ws_parser_set_options(&p, WS_PARSER_WHOLE_MESSAGES);
    ws_parser before = p;
    ws_event ev;
    assert_int_equal(ws_parser_next(&p, buf, n, &ev), 11);
    assert_int_equal(ev.type, WS_EV_MESSAGE);
    assert_int_equal(ev.opcode, WS_OP_TEXT);
    assert_ptr_equal(ev.data, buf + 6);
    assert_int_equal(ev.len, 5);
    assert_memory_equal(ev.data, "Hello", 5);
    assert_memory_equal(&p, &before, sizeof p);
    /* An empty binary message: len 0, data just past its header. */
    assert_int_equal(ws_parser_next(&p, buf + 11, n - 11, &ev), 6);
    assert_int_equal(ev.type, WS_EV_MESSAGE);
    assert_int_equal(ev.opcode, WS_OP_BINARY);
    assert_int_equal(ev.len, 0);
    assert_ptr_equal(ev.data, buf + n);
    assert_int_equal(ws_parser_next(&p, buf + n, 0, &ev), 0);
    assert_int_equal(ev.type, WS_EV_NONE);

    /* Options 0 goes back to three events. */
    n = ws_test_hex("81 85 37 fa 21 3d 7f 9f 4d 51 58", buf, sizeof buf);
    ws_parser_set_options(&p, 0);
    assert_int_equal(ws_parser_next(&p, buf, n, &ev), 6);
    assert_int_equal(ev.type, WS_EV_MESSAGE_START);
}

/* With WS_PARSER_WHOLE_MESSAGES, what is not a single frame still comes as
 * START/DATA/END: a fragmented message, a cut frame longer than 125 bytes;
 * control frames are unchanged. A cut frame of up to 125 bytes is held
 * back (test_cut_small_frames_are_held_back). */
static void test_whole_messages_fall_back_to_three_events(void **state)
{
    (void)state;
    ws_parser p;
    ws_event ev;
    uint8_t buf[64];
    size_t n = ws_test_hex("81 85 37 fa 21 3d 7f 9f 4d 51 58", buf, sizeof buf);
    ws_parser_init(&p, WS_ROLE_SERVER, NULL);
    ws_parser_set_options(&p, WS_PARSER_WHOLE_MESSAGES);
    assert_int_equal(ws_parser_next(&p, buf, n - 1, &ev), 0);
    assert_int_equal(ev.type, WS_EV_NONE);
    assert_int_equal(ws_parser_next(&p, buf, n, &ev), (ptrdiff_t)n);
    assert_int_equal(ev.type, WS_EV_MESSAGE);
    assert_memory_equal(ev.data, "Hello", 5);

    /* 126 bytes (a 16-bit length): not held back. */
    uint8_t payload[126];
    memset(payload, 'a', sizeof payload);
    sh_bytes big = {0};
    sh_frame(&big, true, WS_OP_BINARY, true, 0x01020304u, payload, sizeof payload);
    assert_int_equal(big.len, 8 + 126);
    assert_int_equal(ws_parser_next(&p, big.p, big.len - 1, &ev), 8);
    assert_int_equal(ev.type, WS_EV_MESSAGE_START);
    assert_int_equal(ws_parser_next(&p, big.p + 8, big.len - 9, &ev), 125);
    assert_int_equal(ev.type, WS_EV_DATA);
    assert_int_equal(ws_parser_next(&p, big.p + big.len - 1, 1, &ev), 1);
    assert_int_equal(ev.type, WS_EV_DATA);
    assert_int_equal(ws_parser_next(&p, big.p + big.len, 0, &ev), 0);
    assert_int_equal(ev.type, WS_EV_MESSAGE_END);
    sh_free(&big);
    /* The next complete frame is one event again. */
    n = ws_test_hex("82 81 00 00 00 00 2a", buf, sizeof buf);
    assert_int_equal(ws_parser_next(&p, buf, n, &ev), 7);
    assert_int_equal(ev.type, WS_EV_MESSAGE);

    /* RFC 6455 5.7: fragmented "Hel" "lo", as a client receives it. */
    n = ws_test_hex("01 03 48 65 6c 89 00 80 02 6c 6f", buf, sizeof buf);
    ws_parser_init(&p, WS_ROLE_CLIENT, NULL);
    ws_parser_set_options(&p, WS_PARSER_WHOLE_MESSAGES);
    assert_int_equal(ws_parser_next(&p, buf, n, &ev), 2);
    assert_int_equal(ev.type, WS_EV_MESSAGE_START);
    assert_int_equal(ws_parser_next(&p, buf + 2, n - 2, &ev), 3);
    assert_int_equal(ev.type, WS_EV_DATA);
    assert_int_equal(ws_parser_next(&p, buf + 5, n - 5, &ev), 2);
    assert_int_equal(ev.type, WS_EV_PING);
    /* The final fragment is complete but continues a message: DATA, END. */
    assert_int_equal(ws_parser_next(&p, buf + 7, n - 7, &ev), 4);
    assert_int_equal(ev.type, WS_EV_DATA);
    assert_memory_equal(ev.data, "lo", 2);
    assert_int_equal(ws_parser_next(&p, buf + n, 0, &ev), 0);
    assert_int_equal(ev.type, WS_EV_MESSAGE_END);
}

/* Invalid UTF-8 in a complete frame: MESSAGE_START, then the failure on
 * the call that is handed the payload, as in the default mode. */
static void test_whole_message_invalid_utf8(void **state)
{
    (void)state;
    static const uint8_t bad[] = {'o', 'k', 0xC0, 0xAF};
    sh_bytes s = {0};
    sh_frame(&s, true, WS_OP_TEXT, true, 3, bad, sizeof bad);
    ws_parser p;
    ws_parser_init(&p, WS_ROLE_SERVER, NULL);
    ws_parser_set_options(&p, WS_PARSER_WHOLE_MESSAGES);
    ws_event ev;
    assert_int_equal(ws_parser_next(&p, s.p, s.len, &ev), 6);
    assert_int_equal(ev.type, WS_EV_MESSAGE_START);
    assert_int_equal(ev.opcode, WS_OP_TEXT);
    assert_int_equal(ws_parser_next(&p, s.p + 6, s.len - 6, &ev), WS_E_INVALID_UTF8);
    assert_int_equal(ws_parser_next(&p, s.p + 6, s.len - 6, &ev), WS_E_PARSER_FAILED);
    sh_free(&s);
}

/* A single frame of up to 125 bytes cut by the end of the buffer is held
 * back, in both modes: every cut of every such frame, both roles, binary
 * and text, returns 0 and WS_EV_NONE and leaves the parser and the bytes as
 * they were; the whole frame then comes as one WS_EV_MESSAGE
 * (WS_PARSER_WHOLE_MESSAGES) or as START, one DATA of all of it, END. */
static void test_cut_small_frames_are_held_back(void **state)
{
    (void)state;
    uint8_t data[125];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = i % 7 == 0 ? 0xC3 : i % 7 == 1 ? 0xA9 : (uint8_t)('a' + i % 26);
    for (unsigned options = 0; options <= WS_PARSER_WHOLE_MESSAGES; options++) {
        for (int role = 0; role < 2; role++) {
            const bool masked = role == 0;
            const size_t hl = masked ? 6 : 2;
            for (size_t n = 1; n <= sizeof data; n++) {
                /* Text must not end inside the 2-byte sequences. */
                const bool text = n % 2 == 0 && n % 7 != 1;
                sh_bytes s = {0};
                sh_frame(&s, true, text ? WS_OP_TEXT : WS_OP_BINARY, masked,
                         (uint32_t)(n * 77 + 5), data, n);
                for (size_t cut = hl; cut < s.len; cut++) {
                    uint8_t *buf = ws_test_guard_copy(s.p, cut);
                    ws_parser p;
                    ws_parser_init(&p, masked ? WS_ROLE_SERVER : WS_ROLE_CLIENT, NULL);
                    ws_parser_set_options(&p, options);
                    ws_parser before = p;
                    ws_event ev;
                    assert_int_equal(ws_parser_next(&p, buf, cut, &ev), 0);
                    assert_int_equal(ev.type, WS_EV_NONE);
                    assert_memory_equal(&p, &before, sizeof p);
                    assert_memory_equal(buf, s.p, cut);
                    ws_test_guard_free(buf, cut);
                    buf = ws_test_guard_copy(s.p, s.len);
                    if (options) {
                        assert_int_equal(ws_parser_next(&p, buf, s.len, &ev), (ptrdiff_t)s.len);
                        assert_int_equal(ev.type, WS_EV_MESSAGE);
                    } else {
                        assert_int_equal(ws_parser_next(&p, buf, s.len, &ev), (ptrdiff_t)hl);
                        assert_int_equal(ev.type, WS_EV_MESSAGE_START);
                        assert_int_equal(ws_parser_next(&p, buf + hl, n, &ev), (ptrdiff_t)n);
                        assert_int_equal(ev.type, WS_EV_DATA);
                    }
                    assert_int_equal(ev.len, n);
                    assert_memory_equal(ev.data, data, n);
                    if (!options) {
                        assert_int_equal(ws_parser_next(&p, buf + s.len, 0, &ev), 0);
                        assert_int_equal(ev.type, WS_EV_MESSAGE_END);
                    }
                    ws_test_guard_free(buf, s.len);
                }
                sh_free(&s);
            }
        }
    }
}

/* A held-back text still fails fast: once the bytes present cannot be
 * UTF-8, the frame is not held back but started, and the next call fails
 * without waiting for the rest of the frame (Autobahn 6.4.3-6.4.4: one
 * frame, its invalid part sent before the rest). */
static void test_cut_invalid_text_fails_fast(void **state)
{
    (void)state;
    /* 6.4.3's payload: valid, then F4 90 80 80 (above U+10FFFF), then more. */
    uint8_t text[21];
    size_t n = ws_test_hex("ce ba e1 bd b9 cf 83 ce bc ce b5 f4 90 80 80 65 64 69 74 65 64", text,
                           sizeof text);
    for (int run = 0; run < 4; run++) {
        const bool masked = run % 2 == 0;
        const unsigned options = run < 2 ? 0u : WS_PARSER_WHOLE_MESSAGES;
        sh_bytes s = {0};
        sh_frame(&s, true, WS_OP_TEXT, masked, 0x11223344u, text, n);
        const size_t hl = masked ? 6 : 2;
        ws_parser p;
        ws_parser_init(&p, masked ? WS_ROLE_SERVER : WS_ROLE_CLIENT, NULL);
        ws_parser_set_options(&p, options);
        ws_event ev;
        /* The valid part is held back... */
        assert_int_equal(ws_parser_next(&p, s.p, hl + 11, &ev), 0);
        assert_int_equal(ev.type, WS_EV_NONE);
        /* ...F4 90 (no code point can start so) is not: START, then the
         * failure, from these bytes alone. */
        assert_int_equal(ws_parser_next(&p, s.p, hl + 13, &ev), (ptrdiff_t)hl);
        assert_int_equal(ev.type, WS_EV_MESSAGE_START);
        assert_int_equal(ws_parser_next(&p, s.p + hl, 13, &ev), WS_E_INVALID_UTF8);
        sh_free(&s);
    }
}

/* Whether a cut text is held back is ws_utf8_feed's judgement of the
 * bytes present, exactly: for random text of valid sequences with bad
 * bytes and sequences mixed in (C0, C1, F5-FF, stray continuations,
 * overlong forms, surrogates, code points past U+10FFFF), cut at every
 * length, a prefix the validator accepts is held back (0, WS_EV_NONE) and
 * any other is started (MESSAGE_START), its failure on the next call. */
static void test_hold_back_matches_validator(void **state)
{
    (void)state;
    static const char *const good[] = {"a", "Z", " ", "\xC3\xA9", "\xC2\x80", "\xDF\xBF",
                                       "\xE0\xA0\x80", "\xE4\xB8\x96", "\xED\x9F\xBF",
                                       "\xEF\xBF\xBF", "\xF0\x90\x80\x80",
                                       "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF"};
    static const char *const bad[] = {"\xC0", "\xC1", "\xF5", "\xF8", "\xFF", "\x80", "\xBF",
                                      "\xC0\xAF", "\xE0\x80\xAF", "\xE0\x9F\xBF",
                                      "\xED\xA0\x80", "\xF0\x8F\xBF\xBF",
                                      "\xF4\x90\x80\x80", "\xC3", "\xE4\xB8", "\xF0\x9F\x98"};
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 6455);
    size_t held = 0, started = 0;
    for (int round = 0; round < 4000; round++) {
        uint8_t text[125];
        const size_t want = 1 + (size_t)ws_test_rng_below(&rng, 125);
        size_t len = 0;
        while (len < want) {
            const bool is_bad = ws_test_rng_below(&rng, 40) == 0;
            const char *piece = is_bad ? bad[ws_test_rng_below(&rng, sizeof bad / sizeof bad[0])]
                                       : good[ws_test_rng_below(&rng, sizeof good / sizeof good[0])];
            const size_t pl = strlen(piece);
            if (len + pl > want)
                break;
            memcpy(text + len, piece, pl);
            len += pl;
        }
        if (len == 0)
            continue;
        const bool masked = round % 2 == 0;
        const unsigned options = round % 4 < 2 ? 0u : WS_PARSER_WHOLE_MESSAGES;
        sh_bytes s = {0};
        sh_frame(&s, true, WS_OP_TEXT, masked, (uint32_t)round * 2654435761u, text, len);
        const size_t hl = masked ? 6 : 2;
        for (size_t have = 1; have < len; have++) {
            ws_utf8 v;
            ws_utf8_init(&v);
            const bool valid = ws_utf8_feed(&v, text, have, NULL) == WS_OK;
            uint8_t buf[131]; /* over-reads: test_cut_small_frames_are_held_back */
            memcpy(buf, s.p, hl + have);
            ws_parser p;
            ws_parser_init(&p, masked ? WS_ROLE_SERVER : WS_ROLE_CLIENT, NULL);
            ws_parser_set_options(&p, options);
            ws_event ev;
            const ptrdiff_t r = ws_parser_next(&p, buf, hl + have, &ev);
            if (valid) {
                assert_int_equal(r, 0);
                assert_int_equal(ev.type, WS_EV_NONE);
                assert_memory_equal(buf, s.p, hl + have);
                held++;
            } else {
                assert_int_equal(r, (ptrdiff_t)hl);
                assert_int_equal(ev.type, WS_EV_MESSAGE_START);
                assert_int_equal(ws_parser_next(&p, buf + hl, have, &ev), WS_E_INVALID_UTF8);
                started++;
            }
        }
        sh_free(&s);
    }
    /* Both outcomes were exercised plenty. */
    assert_true(held > 10000 && started > 10000);
}

/* Every size around the inline unmasking bounds and the 16/64-bit length
 * forms, text of every kind, as one event each, byte-exact. */
static void test_whole_messages_every_size(void **state)
{
    (void)state;
    static const char *const texts[] = {"plain ascii text ", "caf\xC3\xA9 ",
                                        "\xE4\xB8\x96\xE7\x95\x8C", "\xF0\x9F\x98\x80"};
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 99);
    for (size_t k = 0; k < 302; k++) {
        size_t len = k < 300 ? k : k == 300 ? 65535 : 65536;
        uint8_t *payload = malloc(len + 1);
        assert_non_null(payload);
        bool text = len % 3 != 0;
        if (text) {
            const char *t = texts[len % 4];
            size_t tl = strlen(t), i = 0;
            for (; i + tl <= len; i += tl)
                memcpy(payload + i, t, tl);
            memset(payload + i, 'x', len - i);
        } else {
            ws_test_rng_fill(&rng, payload, len);
        }
        for (int role = 0; role < 2; role++) {
            sh_bytes s = {0};
            sh_frame(&s, true, text ? WS_OP_TEXT : WS_OP_BINARY, role == 0, (uint32_t)len,
                     payload, len);
            ws_parser p;
            ws_parser_init(&p, role == 0 ? WS_ROLE_SERVER : WS_ROLE_CLIENT, NULL);
            ws_parser_set_options(&p, WS_PARSER_WHOLE_MESSAGES);
            ws_event ev;
            assert_int_equal(ws_parser_next(&p, s.p, s.len, &ev), (ptrdiff_t)s.len);
            assert_int_equal(ev.type, WS_EV_MESSAGE);
            assert_int_equal(ev.opcode, text ? WS_OP_TEXT : WS_OP_BINARY);
            assert_int_equal(ev.len, len);
            assert_ptr_equal(ev.data, s.p + s.len - len);
            assert_memory_equal(ev.data, payload, len);
            sh_free(&s);
        }
        free(payload);
    }
}

/* A large masked text with one bad byte before, at and after the edges of
 * the 4 KiB blocks in which the parser unmasks and validates: the failure
 * comes at that byte in both modes, whatever the chunking. */
static void test_large_text_fails_at_the_bad_byte(void **state)
{
    (void)state;
    enum { LEN = 10000 };
    static const size_t bad_at[] = {0, 4095, 4096, 4097, 8191, 8192, 9999};
    uint8_t *text = malloc(LEN);
    assert_non_null(text);
    for (size_t b = 0; b < sizeof bad_at / sizeof bad_at[0]; b++) {
        for (size_t i = 0; i < LEN; i++)
            text[i] = (uint8_t)(i % 7 == 0 ? 0xC3 : i % 7 == 1 ? 0xA9 : 'a' + i % 26);
        text[bad_at[b]] = 0xFF;
        sh_bytes s = {0};
        sh_frame(&s, true, WS_OP_TEXT, true, 5, text, LEN);
        assert_int_equal(check_stream(&server, &s, "T(!INVALID_UTF8"), WS_E_INVALID_UTF8);
        /* Header: 2 + 2 (16-bit length) + 4 (key). */
        assert_int_equal(sh_fail_point(&server, s.p, s.len), 8 + bad_at[b] + 1);
        sh_free(&s);
    }
    free(text);
}

/* A fragment that ends inside a sequence, then a small ASCII fragment:
 * ASCII cannot continue it, so the first byte of the second fragment
 * fails (the small-payload path may skip the validator only between
 * sequences). */
static void test_ascii_fragment_after_open_sequence(void **state)
{
    (void)state;
    sh_bytes s = {0};
    sh_frame(&s, false, WS_OP_TEXT, true, 1, "caf\xC3", 4);
    size_t second = s.len;
    sh_frame(&s, true, WS_OP_CONTINUATION, true, 2, "ab", 2);
    assert_int_equal(check_stream(&server, &s, "T(!INVALID_UTF8"), WS_E_INVALID_UTF8);
    assert_int_equal(sh_fail_point(&server, s.p, s.len), second + 6 + 1);
    sh_free(&s);
}

/* RFC 6455 5.7: unmasked fragmented "Hel" "lo" and an unmasked ping, as a
 * client receives them. */
static void test_rfc_fragments_and_ping_client(void **state)
{
    (void)state;
    uint8_t raw[32];
    size_t n = ws_test_hex("01 03 48 65 6c 89 05 48 65 6c 6c 6f 80 02 6c 6f", raw, sizeof raw);
    sh_bytes s = {0};
    sh_put(&s, raw, n);
    char exp[256], m[64];
    snprintf(exp, sizeof exp, "ping5:%016" PRIx64 " %s", sh_fnv(SH_FNV_INIT, (const uint8_t *)"Hello", 5),
             msg_log(m, sizeof m, 'T', "Hello", 5));
    assert_int_equal(check_stream(&client, &s, exp), 0);
    sh_free(&s);
}

static void test_empty_messages_have_no_data_event(void **state)
{
    (void)state;
    sh_bytes s = {0};
    sh_frame(&s, true, WS_OP_TEXT, true, 1, NULL, 0);
    sh_frame(&s, true, WS_OP_BINARY, true, 2, NULL, 0);
    sh_frame(&s, false, WS_OP_TEXT, true, 3, NULL, 0);
    sh_frame(&s, false, WS_OP_CONTINUATION, true, 4, NULL, 0);
    sh_frame(&s, true, WS_OP_CONTINUATION, true, 5, NULL, 0);
    char a[64], b[64];
    char exp[256];
    snprintf(exp, sizeof exp, "%s%s%s", msg_log(a, sizeof a, 'T', "", 0),
             msg_log(b, sizeof b, 'B', "", 0), a);
    assert_int_equal(check_stream(&server, &s, exp), 0);
    sh_free(&s);
}

static void test_server_requires_masked_client_refuses_masked(void **state)
{
    (void)state;
    sh_bytes s = {0};
    sh_frame(&s, true, WS_OP_TEXT, false, 0, "hi", 2);
    assert_int_equal(check_stream(&server, &s, "!UNMASKED_FRAME"), WS_E_UNMASKED_FRAME);
    assert_int_equal(ws_status_close_code(WS_E_UNMASKED_FRAME), 1002);
    sh_free(&s);
    sh_frame(&s, true, WS_OP_TEXT, true, 0, "hi", 2);
    assert_int_equal(check_stream(&client, &s, "!MASKED_FRAME"), WS_E_MASKED_FRAME);
    sh_free(&s);
}

/* ---------------------------------------------------------------- sequencing */

static void test_continuation_without_start(void **state)
{
    (void)state;
    sh_bytes s = {0};
    sh_frame(&s, true, WS_OP_CONTINUATION, true, 1, "x", 1);
    assert_int_equal(check_stream(&server, &s, "!UNEXPECTED_CONTINUATION"),
                     WS_E_UNEXPECTED_CONTINUATION);
    assert_int_equal(ws_status_close_code(WS_E_UNEXPECTED_CONTINUATION), 1002);
    /* Also right after a complete message. */
    sh_free(&s);
    sh_frame(&s, true, WS_OP_TEXT, true, 1, "a", 1);
    sh_frame(&s, false, WS_OP_CONTINUATION, true, 2, "b", 1);
    char m[64], exp[128];
    snprintf(exp, sizeof exp, "%s!UNEXPECTED_CONTINUATION", msg_log(m, sizeof m, 'T', "a", 1));
    assert_int_equal(check_stream(&server, &s, exp), WS_E_UNEXPECTED_CONTINUATION);
    sh_free(&s);
}

static void test_new_message_inside_fragmented_one(void **state)
{
    (void)state;
    static const uint8_t ops[] = {WS_OP_TEXT, WS_OP_BINARY};
    for (size_t i = 0; i < 2; i++) {
        sh_bytes s = {0};
        sh_frame(&s, false, WS_OP_BINARY, true, 1, "ab", 2);
        sh_frame(&s, true, ops[i], true, 2, "c", 1);
        assert_int_equal(check_stream(&server, &s, "B(!EXPECTED_CONTINUATION"),
                         WS_E_EXPECTED_CONTINUATION);
        sh_free(&s);
    }
    assert_int_equal(ws_status_close_code(WS_E_EXPECTED_CONTINUATION), 1002);
}

static void test_control_frames_between_fragments(void **state)
{
    (void)state;
    sh_bytes s = {0};
    sh_frame(&s, false, WS_OP_TEXT, true, 1, "fra", 3);
    sh_frame(&s, true, WS_OP_PING, true, 2, "p1", 2);
    sh_frame(&s, false, WS_OP_CONTINUATION, true, 3, "gme", 3);
    sh_frame(&s, true, WS_OP_PONG, true, 4, "", 0);
    sh_frame(&s, true, WS_OP_PING, true, 5, "p2", 2);
    sh_frame(&s, true, WS_OP_CONTINUATION, true, 6, "nts", 3);
    char exp[512], m[64];
    snprintf(exp, sizeof exp,
             "ping2:%016" PRIx64 " pong0:%016" PRIx64 " ping2:%016" PRIx64 " %s",
             sh_fnv(SH_FNV_INIT, (const uint8_t *)"p1", 2), (uint64_t)SH_FNV_INIT,
             sh_fnv(SH_FNV_INIT, (const uint8_t *)"p2", 2),
             msg_log(m, sizeof m, 'T', "fragments", 9));
    assert_int_equal(check_stream(&server, &s, exp), 0);
    sh_free(&s);
}

/* A close may interrupt a fragmented message: the close is reported, the
 * unfinished message simply never ends. */
static void test_close_between_fragments(void **state)
{
    (void)state;
    sh_bytes s = {0};
    sh_frame(&s, false, WS_OP_TEXT, true, 1, "ab", 2);
    uint8_t close[] = {0x03, 0xe8};
    sh_frame(&s, true, WS_OP_CLOSE, true, 2, close, 2);
    assert_int_equal(check_stream(&server, &s, "close1000: T("), 0);
    sh_free(&s);
}

/* ---------------------------------------------------------------- UTF-8 */

static void test_utf8_sequence_split_across_frames(void **state)
{
    (void)state;
    /* U+1F600 F0 9F 98 80 and U+20AC E2 82 AC cut inside the sequences. */
    const uint8_t text[] = {'a', 0xF0, 0x9F, 0x98, 0x80, 0xE2, 0x82, 0xAC, 'z'};
    sh_bytes s = {0};
    sh_frame(&s, false, WS_OP_TEXT, true, 1, text, 2);
    sh_frame(&s, false, WS_OP_CONTINUATION, true, 2, text + 2, 1);
    sh_frame(&s, false, WS_OP_CONTINUATION, true, 3, text + 3, 3);
    sh_frame(&s, true, WS_OP_CONTINUATION, true, 4, text + 6, 3);
    char m[64];
    assert_int_equal(check_stream(&server, &s, msg_log(m, sizeof m, 'T', text, sizeof text)), 0);
    sh_free(&s);
}

/* Small masked texts of every length the parser's small-text paths split
 * on (word, two-register and one-pass checks), with one fault at every
 * byte, then a valid frame: the whole-message mode reports and fails as
 * the default one does, at the same byte, whatever the chunking. */
static void test_small_texts_fail_at_every_byte(void **state)
{
    (void)state;
    static const uint8_t faults[] = {0xFF, 0x80, 0xE4, 0xC3};
    static const char pattern[] = "a\xC3\xA9\xE4\xB8\x96\xF0\x9F\x98\x80z";
    static const size_t lens[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 19, 20, 23,
                                  24, 29, 30, 31, 32, 33, 64, 125};
    for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
        const size_t len = lens[l];
        uint8_t text[125];
        for (size_t i = 0; i < len; i++)
            text[i] = (uint8_t)pattern[i % (sizeof pattern - 1)];
        for (size_t at = 0; at < len; at++) {
            for (size_t f = 0; f < sizeof faults; f++) {
                uint8_t bad[125];
                memcpy(bad, text, len);
                bad[at] = faults[f];
                sh_bytes s = {0};
                sh_frame(&s, true, WS_OP_TEXT, true, (uint32_t)(at * 7 + f + 1), bad, len);
                sh_frame(&s, true, WS_OP_TEXT, true, 5, (const uint8_t *)"ok", 2);
                (void)check_stream(&server, &s, NULL);
                sh_free(&s);
            }
        }
    }
}

/* The error comes with the first impossible byte, long before the frame
 * (announced at 1000 bytes) is over. */
static void test_utf8_fails_fast_inside_a_frame(void **state)
{
    (void)state;
    uint8_t text[1000];
    memset(text, 'a', sizeof text);
    text[10] = 0xC0; /* never valid */
    sh_bytes s = {0};
    sh_frame(&s, true, WS_OP_TEXT, true, 1, text, sizeof text);
    assert_int_equal(check_stream(&server, &s, "T(!INVALID_UTF8"), WS_E_INVALID_UTF8);
    size_t header = 2 + 2 + 4;
    assert_int_equal(sh_fail_point(&server, s.p, s.len), header + 10 + 1);
    assert_int_equal(ws_status_close_code(WS_E_INVALID_UTF8), 1007);
    sh_free(&s);
}

/* Fail-fast across fragments: a valid first fragment, then a second whose
 * first byte continues the first fragment's sequence impossibly (ED A0 is a
 * surrogate); the message is never finished. */
static void test_utf8_fails_fast_across_fragments(void **state)
{
    (void)state;
    const uint8_t a[] = {'o', 'k', 0xED};
    const uint8_t b[] = {0xA0, 0x80, 'x', 'y'};
    sh_bytes s = {0};
    sh_frame(&s, false, WS_OP_TEXT, true, 1, a, sizeof a);
    sh_frame(&s, false, WS_OP_CONTINUATION, true, 2, b, sizeof b);
    assert_int_equal(check_stream(&server, &s, "T(!INVALID_UTF8"), WS_E_INVALID_UTF8);
    size_t second_header = 2 + 4 + sizeof a;
    assert_int_equal(sh_fail_point(&server, s.p, s.len), second_header + 6 + 1);
    sh_free(&s);
}

static void test_utf8_truncated_at_message_end(void **state)
{
    (void)state;
    const uint8_t text[] = {'a', 0xE2, 0x82}; /* a euro sign missing its last byte */
    sh_bytes s = {0};
    sh_frame(&s, true, WS_OP_TEXT, true, 1, text, sizeof text);
    assert_int_equal(check_stream(&server, &s, "T(!INVALID_UTF8"), WS_E_INVALID_UTF8);
    /* It fails when the frame ends, not earlier: the prefix was valid. */
    assert_int_equal(sh_fail_point(&server, s.p, s.len), s.len);
    sh_free(&s);
    /* The same bytes ending a non-final frame are fine once completed. */
    const uint8_t rest[] = {0xAC};
    sh_frame(&s, false, WS_OP_TEXT, true, 1, text, sizeof text);
    sh_frame(&s, true, WS_OP_CONTINUATION, true, 2, rest, 1);
    assert_int_equal(check_stream(&server, &s, NULL), 0);
    sh_free(&s);
    /* A truncated sequence at the end of an empty final fragment fails. */
    sh_frame(&s, false, WS_OP_TEXT, true, 1, text, sizeof text);
    sh_frame(&s, true, WS_OP_CONTINUATION, true, 2, NULL, 0);
    assert_int_equal(check_stream(&server, &s, "T(!INVALID_UTF8"), WS_E_INVALID_UTF8);
    sh_free(&s);
}

static void test_binary_is_not_validated(void **state)
{
    (void)state;
    const uint8_t data[] = {0xFF, 0xC0, 0xED, 0xA0, 0x80};
    sh_bytes s = {0};
    sh_frame(&s, true, WS_OP_BINARY, true, 1, data, sizeof data);
    char m[64];
    assert_int_equal(check_stream(&server, &s, msg_log(m, sizeof m, 'B', data, sizeof data)), 0);
    sh_free(&s);
}

/* ---------------------------------------------------------------- limits */

static void test_frame_limit_refused_at_header(void **state)
{
    (void)state;
    ws_limits lim;
    ws_limits_default(&lim);
    lim.max_frame_size = 100;
    sh_config cfg = {WS_ROLE_SERVER, &lim};
    uint8_t data[101];
    memset(data, 'x', sizeof data);

    sh_bytes s = {0};
    sh_frame(&s, true, WS_OP_BINARY, true, 1, data, 100); /* exactly at the limit */
    char m[64];
    assert_int_equal(check_stream(&cfg, &s, msg_log(m, sizeof m, 'B', data, 100)), 0);
    sh_free(&s);

    sh_frame(&s, true, WS_OP_BINARY, true, 1, data, 101);
    assert_int_equal(check_stream(&cfg, &s, "!FRAME_TOO_BIG"), WS_E_FRAME_TOO_BIG);
    assert_int_equal(sh_fail_point(&cfg, s.p, s.len), 2 + 4); /* header only */
    assert_int_equal(ws_status_close_code(WS_E_FRAME_TOO_BIG), 1009);
    sh_free(&s);

    /* A frame announcing 2^62 bytes is refused with no payload sent at all. */
    sh_frame_raw(&s, 0x82, true, 1, SH_LEN_64, 1ull << 62, NULL, 0);
    assert_int_equal(check_stream(&server, &s, "!FRAME_TOO_BIG"), WS_E_FRAME_TOO_BIG);
    sh_free(&s);
}

/* A frame with a 7-bit length takes ws_parser_next's small-frame path,
 * which checks both limits with one compare (ws_parser_init folds them):
 * at every limit a small frame can meet, each kind, the frame at the limit
 * passes and one byte more fails at its header, in both modes (see
 * check_stream). */
static void test_limits_on_small_frames(void **state)
{
    (void)state;
    static const uint64_t limits[] = {1, 2, 7, 8, 9, 15, 16, 17, 100, 124, 125, 126};
    uint8_t data[127];
    memset(data, 'x', sizeof data);
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        for (int kind = 0; kind < 2; kind++) {
            const uint64_t limit = limits[i];
            ws_limits lim;
            ws_limits_default(&lim);
            if (kind == 0)
                lim.max_frame_size = limit;
            else
                lim.max_message_size = limit;
            sh_config cfg = {WS_ROLE_SERVER, &lim};
            sh_bytes s = {0};
            char m[64];
            sh_frame(&s, true, WS_OP_TEXT, true, 1, data, (size_t)limit);
            assert_int_equal(check_stream(&cfg, &s, msg_log(m, sizeof m, 'T', data, (size_t)limit)), 0);
            sh_free(&s);
            sh_frame(&s, true, WS_OP_BINARY, true, 1, data, (size_t)limit + 1);
            const ws_status want = kind == 0 ? WS_E_FRAME_TOO_BIG : WS_E_MESSAGE_TOO_BIG;
            assert_int_equal(check_stream(&cfg, &s, kind == 0 ? "!FRAME_TOO_BIG" : "!MESSAGE_TOO_BIG"),
                             want);
            assert_int_equal(sh_fail_point(&cfg, s.p, s.len), (limit + 1 < 126 ? 2 : 4) + 4);
            sh_free(&s);
        }
    }
}

/* A small message found whole is unmasked with words that start inside its
 * header (ws_unmask_after_header): the header's bytes stay as they were,
 * at every small length. */
static void test_whole_small_message_leaves_header_alone(void **state)
{
    (void)state;
    uint8_t data[125];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(0x20 + i % 90);
    for (size_t n = 0; n <= sizeof data; n++) {
        sh_bytes s = {0};
        sh_frame(&s, true, n % 2 ? WS_OP_TEXT : WS_OP_BINARY, true, (uint32_t)n + 1, data, n);
        uint8_t *buf = ws_test_guard_copy(s.p, s.len);
        ws_parser p;
        ws_parser_init(&p, WS_ROLE_SERVER, NULL);
        ws_parser_set_options(&p, WS_PARSER_WHOLE_MESSAGES);
        ws_event ev;
        assert_int_equal(ws_parser_next(&p, buf, s.len, &ev), (ptrdiff_t)s.len);
        assert_int_equal(ev.type, WS_EV_MESSAGE);
        assert_int_equal(ev.len, n);
        assert_ptr_equal(ev.data, buf + 6);
        assert_memory_equal(buf, s.p, 6);
        if (n)
            assert_memory_equal(buf + 6, data, n);
        ws_test_guard_free(buf, s.len);
        sh_free(&s);
    }
}

static void test_message_limit_counts_fragments_sum(void **state)
{
    (void)state;
    ws_limits lim;
    ws_limits_default(&lim);
    lim.max_message_size = 10;
    sh_config cfg = {WS_ROLE_SERVER, &lim};
    sh_bytes s = {0};
    sh_frame(&s, false, WS_OP_TEXT, true, 1, "01234", 5);
    sh_frame(&s, true, WS_OP_CONTINUATION, true, 2, "56789", 5); /* 10: fine */
    sh_frame(&s, false, WS_OP_TEXT, true, 3, "01234", 5);
    sh_frame(&s, false, WS_OP_CONTINUATION, true, 4, "56789", 5);
    size_t before = s.len;
    sh_frame(&s, true, WS_OP_CONTINUATION, true, 5, "!", 1); /* 11: too big */
    char m[64], exp[128];
    snprintf(exp, sizeof exp, "%sT(!MESSAGE_TOO_BIG", msg_log(m, sizeof m, 'T', "0123456789", 10));
    assert_int_equal(check_stream(&cfg, &s, exp), WS_E_MESSAGE_TOO_BIG);
    assert_int_equal(sh_fail_point(&cfg, s.p, s.len), before + 2 + 4);
    sh_free(&s);
    /* A single frame over the message limit (no frame limit) too. */
    lim.max_frame_size = 0;
    sh_frame_raw(&s, 0x81, true, 1, SH_LEN_64, 1ull << 40, NULL, 0);
    assert_int_equal(check_stream(&cfg, &s, "!MESSAGE_TOO_BIG"), WS_E_MESSAGE_TOO_BIG);
    sh_free(&s);
}

static void test_fragment_limit_counts_empty_fragments(void **state)
{
    (void)state;
    ws_limits lim;
    ws_limits_default(&lim);
    lim.max_fragments = 4;
    sh_config cfg = {WS_ROLE_SERVER, &lim};
    sh_bytes s = {0};
    /* Four frames, pings between them not counted: fine. */
    sh_frame(&s, false, WS_OP_BINARY, true, 1, NULL, 0);
    sh_frame(&s, true, WS_OP_PING, true, 1, NULL, 0);
    sh_frame(&s, false, WS_OP_CONTINUATION, true, 2, NULL, 0);
    sh_frame(&s, false, WS_OP_CONTINUATION, true, 3, "x", 1);
    sh_frame(&s, true, WS_OP_CONTINUATION, true, 4, NULL, 0);
    /* Then five empty ones: the fifth header is refused. */
    for (uint32_t i = 0; i < 5; i++)
        sh_frame(&s, i == 4, i ? WS_OP_CONTINUATION : WS_OP_BINARY, true, i, NULL, 0);
    char exp[256], m[64];
    snprintf(exp, sizeof exp, "ping0:%016" PRIx64 " %sB(!TOO_MANY_FRAGMENTS",
             (uint64_t)SH_FNV_INIT, msg_log(m, sizeof m, 'B', "x", 1));
    assert_int_equal(check_stream(&cfg, &s, exp), WS_E_TOO_MANY_FRAGMENTS);
    assert_int_equal(ws_status_close_code(WS_E_TOO_MANY_FRAGMENTS), 1009);
    sh_free(&s);
}

static void test_zero_limits_mean_unlimited(void **state)
{
    (void)state;
    ws_limits lim = {0};
    sh_config cfg = {WS_ROLE_SERVER, &lim};
    sh_bytes s = {0};
    for (uint32_t i = 0; i < 3000; i++)
        sh_frame(&s, i == 2999, i ? WS_OP_CONTINUATION : WS_OP_BINARY, true, i, "ab", 2);
    sh_log log;
    sh_parse_whole(&cfg, s.p, s.len, &log);
    assert_int_equal(log.error, 0);
    assert_null(log.broken);
    sh_free(&s);
    /* The defaults do limit fragments, but far enough out for legal
     * streams: Autobahn 9.3/9.4 send 65,536 fragments per message. */
    ws_limits_default(&lim);
    assert_int_equal(lim.max_fragments, WS_DEFAULT_MAX_FRAGMENTS);
    assert_true(WS_DEFAULT_MAX_FRAGMENTS >= 65536u);
    for (uint32_t i = 0; i < 65536; i++)
        sh_frame(&s, i == 65535, i ? WS_OP_CONTINUATION : WS_OP_BINARY, true, i, NULL, 0);
    sh_parse_whole(&server, s.p, s.len, &log);
    assert_int_equal(log.error, 0);
    sh_free(&s);
}

/* ---------------------------------------------------------------- control frames */

static void test_control_frame_rules(void **state)
{
    (void)state;
    uint8_t big[126];
    memset(big, 'p', sizeof big);
    sh_bytes s = {0};
    sh_frame(&s, true, WS_OP_PING, true, 1, big, 125); /* the largest allowed */
    char exp[128];
    snprintf(exp, sizeof exp, "ping125:%016" PRIx64 " ", sh_fnv(SH_FNV_INIT, big, 125));
    assert_int_equal(check_stream(&server, &s, exp), 0);
    sh_free(&s);

    sh_frame(&s, true, WS_OP_PING, true, 1, big, 126);
    assert_int_equal(check_stream(&server, &s, "!CONTROL_TOO_LONG"), WS_E_CONTROL_TOO_LONG);
    assert_int_equal(sh_fail_point(&server, s.p, s.len), 2);
    sh_free(&s);

    sh_frame(&s, false, WS_OP_PONG, true, 1, "a", 1);
    assert_int_equal(check_stream(&server, &s, "!CONTROL_FRAGMENTED"), WS_E_CONTROL_FRAGMENTED);
    assert_int_equal(sh_fail_point(&server, s.p, s.len), 1);
    sh_free(&s);
}

static void test_reserved_opcodes_and_bits(void **state)
{
    (void)state;
    static const uint8_t reserved[] = {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF};
    for (size_t i = 0; i < sizeof reserved; i++) {
        sh_bytes s = {0};
        sh_frame(&s, true, WS_OP_TEXT, true, 1, "ok", 2);
        size_t at = s.len;
        sh_frame(&s, true, reserved[i], true, 2, "x", 1);
        char m[64], exp[128];
        snprintf(exp, sizeof exp, "%s!RESERVED_OPCODE", msg_log(m, sizeof m, 'T', "ok", 2));
        assert_int_equal(check_stream(&server, &s, exp), WS_E_RESERVED_OPCODE);
        assert_int_equal(sh_fail_point(&server, s.p, s.len), at + 1);
        sh_free(&s);
    }
    static const uint8_t rsv[] = {0x40, 0x20, 0x10, 0x70};
    for (size_t i = 0; i < sizeof rsv; i++) {
        sh_bytes s = {0};
        sh_frame_raw(&s, (uint8_t)(0x81 | rsv[i]), true, 1, SH_LEN_MINIMAL, 2, "ok", 2);
        assert_int_equal(check_stream(&server, &s, "!RSV_BITS"), WS_E_RSV_BITS);
        sh_free(&s);
    }
}

static void test_nonminimal_length_refused(void **state)
{
    (void)state;
    sh_bytes s = {0};
    sh_frame_raw(&s, 0x82, true, 1, SH_LEN_16, 5, "hello", 5);
    assert_int_equal(check_stream(&server, &s, "!NONMINIMAL_LENGTH"), WS_E_NONMINIMAL_LENGTH);
    sh_free(&s);
    sh_frame_raw(&s, 0x82, true, 1, SH_LEN_64, 5, "hello", 5);
    assert_int_equal(check_stream(&server, &s, "!NONMINIMAL_LENGTH"), WS_E_NONMINIMAL_LENGTH);
    sh_free(&s);
    sh_frame_raw(&s, 0x82, true, 1, SH_LEN_64, 1ull << 63, NULL, 0);
    assert_int_equal(check_stream(&server, &s, "!LENGTH_TOP_BIT"), WS_E_LENGTH_TOP_BIT);
    sh_free(&s);
}

/* ---------------------------------------------------------------- close frames */

static void close_case(const uint8_t *payload, size_t len, const char *expected, int error)
{
    sh_bytes s = {0};
    sh_frame(&s, true, WS_OP_CLOSE, true, 7, payload, len);
    assert_int_equal(check_stream(&server, &s, expected), error);
    sh_free(&s);
}

static void test_close_payloads(void **state)
{
    (void)state;
    close_case(NULL, 0, "close1005: ", 0);
    close_case((const uint8_t *)"\x03\xe8", 2, "close1000: ", 0);
    close_case((const uint8_t *)"\x0f\xa0" "bye", 5, "close4000:627965 ", 0);
    close_case((const uint8_t *)"\x03", 1, "!CLOSE_PAYLOAD_1BYTE", WS_E_CLOSE_PAYLOAD_1BYTE);
    static const uint16_t bad[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t p[2] = {(uint8_t)(bad[i] >> 8), (uint8_t)bad[i]};
        close_case(p, 2, "!CLOSE_CODE_INVALID", WS_E_CLOSE_CODE_INVALID);
    }
    static const uint16_t good[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012,
                                    1013, 1014, 3000, 3999, 4000, 4999};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint8_t p[2] = {(uint8_t)(good[i] >> 8), (uint8_t)good[i]};
        char exp[32];
        snprintf(exp, sizeof exp, "close%u: ", (unsigned)good[i]);
        close_case(p, 2, exp, 0);
    }
    const uint8_t bad_reason[] = {0x03, 0xe8, 'a', 0xCE, 0xBA, 0xE1, 0xBD};
    close_case(bad_reason, sizeof bad_reason, "!INVALID_UTF8", WS_E_INVALID_UTF8);
    assert_int_equal(ws_status_close_code(WS_E_CLOSE_CODE_INVALID), 1002);
    assert_int_equal(ws_status_close_code(WS_E_CLOSE_PAYLOAD_1BYTE), 1002);
}

static void test_nothing_after_close(void **state)
{
    (void)state;
    sh_bytes s = {0};
    sh_frame(&s, true, WS_OP_CLOSE, true, 1, "\x03\xe8", 2);
    sh_frame(&s, true, WS_OP_TEXT, true, 2, "late", 4);
    assert_int_equal(check_stream(&server, &s, "close1000: !AFTER_CLOSE"), WS_E_AFTER_CLOSE);
    assert_int_equal(ws_status_close_code(WS_E_AFTER_CLOSE), 0);

    ws_parser p;
    ws_parser_init(&p, WS_ROLE_SERVER, NULL);
    ws_event ev;
    uint8_t *buf = s.p;
    assert_int_equal(ws_parser_next(&p, buf, s.len, &ev), 8);
    assert_int_equal(ev.type, WS_EV_CLOSE);
    assert_int_equal(ws_parser_next(&p, buf + 8, 0, &ev), 0); /* end of a read loop */
    assert_int_equal(ev.type, WS_EV_NONE);
    assert_int_equal(ws_parser_next(&p, buf + 8, s.len - 8, &ev), WS_E_AFTER_CLOSE);
    /* Closed, not failed: the same answers again, whatever the reads were
     * (a peer's close glued to more bytes, then the end of the read loop). */
    assert_int_equal(ws_parser_next(&p, buf + 8, 0, &ev), 0);
    assert_int_equal(ev.type, WS_EV_NONE);
    assert_int_equal(ws_parser_next(&p, buf + 8, 1, &ev), WS_E_AFTER_CLOSE);
    sh_free(&s);
}

static void test_failed_parser_stays_failed(void **state)
{
    (void)state;
    uint8_t bad[] = {0x83, 0x80, 0, 0, 0, 0};
    uint8_t good[] = {0x81, 0x80, 0, 0, 0, 0};
    ws_parser p;
    ws_parser_init(&p, WS_ROLE_SERVER, NULL);
    ws_event ev;
    assert_int_equal(ws_parser_next(&p, bad, sizeof bad, &ev), WS_E_RESERVED_OPCODE);
    assert_int_equal(ws_parser_next(&p, good, sizeof good, &ev), WS_E_PARSER_FAILED);
    assert_int_equal(ws_parser_next(&p, good, 0, &ev), WS_E_PARSER_FAILED);
}

/* ---------------------------------------------------------------- big and random */

/* A 3 MiB message passes through a buffer of WS_PARSER_MIN_BUFFER bytes:
 * payload is never held back. */
static void test_large_message_through_small_buffer(void **state)
{
    (void)state;
    size_t n = 3u << 20;
    uint8_t *data = malloc(n);
    assert_non_null(data);
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 7);
    ws_test_rng_fill(&rng, data, n);
    sh_bytes s = {0};
    sh_frame(&s, false, WS_OP_BINARY, true, 1, data, n / 3);
    sh_frame(&s, true, WS_OP_PING, true, 2, "x", 1);
    sh_frame(&s, true, WS_OP_CONTINUATION, true, 3, data + n / 3, n - n / 3);
    sh_log whole, small;
    sh_parse_whole(&server, s.p, s.len, &whole);
    sh_random_chunks rc = {99, WS_PARSER_MIN_BUFFER};
    sh_feed(&server, s.p, s.len, WS_PARSER_MIN_BUFFER, sh_chunk_random, &rc, &small);
    assert_null(small.broken);
    assert_string_equal(small.text, whole.text);
    char exp[128], m[64];
    snprintf(exp, sizeof exp, "ping1:%016" PRIx64 " %s", sh_fnv(SH_FNV_INIT, (const uint8_t *)"x", 1),
             msg_log(m, sizeof m, 'B', data, n));
    assert_string_equal(whole.text, exp);
    sh_free(&s);
    free(data);
}

static void count_key(void *ctx, uint8_t key[4])
{
    ws_test_rng *rng = ctx;
    uint64_t x = ws_test_rng_next(rng);
    memcpy(key, &x, 4);
}

/* Random valid streams written with the library's writer (client role,
 * masked; and server role, unmasked), parsed back by the other role: the
 * events must be the messages written, whatever the chunking. */
static void random_round_trips(ws_role writer_role, uint64_t seed)
{
    ws_test_rng rng, keys;
    ws_test_rng_seed(&rng, seed);
    ws_test_rng_seed(&keys, seed ^ 0xabcdef);
    for (int round = 0; round < 40; round++) {
        ws_writer w;
        ws_writer_init(&w, writer_role, (size_t)ws_test_rng_below(&rng, 40), count_key, &keys);
        sh_bytes s = {0};
        char expected[4096] = "";
        size_t exp_len = 0;
        int messages = 1 + (int)ws_test_rng_below(&rng, 6);
        for (int i = 0; i < messages; i++) {
            uint8_t payload[300];
            size_t len = (size_t)ws_test_rng_below(&rng, sizeof payload);
            bool text = ws_test_rng_below(&rng, 2);
            if (text)
                for (size_t k = 0; k < len; k++)
                    payload[k] = (uint8_t)(' ' + ws_test_rng_below(&rng, 90));
            else
                ws_test_rng_fill(&rng, payload, len);
            uint8_t out[8192];
            ptrdiff_t r;
            int kind = (int)ws_test_rng_below(&rng, 4);
            if (kind == 0) {
                r = ws_ping_write(&w, payload, len % 126, out, sizeof out);
                exp_len += (size_t)snprintf(expected + exp_len, sizeof expected - exp_len,
                                            "ping%zu:%016" PRIx64 " ", len % 126,
                                            sh_fnv(SH_FNV_INIT, payload, len % 126));
                assert_true(r > 0);
                sh_put(&s, out, (size_t)r);
                continue;
            }
            if (kind == 1 && len > 2) {
                /* By hand with ws_fragment_write, a pong in the middle. */
                uint8_t op = text ? WS_OP_TEXT : WS_OP_BINARY;
                size_t cut = 1 + (size_t)ws_test_rng_below(&rng, len - 1);
                r = ws_fragment_write(&w, op, false, payload, cut, out, sizeof out);
                assert_true(r > 0);
                sh_put(&s, out, (size_t)r);
                r = ws_pong_write(&w, "pp", 2, out, sizeof out);
                assert_true(r > 0);
                sh_put(&s, out, (size_t)r);
                r = ws_fragment_write(&w, op, true, payload + cut, len - cut, out, sizeof out);
                assert_true(r > 0);
                sh_put(&s, out, (size_t)r);
                exp_len += (size_t)snprintf(expected + exp_len, sizeof expected - exp_len,
                                            "pong2:%016" PRIx64 " %s(%zu:%016" PRIx64 ") ",
                                            sh_fnv(SH_FNV_INIT, (const uint8_t *)"pp", 2),
                                            text ? "T" : "B", len,
                                            sh_fnv(SH_FNV_INIT, payload, len));
                continue;
            }
            r = ws_message_write(&w, text ? WS_OP_TEXT : WS_OP_BINARY, payload, len, out,
                                 sizeof out);
            assert_int_equal(r, (ptrdiff_t)ws_message_size(&w, len));
            sh_put(&s, out, (size_t)r);
            char m[64];
            exp_len += (size_t)snprintf(expected + exp_len, sizeof expected - exp_len, "%s",
                                        msg_log(m, sizeof m, text ? 'T' : 'B', payload, len));
        }
        uint8_t out[256];
        ptrdiff_t r = ws_close_frame_write(&w, 1000, "done", 4, out, sizeof out);
        assert_true(r > 0);
        sh_put(&s, out, (size_t)r);
        snprintf(expected + exp_len, sizeof expected - exp_len, "close1000:646f6e65 ");
        sh_config cfg = {writer_role == WS_ROLE_CLIENT ? WS_ROLE_SERVER : WS_ROLE_CLIENT, NULL};
        assert_int_equal(check_stream(&cfg, &s, expected), 0);
        sh_free(&s);
    }
}

static void test_random_round_trips_client_to_server(void **state)
{
    (void)state;
    random_round_trips(WS_ROLE_CLIENT, 1234);
}

static void test_random_round_trips_server_to_client(void **state)
{
    (void)state;
    random_round_trips(WS_ROLE_SERVER, 5678);
}

/* Random garbage after a valid prefix: whatever the parser decides, it
 * decides the same way whatever the chunking, and never breaks its
 * contract. */
static void test_random_bytes_chunking_invariant(void **state)
{
    (void)state;
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 42);
    for (int round = 0; round < 300; round++) {
        sh_bytes s = {0};
        sh_frame(&s, (round & 1) != 0, WS_OP_TEXT, true, 1, "ab", 2);
        uint8_t junk[200];
        size_t n = (size_t)ws_test_rng_below(&rng, sizeof junk);
        ws_test_rng_fill(&rng, junk, n);
        /* Bias towards plausible headers: masked, short. */
        if (n > 2) {
            junk[0] = (uint8_t)((junk[0] & 0x8F));
            junk[1] = (uint8_t)(0x80 | (junk[1] % 130));
        }
        sh_put(&s, junk, n);
        sh_log whole;
        char why[8192];
        if (!sh_check_invariance(&server, s.p, s.len, 0, (uint64_t)round, &whole, why, sizeof why))
            fail_msg("round %d: %s", round, why);
        sh_free(&s);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_fits_64_bytes),
        cmocka_unit_test(test_rfc_masked_hello_events),
        cmocka_unit_test(test_rfc_fragments_and_ping_client),
        cmocka_unit_test(test_whole_message_is_one_event),
        cmocka_unit_test(test_whole_messages_fall_back_to_three_events),
        cmocka_unit_test(test_whole_message_invalid_utf8),
        cmocka_unit_test(test_cut_small_frames_are_held_back),
        cmocka_unit_test(test_cut_invalid_text_fails_fast),
        cmocka_unit_test(test_hold_back_matches_validator),
        cmocka_unit_test(test_small_texts_fail_at_every_byte),
        cmocka_unit_test(test_whole_messages_every_size),
        cmocka_unit_test(test_large_text_fails_at_the_bad_byte),
        cmocka_unit_test(test_ascii_fragment_after_open_sequence),
        cmocka_unit_test(test_empty_messages_have_no_data_event),
        cmocka_unit_test(test_server_requires_masked_client_refuses_masked),
        cmocka_unit_test(test_continuation_without_start),
        cmocka_unit_test(test_new_message_inside_fragmented_one),
        cmocka_unit_test(test_control_frames_between_fragments),
        cmocka_unit_test(test_close_between_fragments),
        cmocka_unit_test(test_utf8_sequence_split_across_frames),
        cmocka_unit_test(test_utf8_fails_fast_inside_a_frame),
        cmocka_unit_test(test_utf8_fails_fast_across_fragments),
        cmocka_unit_test(test_utf8_truncated_at_message_end),
        cmocka_unit_test(test_binary_is_not_validated),
        cmocka_unit_test(test_frame_limit_refused_at_header),
        cmocka_unit_test(test_limits_on_small_frames),
        cmocka_unit_test(test_whole_small_message_leaves_header_alone),
        cmocka_unit_test(test_message_limit_counts_fragments_sum),
        cmocka_unit_test(test_fragment_limit_counts_empty_fragments),
        cmocka_unit_test(test_zero_limits_mean_unlimited),
        cmocka_unit_test(test_control_frame_rules),
        cmocka_unit_test(test_reserved_opcodes_and_bits),
        cmocka_unit_test(test_nonminimal_length_refused),
        cmocka_unit_test(test_close_payloads),
        cmocka_unit_test(test_nothing_after_close),
        cmocka_unit_test(test_failed_parser_stays_failed),
        cmocka_unit_test(test_large_message_through_small_buffer),
        cmocka_unit_test(test_random_round_trips_client_to_server),
        cmocka_unit_test(test_random_round_trips_server_to_client),
        cmocka_unit_test(test_random_bytes_chunking_invariant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
