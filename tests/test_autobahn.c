/* Every case of the Autobahn testsuite sections 1-7 and 10 (the table in
 * autobahn_cases.h), at the parser: the frames the Autobahn client sends,
 * masked, are parsed as a server parses them. Each case checks
 *   - the events (messages with their joined payload, pings, pongs, close),
 *     or the error and its close code;
 *   - fail-fast: the error comes exactly when the offending byte arrives;
 *   - the chunking invariant: whole, every split point (sampled for long
 *     streams), one byte at a time in a WS_PARSER_MIN_BUFFER buffer, random
 *     reads, and the chops Autobahn itself writes;
 *   - the answer an echo server built on ws_closing sends: a pong per ping,
 *     the close code echoed (an empty close for 1005), 1002/1007 on failure,
 *     and the server closing TCP.
 * The 6.5-6.23 UTF-8 vectors are also sent in 1-byte frames and cut into two
 * frames at every point, with the fail point computed by an independent
 * reference decoder (RFC 3629 / Unicode table 3-7). */
#define _DEFAULT_SOURCE
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

/* A broken table row fails the case that has it, as an assertion. */
#define AB_WIRE_REQUIRE(cond) assert_true(cond)
#include "autobahn_wire.h"

static const sh_config server = {WS_ROLE_SERVER, NULL};

/* ---------------------------------------------------------------- expectations */

/* The log the harness must produce for these events and error. */
static void expected_log(const ab_event *ev, int status, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (; ev->kind != AB_EV_END; ev++) {
        sh_bytes p = {0};
        ab_payload_bytes(&ev->payload, &p);
        uint64_t h = sh_fnv(SH_FNV_INIT, p.p, p.len);
        int k = 0;
        switch (ev->kind) {
        case AB_EV_TEXT:
        case AB_EV_BINARY:
            k = snprintf(out + n, cap - n, "%s(%zu:%016" PRIx64 ") ",
                         ev->kind == AB_EV_TEXT ? "T" : "B", p.len, h);
            break;
        case AB_EV_PING:
        case AB_EV_PONG:
            k = snprintf(out + n, cap - n, "%s%zu:%016" PRIx64 " ",
                         ev->kind == AB_EV_PING ? "ping" : "pong", p.len, h);
            break;
        case AB_EV_CLOSE:
            k = snprintf(out + n, cap - n, "close%u:", (unsigned)ev->code);
            for (size_t i = 0; i < p.len && k > 0; i++)
                k += snprintf(out + n + (size_t)k, cap - n - (size_t)k, "%02x", p.p[i]);
            k += snprintf(out + n + (size_t)k, cap - n - (size_t)k, " ");
            break;
        case AB_EV_TEXT_OPEN:
        case AB_EV_BINARY_OPEN:
            k = snprintf(out + n, cap - n, "%s(", ev->kind == AB_EV_TEXT_OPEN ? "T" : "B");
            break;
        default:
            fail_msg("bad event kind in the table");
        }
        sh_free(&p);
        assert_true(k > 0 && (size_t)k < cap - n);
        n += (size_t)k;
    }
    if (status)
        snprintf(out + n, cap - n, "!%s", ws_status_name(status));
}

/* ---------------------------------------------------------------- the server's answer */

typedef struct answer {
    size_t pongs;
    bool sent_close;
    uint16_t close_code; /* as the client's parser reads it (1005: empty close) */
    ws_closing_action last;
} answer;

/* Run the stream through a server as an echo server would use the library:
 * pong every ping, hand close events and errors to ws_closing, write what
 * it asks for, and read the close frame back with a client parser. */
static answer serve(const uint8_t *stream, size_t len)
{
    answer a = {0};
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    memcpy(buf, stream, len);
    ws_parser p;
    ws_writer w;
    ws_closing c;
    ws_parser_init(&p, WS_ROLE_SERVER, NULL);
    ws_writer_init(&w, WS_ROLE_SERVER, 0, NULL, NULL);
    ws_closing_init(&c, WS_ROLE_SERVER);
    size_t off = 0;
    uint8_t out[WS_MAX_HEADER_SIZE + WS_MAX_CONTROL_PAYLOAD];
    for (;;) {
        ws_event ev;
        ptrdiff_t n = ws_parser_next(&p, buf + off, len - off, &ev);
        if (n < 0) {
            ws_closing_fail(&c, (int)n);
            break;
        }
        off += (size_t)n;
        if (ev.type == WS_EV_NONE)
            break;
        if (ev.type == WS_EV_PING && ws_writer_can_send(&w)) {
            assert_true(ws_pong_write(&w, ev.data, ev.len, out, sizeof out) > 0);
            a.pongs++;
        } else if (ev.type == WS_EV_CLOSE) {
            ws_closing_received(&c, ev.close_code);
        }
    }
    if (ws_closing_next(&c) == WS_CLOSING_SEND_CLOSE) {
        ptrdiff_t n = ws_closing_write(&c, &w, out, sizeof out);
        assert_true(n > 0);
        ws_parser cp;
        ws_parser_init(&cp, WS_ROLE_CLIENT, NULL);
        ws_event ev;
        assert_int_equal(ws_parser_next(&cp, out, (size_t)n, &ev), n);
        assert_int_equal(ev.type, WS_EV_CLOSE);
        a.sent_close = true;
        a.close_code = ev.close_code;
    }
    a.last = ws_closing_next(&c);
    free(buf);
    return a;
}

/* ---------------------------------------------------------------- one case */

static void check_case(const ab_case *c)
{
    ab_wire w = {0};
    size_t pings = 0;
    bool client_closes = false;
    uint16_t client_code = 0;
    for (size_t i = 0; i < AB_MAX_FRAMES && c->frames[i].b0; i++) {
        ab_wire_row(&w, &c->frames[i]);
        if ((c->frames[i].b0 & 0x0F) == AB_OP_CLOSE && !client_closes) {
            client_closes = true;
            client_code = c->frames[i].has_code ? c->frames[i].code : WS_CLOSE_NO_STATUS;
        }
    }
    char expected[4096];
    expected_log(c->expect, c->fail.status, expected, sizeof expected);
    for (const ab_event *e = c->expect; e->kind != AB_EV_END; e++)
        pings += e->kind == AB_EV_PING;

    /* Events, and the same events whatever the cutting. */
    sh_log whole;
    char why[8192];
    if (!sh_check_invariance(&server, w.bytes.p, w.bytes.len, 256, 7, &whole, why, sizeof why))
        fail_msg("%s: chunking changed the events: %s", c->id, why);
    if (strcmp(whole.text, expected) != 0)
        fail_msg("%s (%s)\n  got:      %s\n  expected: %s", c->id, c->what, whole.text, expected);
    assert_int_equal(whole.error, c->fail.status);
    assert_int_equal(whole.rest, 0);

    /* The chops the Autobahn client writes. */
    if (c->chop > 1) {
        sh_log chopped;
        size_t chop = c->chop;
        sh_feed(&server, w.bytes.p, w.bytes.len, 0, sh_chunk_fixed, &chop, &chopped);
        assert_null(chopped.broken);
        assert_string_equal(chopped.text, expected);
    }

    /* Fail-fast: the error comes with the offending byte, not later. */
    if (c->fail.status) {
        size_t at = ab_fail_point(&w, &c->fail);
        size_t got = sh_fail_point(&server, w.bytes.p, w.bytes.len);
        if (got != at)
            fail_msg("%s: failed after %zu bytes, expected after %zu", c->id, got, at);
    }

    /* What the server answers. */
    answer a = serve(w.bytes.p, w.bytes.len);
    assert_int_equal(a.pongs, pings);
    assert_int_equal(a.last, WS_CLOSING_CLOSE_TCP); /* the server closes TCP */
    assert_true(a.sent_close);
    int st = c->fail.status;
    if (st != 0 && st != WS_E_AFTER_CLOSE) {
        uint16_t code = ws_status_close_code(st);
        assert_true(code == 1002 || code == 1007);
        if (st == WS_E_INVALID_UTF8)
            assert_int_equal(code, 1007);
        assert_int_equal(a.close_code, code);
    } else {
        assert_true(client_closes);
        assert_int_equal(a.close_code, client_code); /* echoed; 1005 reads back as 1005 */
    }
    sh_free(&w.bytes);
}

static void run_case(void **state) { check_case((const ab_case *)*state); }

/* ---------------------------------------------------------------- UTF-8 vectors */

/* Independent of lib/utf8.c: Unicode table 3-7, byte by byte. Returns 0 for
 * valid text, 1 with *at = index of the first byte that cannot continue any
 * valid text, 2 when the text ends inside a sequence. */
static int reference_utf8(const uint8_t *s, size_t n, size_t *at)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint8_t lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF)
            need = 1;
        else if (c == 0xE0)
            need = 2, lo = 0xA0;
        else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
            need = 2;
        else if (c == 0xED)
            need = 2, hi = 0x9F;
        else if (c == 0xF0)
            need = 3, lo = 0x90;
        else if (c >= 0xF1 && c <= 0xF3)
            need = 3;
        else if (c == 0xF4)
            need = 3, hi = 0x8F;
        else {
            *at = i;
            return 1;
        }
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n)
                return 2;
            uint8_t b = s[i + k];
            if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF)) {
                *at = i + k;
                return 1;
            }
        }
        i += need + 1;
    }
    return 0;
}

/* The vector as a message in frames cut at the given points (cuts[i] is
 * where frame i+1 starts; none: one frame), then a close 1000 if it is
 * valid. Checks the events, the fail point and the invariant. */
static void check_vector_frames(const ab_utf8_vector *v, const size_t *cuts, size_t ncuts,
                                bool full_invariance)
{
    const uint8_t *text = (const uint8_t *)v->bytes;
    ab_wire w = {0};
    size_t from = 0;
    size_t frame_of[64]; /* frame index of each text byte */
    assert_true(v->len <= 64);
    for (size_t i = 0; i <= ncuts; i++) {
        size_t to = i < ncuts ? cuts[i] : v->len;
        for (size_t k = from; k < to; k++)
            frame_of[k] = w.frames;
        uint8_t b0 = (uint8_t)((i == 0 ? WS_OP_TEXT : WS_OP_CONTINUATION) | (i == ncuts ? 0x80 : 0));
        ab_wire_frame(&w, b0, text + from, to - from);
        from = to;
    }
    size_t last_text_frame = w.frames - 1;
    if (v->valid)
        ab_wire_frame(&w, 0x88, (const uint8_t *)"\x03\xe8", 2);

    char expected[256];
    size_t bad_at = 0;
    int ref = reference_utf8(text, v->len, &bad_at);
    assert_int_equal(ref == 0, v->valid); /* the table agrees with the reference */
    if (v->valid)
        snprintf(expected, sizeof expected, "T(%zu:%016" PRIx64 ") close1000: ", v->len,
                 sh_fnv(SH_FNV_INIT, text, v->len));
    else
        snprintf(expected, sizeof expected, "T(!INVALID_UTF8");

    sh_log whole;
    char why[8192];
    if (full_invariance) {
        if (!sh_check_invariance(&server, w.bytes.p, w.bytes.len, 0, 3, &whole, why, sizeof why))
            fail_msg("%s: chunking changed the events: %s", v->id, why);
    } else {
        sh_parse_whole(&server, w.bytes.p, w.bytes.len, &whole);
    }
    if (strcmp(whole.text, expected) != 0)
        fail_msg("%s (%zu cuts)\n  got:      %s\n  expected: %s", v->id, ncuts, whole.text,
                 expected);

    if (!v->valid) {
        size_t at;
        if (ref == 1) {
            size_t f = frame_of[bad_at];
            size_t frame_text_start = bad_at;
            while (frame_text_start > 0 && frame_of[frame_text_start - 1] == f)
                frame_text_start--;
            at = w.start[f] + w.header[f] + (bad_at - frame_text_start) + 1;
        } else {
            at = w.start[last_text_frame] + w.len[last_text_frame]; /* at the message end */
        }
        size_t got = sh_fail_point(&server, w.bytes.p, w.bytes.len);
        if (got != at)
            fail_msg("%s (%zu cuts): failed after %zu bytes, expected after %zu", v->id, ncuts,
                     got, at);
    }
    sh_free(&w.bytes);
}

static void run_vector(void **state)
{
    const ab_utf8_vector *v = *state;
    /* As Autobahn sends it: one frame. */
    check_vector_frames(v, NULL, 0, true);
    /* In 1-byte frames (as 6.2.3 and 6.3.2 do). */
    size_t cuts[64];
    for (size_t i = 1; i < v->len; i++)
        cuts[i - 1] = i;
    if (v->len > 1)
        check_vector_frames(v, cuts, v->len - 1, true);
    /* Cut into two frames at every point. */
    for (size_t i = 1; i < v->len; i++)
        check_vector_frames(v, &i, 1, false);
}

/* ---------------------------------------------------------------- 10.1.1 and the writer */

static void sequential_key(void *ctx, uint8_t key[4])
{
    uint32_t *n = ctx;
    sh_key((*n)++, key);
}

/* The library's writer, auto-fragmenting at 1300 bytes with the same keys,
 * produces exactly the frames of case 10.1.1: 50 frames of 1300 and one of
 * 536. */
static void test_writer_matches_10_1_1(void **state)
{
    (void)state;
    const ab_case *c = NULL;
    for (size_t i = 0; i < sizeof ab_cases / sizeof ab_cases[0]; i++)
        if (strcmp(ab_cases[i].id, "10.1.1") == 0)
            c = &ab_cases[i];
    assert_non_null(c);
    ab_wire w = {0};
    ab_wire_row(&w, &c->frames[0]);
    assert_int_equal(w.frames, 51);
    assert_int_equal(w.len[50] - w.header[50], 536);

    static uint8_t text[65536], out[70000];
    memset(text, '*', sizeof text);
    uint32_t keys = 0;
    ws_writer wr;
    ws_writer_init(&wr, WS_ROLE_CLIENT, 1300, sequential_key, &keys);
    ptrdiff_t n = ws_message_write(&wr, WS_OP_TEXT, text, sizeof text, out, sizeof out);
    assert_int_equal(n, (ptrdiff_t)w.bytes.len);
    assert_memory_equal(out, w.bytes.p, w.bytes.len);
    assert_int_equal(keys, 51);
    sh_free(&w.bytes);
}

/* The table covers what it claims: every case id of sections 1-7 and 10 the
 * fuzzingclient runs, once. */
static void test_table_is_complete(void **state)
{
    (void)state;
    static const struct {
        const char *prefix;
        int count;
    } sections[] = {
        {"1.1.", 8}, {"1.2.", 8}, {"2.", 11}, {"3.", 7},   {"4.1.", 5},  {"4.2.", 5},
        {"5.", 20},  {"6.1.", 3}, {"6.2.", 4}, {"6.3.", 2}, {"6.4.", 4}, {"7.1.", 6},
        {"7.3.", 6}, {"7.5.", 1}, {"7.7.", 13}, {"7.9.", 9}, {"7.13.", 2}, {"10.1.", 1},
    };
    size_t total = 0;
    for (size_t s = 0; s < sizeof sections / sizeof sections[0]; s++) {
        int n = 0;
        for (size_t i = 0; i < sizeof ab_cases / sizeof ab_cases[0]; i++)
            if (strncmp(ab_cases[i].id, sections[s].prefix, strlen(sections[s].prefix)) == 0)
                n++;
        if (n != sections[s].count)
            fail_msg("section %s: %d cases, expected %d", sections[s].prefix, n,
                     sections[s].count);
        total += (size_t)n;
    }
    assert_int_equal(total, sizeof ab_cases / sizeof ab_cases[0]);
    for (size_t i = 0; i < total; i++)
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(ab_cases[i].id, ab_cases[j].id);
    /* 6.5.1-6.23.7: 19 subsections, 132 vectors, as case6_x_x.py makes them. */
    static const int per_section[] = {5, 11, 4, 2, 4, 3, 5, 8, 5, 10, 1, 3, 5, 5, 5, 7, 8, 34, 7};
    size_t v = 0;
    for (int s = 0; s < 19; s++)
        for (int k = 1; k <= per_section[s]; k++, v++) {
            char id[16];
            snprintf(id, sizeof id, "6.%d.%d", s + 5, k);
            assert_true(v < sizeof ab_utf8_vectors / sizeof ab_utf8_vectors[0]);
            assert_string_equal(ab_utf8_vectors[v].id, id);
        }
    assert_int_equal(v, sizeof ab_utf8_vectors / sizeof ab_utf8_vectors[0]);
}

int main(void)
{
    size_t ncases = sizeof ab_cases / sizeof ab_cases[0];
    size_t nvectors = sizeof ab_utf8_vectors / sizeof ab_utf8_vectors[0];
    size_t n = ncases + nvectors + 2;
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    char (*names)[48] = calloc(n, sizeof *names);
    if (!tests || !names)
        return 1;
    size_t k = 0;
    tests[k++] = (struct CMUnitTest){"table_is_complete", test_table_is_complete, NULL, NULL, NULL};
    tests[k++] = (struct CMUnitTest){"writer_matches_10_1_1", test_writer_matches_10_1_1, NULL,
                                     NULL, NULL};
    for (size_t i = 0; i < ncases; i++, k++) {
        snprintf(names[k], sizeof names[k], "case_%s", ab_cases[i].id);
        tests[k] = (struct CMUnitTest){names[k], run_case, NULL, NULL, (void *)&ab_cases[i]};
    }
    for (size_t i = 0; i < nvectors; i++, k++) {
        snprintf(names[k], sizeof names[k], "case_%s", ab_utf8_vectors[i].id);
        tests[k] =
            (struct CMUnitTest){names[k], run_vector, NULL, NULL, (void *)&ab_utf8_vectors[i]};
    }
    int failed = _cmocka_run_group_tests("autobahn", tests, n, NULL, NULL);
    free(names);
    free(tests);
    return failed;
}
