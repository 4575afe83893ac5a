/*
 * The Autobahn testsuite (crossbario/autobahn-testsuite, fuzzingclient),
 * sections 1-7 and 10, as data: for every case, the frames its client sends
 * (this table says what they contain; a runner masks them) and what a
 * server's stream parser must report for them: the events, or the error,
 * its close code, and the byte at which it must come (fail-fast).
 *
 * Used by tests/test_autobahn.c at the parser level; written so that a
 * socket-level runner can replay the same frames against echo_server.
 *
 * Autobahn grades a case OK when the server echoes messages, answers pings
 * with pongs, and closes as follows: for "closedByMe" cases (the client
 * closes with 1000 once it saw what it expected) a clean close echoing the
 * code; for failure cases, a close frame with the listed code sent by the
 * server first (1002 protocol error, 1007 invalid UTF-8) and the server
 * closing TCP. The "autobahn" column says which, for the reader.
 *
 * Sources: autobahntestsuite/case/case1_1_1.py ... case10_1_1.py and
 * case6_x_x.py (the UTF-8 vectors of 6.5-6.23, from Markus Kuhn's
 * UTF-8-test.txt).
 */
#ifndef WS_AUTOBAHN_CASES_H
#define WS_AUTOBAHN_CASES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wsframe.h" /* the expected statuses */

/* A payload: the bytes once, or repeated (and cut) to total bytes, the way
 * Autobahn writes "*" * 65536 or payload_len = 256K. */
typedef struct ab_payload {
    const char *bytes;
    size_t len;
    size_t total; /* 0: bytes once */
} ab_payload;

#define AB_P(lit) {(lit), sizeof(lit) - 1, 0}
#define AB_REP(lit, n) {(lit), sizeof(lit) - 1, (n)}
#define AB_EMPTY {NULL, 0, 0}

/* One frame as the client sends it, or (frag > 0) a message the client
 * splits into frames of frag payload bytes: the first with b0's opcode, the
 * rest continuations, FIN on the last when b0 has FIN (Autobahn's
 * payload_frag_size and autoFragmentSize). */
typedef struct ab_frame {
    uint16_t b0;      /* AB_PRESENT | FIN, RSV (Autobahn's rsv=n is n << 4), opcode */
    bool has_code;    /* close frames: payload is code (2 bytes) + payload */
    uint16_t code;
    ab_payload payload;
    uint32_t frag;
} ab_frame;

#define AB_PRESENT 0x100u /* marks a used row: a frame's first byte may be 0 */
#define AB_FIN 0x80u
#define AB_RSV(n) ((uint8_t)((n) << 4))
#define AB_OP_CONT 0x0u
#define AB_OP_TEXT 0x1u
#define AB_OP_BINARY 0x2u
#define AB_OP_CLOSE 0x8u
#define AB_OP_PING 0x9u
#define AB_OP_PONG 0xAu

#define AB_FRAME(b0, ...) {(uint16_t)(AB_PRESENT | (b0)), false, 0, __VA_ARGS__, 0}
#define AB_TEXT(...) AB_FRAME(AB_FIN | AB_OP_TEXT, __VA_ARGS__)
#define AB_BINARY(...) AB_FRAME(AB_FIN | AB_OP_BINARY, __VA_ARGS__)
#define AB_PING(...) AB_FRAME(AB_FIN | AB_OP_PING, __VA_ARGS__)
#define AB_PONG(...) AB_FRAME(AB_FIN | AB_OP_PONG, __VA_ARGS__)
#define AB_CLOSE_CODE(c, ...) {AB_PRESENT | AB_FIN | AB_OP_CLOSE, true, (c), __VA_ARGS__, 0}
#define AB_CLOSE_1000 AB_CLOSE_CODE(1000, AB_EMPTY)
#define AB_SPLIT(b0, n, ...) {(uint16_t)(AB_PRESENT | (b0)), false, 0, __VA_ARGS__, (n)}

/* What the parser reports. A message is reported with its whole payload
 * (DATA pieces joined); *_OPEN is a message that started and never ended
 * because the connection failed inside it. */
typedef enum ab_kind {
    AB_EV_END = 0,
    AB_EV_TEXT,
    AB_EV_BINARY,
    AB_EV_PING,
    AB_EV_PONG,
    AB_EV_CLOSE, /* code (1005: none) and payload = reason */
    AB_EV_TEXT_OPEN,
    AB_EV_BINARY_OPEN
} ab_kind;

typedef struct ab_event {
    ab_kind kind;
    ab_payload payload;
    uint16_t code;
} ab_event;

#define AB_E_TEXT(...) {AB_EV_TEXT, __VA_ARGS__, 0}
#define AB_E_BINARY(...) {AB_EV_BINARY, __VA_ARGS__, 0}
#define AB_E_PING(...) {AB_EV_PING, __VA_ARGS__, 0}
#define AB_E_PONG(...) {AB_EV_PONG, __VA_ARGS__, 0}
#define AB_E_CLOSE(c, ...) {AB_EV_CLOSE, __VA_ARGS__, (c)}
#define AB_E_TEXT_OPEN {AB_EV_TEXT_OPEN, AB_EMPTY, 0}

/* Where the error must come, counted in the frames as sent (after frag
 * expansion): the parser must fail when it is handed that byte, not later. */
typedef enum ab_where {
    AB_AT_NONE = 0,
    AB_AT_HEADER_BYTE,  /* offset = index of the header byte */
    AB_AT_HEADER_END,   /* the last header byte (mask key included) */
    AB_AT_PAYLOAD_BYTE, /* offset = index of the payload byte */
    AB_AT_FRAME_END     /* the last byte of the frame */
} ab_where;

typedef struct ab_fail {
    int status; /* a ws_status, 0 when the stream is accepted whole */
    uint32_t frame;
    ab_where where;
    uint32_t offset;
} ab_fail;

#define AB_OK {0, 0, AB_AT_NONE, 0}
#define AB_FAILS(st, frame, where, off) {(st), (frame), (where), (off)}

#define AB_MAX_FRAMES 12
#define AB_MAX_EVENTS 12

typedef struct ab_case {
    const char *id;
    const char *what;
    ab_frame frames[AB_MAX_FRAMES]; /* ends at the first b0 == 0 */
    uint32_t chop;                  /* how Autobahn cuts its writes: 0 as sent, 1 octet-wise */
    ab_event expect[AB_MAX_EVENTS]; /* ends at AB_EV_END */
    ab_fail fail;
    const char *autobahn; /* the outcome Autobahn grades OK */
} ab_case;

/* 6.5-6.23: each vector is sent as one text message in one frame (then, for
 * valid ones, the client closes with 1000). */
typedef struct ab_utf8_vector {
    const char *id;
    const char *bytes;
    size_t len;
    bool valid;
} ab_utf8_vector;

/* Payloads the cases share. */
#define AB_HELLO AB_P("Hello, world!")
#define AB_KOSME "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5" /* "kosme" in Greek, 11 bytes */
/* "Hello-µ@ßöäüàá-UTF-8!!" */
#define AB_UTF8_HELLO "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!"
/* kosme, then U+D800 (a surrogate: invalid at its second byte, \xa0, the
 * 13th byte), then "edited". The literal is cut so that no hex escape eats
 * the letters after it. */
#define AB_KOSME_SURROGATE AB_KOSME "\xed\xa0\x80" "edited"
#define AB_BIN8 "\x00\xff\xfe\xfd\xfc\xfb\x00\xff"

#define AB_ECHO_CLOSE "echo, then clean close 1000"
#define AB_FAIL_1002 "server sends close 1002 first and closes TCP"
#define AB_FAIL_1007 "server sends close 1007 first and closes TCP"

static const ab_case ab_cases[] = {
    /* ---------------------------------------------------- 1 framing */
    {"1.1.1", "text, payload length 0", {AB_TEXT(AB_EMPTY), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_EMPTY), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.1.2", "text, payload length 125", {AB_TEXT(AB_REP("*", 125)), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_REP("*", 125)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.1.3", "text, payload length 126", {AB_TEXT(AB_REP("*", 126)), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_REP("*", 126)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.1.4", "text, payload length 127", {AB_TEXT(AB_REP("*", 127)), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_REP("*", 127)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.1.5", "text, payload length 128", {AB_TEXT(AB_REP("*", 128)), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_REP("*", 128)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.1.6", "text, payload length 65535", {AB_TEXT(AB_REP("*", 65535)), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_REP("*", 65535)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.1.7", "text, payload length 65536", {AB_TEXT(AB_REP("*", 65536)), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_REP("*", 65536)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.1.8", "text, payload length 65536, sent in chops of 997",
     {AB_TEXT(AB_REP("*", 65536)), AB_CLOSE_1000}, 997,
     {AB_E_TEXT(AB_REP("*", 65536)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.2.1", "binary, payload length 0", {AB_BINARY(AB_EMPTY), AB_CLOSE_1000}, 0,
     {AB_E_BINARY(AB_EMPTY), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.2.2", "binary, payload length 125", {AB_BINARY(AB_REP("\xfe", 125)), AB_CLOSE_1000}, 0,
     {AB_E_BINARY(AB_REP("\xfe", 125)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.2.3", "binary, payload length 126", {AB_BINARY(AB_REP("\xfe", 126)), AB_CLOSE_1000}, 0,
     {AB_E_BINARY(AB_REP("\xfe", 126)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.2.4", "binary, payload length 127", {AB_BINARY(AB_REP("\xfe", 127)), AB_CLOSE_1000}, 0,
     {AB_E_BINARY(AB_REP("\xfe", 127)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.2.5", "binary, payload length 128", {AB_BINARY(AB_REP("\xfe", 128)), AB_CLOSE_1000}, 0,
     {AB_E_BINARY(AB_REP("\xfe", 128)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.2.6", "binary, payload length 65535", {AB_BINARY(AB_REP("\xfe", 65535)), AB_CLOSE_1000},
     0, {AB_E_BINARY(AB_REP("\xfe", 65535)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.2.7", "binary, payload length 65536", {AB_BINARY(AB_REP("\xfe", 65536)), AB_CLOSE_1000},
     0, {AB_E_BINARY(AB_REP("\xfe", 65536)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"1.2.8", "binary, payload length 65536, sent in chops of 997",
     {AB_BINARY(AB_REP("\xfe", 65536)), AB_CLOSE_1000}, 997,
     {AB_E_BINARY(AB_REP("\xfe", 65536)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},

    /* ---------------------------------------------------- 2 pings and pongs */
    {"2.1", "ping without payload", {AB_PING(AB_EMPTY), AB_CLOSE_1000}, 0,
     {AB_E_PING(AB_EMPTY), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, "pong, then clean close 1000"},
    {"2.2", "ping with small text payload", {AB_PING(AB_HELLO), AB_CLOSE_1000}, 0,
     {AB_E_PING(AB_HELLO), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, "pong echoing the payload"},
    {"2.3", "ping with small binary payload", {AB_PING(AB_P(AB_BIN8)), AB_CLOSE_1000}, 0,
     {AB_E_PING(AB_P(AB_BIN8)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, "pong echoing the payload"},
    {"2.4", "ping with 125 bytes of binary payload", {AB_PING(AB_REP("\xfe", 125)), AB_CLOSE_1000},
     0, {AB_E_PING(AB_REP("\xfe", 125)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK,
     "pong echoing the payload"},
    {"2.5", "ping with 126 bytes of payload: too long for a control frame",
     {AB_PING(AB_REP("\xfe", 126))}, 0, {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_CONTROL_TOO_LONG, 0, AB_AT_HEADER_BYTE, 1), AB_FAIL_1002},
    {"2.6", "ping with 125 bytes, sent octet by octet", {AB_PING(AB_REP("\xfe", 125)), AB_CLOSE_1000},
     1, {AB_E_PING(AB_REP("\xfe", 125)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK,
     "pong echoing the payload"},
    {"2.7", "unsolicited pong without payload", {AB_PONG(AB_EMPTY), AB_CLOSE_1000}, 0,
     {AB_E_PONG(AB_EMPTY), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, "nothing, then clean close"},
    {"2.8", "unsolicited pong with payload",
     {AB_PONG(AB_P("unsolicited pong payload")), AB_CLOSE_1000}, 0,
     {AB_E_PONG(AB_P("unsolicited pong payload")), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK,
     "nothing, then clean close"},
    {"2.9", "unsolicited pong, then ping",
     {AB_PONG(AB_P("unsolicited pong payload")), AB_PING(AB_P("ping payload")), AB_CLOSE_1000}, 0,
     {AB_E_PONG(AB_P("unsolicited pong payload")), AB_E_PING(AB_P("ping payload")),
      AB_E_CLOSE(1000, AB_EMPTY)},
     AB_OK, "one pong, for the ping"},
    {"2.10", "10 pings with payload",
     {AB_PING(AB_P("payload-0")), AB_PING(AB_P("payload-1")), AB_PING(AB_P("payload-2")),
      AB_PING(AB_P("payload-3")), AB_PING(AB_P("payload-4")), AB_PING(AB_P("payload-5")),
      AB_PING(AB_P("payload-6")), AB_PING(AB_P("payload-7")), AB_PING(AB_P("payload-8")),
      AB_PING(AB_P("payload-9")), AB_CLOSE_1000},
     0,
     {AB_E_PING(AB_P("payload-0")), AB_E_PING(AB_P("payload-1")), AB_E_PING(AB_P("payload-2")),
      AB_E_PING(AB_P("payload-3")), AB_E_PING(AB_P("payload-4")), AB_E_PING(AB_P("payload-5")),
      AB_E_PING(AB_P("payload-6")), AB_E_PING(AB_P("payload-7")), AB_E_PING(AB_P("payload-8")),
      AB_E_PING(AB_P("payload-9")), AB_E_CLOSE(1000, AB_EMPTY)},
     AB_OK, "10 pongs in order"},
    {"2.11", "10 pings with payload, sent octet by octet",
     {AB_PING(AB_P("payload-0")), AB_PING(AB_P("payload-1")), AB_PING(AB_P("payload-2")),
      AB_PING(AB_P("payload-3")), AB_PING(AB_P("payload-4")), AB_PING(AB_P("payload-5")),
      AB_PING(AB_P("payload-6")), AB_PING(AB_P("payload-7")), AB_PING(AB_P("payload-8")),
      AB_PING(AB_P("payload-9")), AB_CLOSE_1000},
     1,
     {AB_E_PING(AB_P("payload-0")), AB_E_PING(AB_P("payload-1")), AB_E_PING(AB_P("payload-2")),
      AB_E_PING(AB_P("payload-3")), AB_E_PING(AB_P("payload-4")), AB_E_PING(AB_P("payload-5")),
      AB_E_PING(AB_P("payload-6")), AB_E_PING(AB_P("payload-7")), AB_E_PING(AB_P("payload-8")),
      AB_E_PING(AB_P("payload-9")), AB_E_CLOSE(1000, AB_EMPTY)},
     AB_OK, "10 pongs in order"},

    /* ---------------------------------------------------- 3 reserved bits */
    {"3.1", "text with RSV = 1", {AB_FRAME(AB_FIN | AB_RSV(1) | AB_OP_TEXT, AB_HELLO)}, 0,
     {{AB_EV_END, AB_EMPTY, 0}}, AB_FAILS(WS_E_RSV_BITS, 0, AB_AT_HEADER_BYTE, 0), AB_FAIL_1002},
    {"3.2", "text, text with RSV = 2, ping",
     {AB_TEXT(AB_HELLO), AB_FRAME(AB_FIN | AB_RSV(2) | AB_OP_TEXT, AB_HELLO), AB_PING(AB_EMPTY)},
     0, {AB_E_TEXT(AB_HELLO)}, AB_FAILS(WS_E_RSV_BITS, 1, AB_AT_HEADER_BYTE, 0),
     "echo of the first message, then " AB_FAIL_1002 "; no pong"},
    {"3.3", "text, text with RSV = 3, ping, octet by octet",
     {AB_TEXT(AB_HELLO), AB_FRAME(AB_FIN | AB_RSV(3) | AB_OP_TEXT, AB_HELLO), AB_PING(AB_EMPTY)},
     1, {AB_E_TEXT(AB_HELLO)}, AB_FAILS(WS_E_RSV_BITS, 1, AB_AT_HEADER_BYTE, 0),
     "echo of the first message, then " AB_FAIL_1002 "; no pong"},
    {"3.4", "text, text with RSV = 4, ping, octet by octet",
     {AB_TEXT(AB_HELLO), AB_FRAME(AB_FIN | AB_RSV(4) | AB_OP_TEXT, AB_HELLO), AB_PING(AB_EMPTY)},
     1, {AB_E_TEXT(AB_HELLO)}, AB_FAILS(WS_E_RSV_BITS, 1, AB_AT_HEADER_BYTE, 0),
     "echo of the first message, then " AB_FAIL_1002 "; no pong"},
    {"3.5", "binary with RSV = 5", {AB_FRAME(AB_FIN | AB_RSV(5) | AB_OP_BINARY, AB_P(AB_BIN8))}, 0,
     {{AB_EV_END, AB_EMPTY, 0}}, AB_FAILS(WS_E_RSV_BITS, 0, AB_AT_HEADER_BYTE, 0), AB_FAIL_1002},
    /* Described as a ping, but case3_6.py sends opcode 2; the table follows the code. */
    {"3.6", "binary with RSV = 6", {AB_FRAME(AB_FIN | AB_RSV(6) | AB_OP_BINARY, AB_HELLO)}, 0,
     {{AB_EV_END, AB_EMPTY, 0}}, AB_FAILS(WS_E_RSV_BITS, 0, AB_AT_HEADER_BYTE, 0), AB_FAIL_1002},
    {"3.7", "close with RSV = 7", {AB_FRAME(AB_FIN | AB_RSV(7) | AB_OP_CLOSE, AB_EMPTY)}, 0,
     {{AB_EV_END, AB_EMPTY, 0}}, AB_FAILS(WS_E_RSV_BITS, 0, AB_AT_HEADER_BYTE, 0), AB_FAIL_1002},

    /* ---------------------------------------------------- 4 reserved opcodes */
    {"4.1.1", "reserved data opcode 3", {AB_FRAME(AB_FIN | 3, AB_EMPTY)}, 0,
     {{AB_EV_END, AB_EMPTY, 0}}, AB_FAILS(WS_E_RESERVED_OPCODE, 0, AB_AT_HEADER_BYTE, 0),
     AB_FAIL_1002},
    {"4.1.2", "reserved data opcode 4 with payload",
     {AB_FRAME(AB_FIN | 4, AB_P("reserved opcode payload"))}, 0, {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_RESERVED_OPCODE, 0, AB_AT_HEADER_BYTE, 0), AB_FAIL_1002},
    {"4.1.3", "text, reserved opcode 5, ping",
     {AB_TEXT(AB_HELLO), AB_FRAME(AB_FIN | 5, AB_EMPTY), AB_PING(AB_EMPTY)}, 0,
     {AB_E_TEXT(AB_HELLO)}, AB_FAILS(WS_E_RESERVED_OPCODE, 1, AB_AT_HEADER_BYTE, 0),
     "echo, then " AB_FAIL_1002 "; no pong"},
    {"4.1.4", "text, reserved opcode 6 with payload, ping",
     {AB_TEXT(AB_HELLO), AB_FRAME(AB_FIN | 6, AB_HELLO), AB_PING(AB_EMPTY)}, 0,
     {AB_E_TEXT(AB_HELLO)}, AB_FAILS(WS_E_RESERVED_OPCODE, 1, AB_AT_HEADER_BYTE, 0),
     "echo, then " AB_FAIL_1002 "; no pong"},
    {"4.1.5", "text, reserved opcode 7 with payload, ping, octet by octet",
     {AB_TEXT(AB_HELLO), AB_FRAME(AB_FIN | 7, AB_HELLO), AB_PING(AB_EMPTY)}, 1,
     {AB_E_TEXT(AB_HELLO)}, AB_FAILS(WS_E_RESERVED_OPCODE, 1, AB_AT_HEADER_BYTE, 0),
     "echo, then " AB_FAIL_1002 "; no pong"},
    {"4.2.1", "reserved control opcode 11", {AB_FRAME(AB_FIN | 11, AB_EMPTY)}, 0,
     {{AB_EV_END, AB_EMPTY, 0}}, AB_FAILS(WS_E_RESERVED_OPCODE, 0, AB_AT_HEADER_BYTE, 0),
     AB_FAIL_1002},
    {"4.2.2", "reserved control opcode 12 with payload",
     {AB_FRAME(AB_FIN | 12, AB_P("reserved opcode payload"))}, 0, {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_RESERVED_OPCODE, 0, AB_AT_HEADER_BYTE, 0), AB_FAIL_1002},
    {"4.2.3", "text, reserved opcode 13, ping",
     {AB_TEXT(AB_HELLO), AB_FRAME(AB_FIN | 13, AB_EMPTY), AB_PING(AB_EMPTY)}, 0,
     {AB_E_TEXT(AB_HELLO)}, AB_FAILS(WS_E_RESERVED_OPCODE, 1, AB_AT_HEADER_BYTE, 0),
     "echo, then " AB_FAIL_1002 "; no pong"},
    {"4.2.4", "text, reserved opcode 14 with payload, ping",
     {AB_TEXT(AB_HELLO), AB_FRAME(AB_FIN | 14, AB_HELLO), AB_PING(AB_EMPTY)}, 0,
     {AB_E_TEXT(AB_HELLO)}, AB_FAILS(WS_E_RESERVED_OPCODE, 1, AB_AT_HEADER_BYTE, 0),
     "echo, then " AB_FAIL_1002 "; no pong"},
    {"4.2.5", "text, reserved opcode 15 with payload, ping, octet by octet",
     {AB_TEXT(AB_HELLO), AB_FRAME(AB_FIN | 15, AB_HELLO), AB_PING(AB_EMPTY)}, 1,
     {AB_E_TEXT(AB_HELLO)}, AB_FAILS(WS_E_RESERVED_OPCODE, 1, AB_AT_HEADER_BYTE, 0),
     "echo, then " AB_FAIL_1002 "; no pong"},

    /* ---------------------------------------------------- 5 fragmentation */
    {"5.1", "ping in 2 fragments",
     {AB_FRAME(AB_OP_PING, AB_P("fragment1")), AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment2"))}, 0,
     {{AB_EV_END, AB_EMPTY, 0}}, AB_FAILS(WS_E_CONTROL_FRAGMENTED, 0, AB_AT_HEADER_BYTE, 0),
     AB_FAIL_1002},
    {"5.2", "pong in 2 fragments",
     {AB_FRAME(AB_OP_PONG, AB_P("fragment1")), AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment2"))}, 0,
     {{AB_EV_END, AB_EMPTY, 0}}, AB_FAILS(WS_E_CONTROL_FRAGMENTED, 0, AB_AT_HEADER_BYTE, 0),
     AB_FAIL_1002},
    {"5.3", "text in 2 fragments",
     {AB_FRAME(AB_OP_TEXT, AB_P("fragment1")), AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment2")),
      AB_CLOSE_1000},
     0, {AB_E_TEXT(AB_P("fragment1fragment2")), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"5.4", "text in 2 fragments, one write per frame",
     {AB_FRAME(AB_OP_TEXT, AB_P("fragment1")), AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment2")),
      AB_CLOSE_1000},
     0, {AB_E_TEXT(AB_P("fragment1fragment2")), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"5.5", "text in 2 fragments, octet by octet",
     {AB_FRAME(AB_OP_TEXT, AB_P("fragment1")), AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment2")),
      AB_CLOSE_1000},
     1, {AB_E_TEXT(AB_P("fragment1fragment2")), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"5.6", "text in 2 fragments, a ping between them",
     {AB_FRAME(AB_OP_TEXT, AB_P("fragment1")), AB_PING(AB_P("ping payload")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment2")), AB_CLOSE_1000},
     0,
     {AB_E_PING(AB_P("ping payload")), AB_E_TEXT(AB_P("fragment1fragment2")),
      AB_E_CLOSE(1000, AB_EMPTY)},
     AB_OK, "pong, then the message echoed, then clean close"},
    {"5.7", "text in 2 fragments, a ping between them, one write per frame",
     {AB_FRAME(AB_OP_TEXT, AB_P("fragment1")), AB_PING(AB_P("ping payload")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment2")), AB_CLOSE_1000},
     0,
     {AB_E_PING(AB_P("ping payload")), AB_E_TEXT(AB_P("fragment1fragment2")),
      AB_E_CLOSE(1000, AB_EMPTY)},
     AB_OK, "pong, then the message echoed, then clean close"},
    {"5.8", "text in 2 fragments, a ping between them, octet by octet",
     {AB_FRAME(AB_OP_TEXT, AB_P("fragment1")), AB_PING(AB_P("ping payload")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment2")), AB_CLOSE_1000},
     1,
     {AB_E_PING(AB_P("ping payload")), AB_E_TEXT(AB_P("fragment1fragment2")),
      AB_E_CLOSE(1000, AB_EMPTY)},
     AB_OK, "pong, then the message echoed, then clean close"},
    {"5.9", "continuation with FIN, nothing to continue, then text",
     {AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("non-continuation payload")), AB_TEXT(AB_HELLO)}, 0,
     {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_UNEXPECTED_CONTINUATION, 0, AB_AT_HEADER_END, 0), AB_FAIL_1002},
    {"5.10", "continuation with FIN, nothing to continue, then text, one write per frame",
     {AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("non-continuation payload")), AB_TEXT(AB_HELLO)}, 0,
     {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_UNEXPECTED_CONTINUATION, 0, AB_AT_HEADER_END, 0), AB_FAIL_1002},
    {"5.11", "continuation with FIN, nothing to continue, then text, octet by octet",
     {AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("non-continuation payload")), AB_TEXT(AB_HELLO)}, 1,
     {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_UNEXPECTED_CONTINUATION, 0, AB_AT_HEADER_END, 0), AB_FAIL_1002},
    {"5.12", "continuation without FIN, nothing to continue, then text",
     {AB_FRAME(AB_OP_CONT, AB_P("non-continuation payload")), AB_TEXT(AB_HELLO)}, 0,
     {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_UNEXPECTED_CONTINUATION, 0, AB_AT_HEADER_END, 0), AB_FAIL_1002},
    {"5.13", "continuation without FIN, nothing to continue, then text, one write per frame",
     {AB_FRAME(AB_OP_CONT, AB_P("non-continuation payload")), AB_TEXT(AB_HELLO)}, 0,
     {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_UNEXPECTED_CONTINUATION, 0, AB_AT_HEADER_END, 0), AB_FAIL_1002},
    {"5.14", "continuation without FIN, nothing to continue, then text, octet by octet",
     {AB_FRAME(AB_OP_CONT, AB_P("non-continuation payload")), AB_TEXT(AB_HELLO)}, 1,
     {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_UNEXPECTED_CONTINUATION, 0, AB_AT_HEADER_END, 0), AB_FAIL_1002},
    {"5.15", "text in 2 fragments, then a continuation with nothing to continue, then text",
     {AB_FRAME(AB_OP_TEXT, AB_P("fragment1")), AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment2")),
      AB_FRAME(AB_OP_CONT, AB_P("fragment3")), AB_TEXT(AB_P("fragment4"))},
     0, {AB_E_TEXT(AB_P("fragment1fragment2"))},
     AB_FAILS(WS_E_UNEXPECTED_CONTINUATION, 2, AB_AT_HEADER_END, 0),
     "echo of fragment1fragment2, then " AB_FAIL_1002},
    {"5.16", "twice: continuation with nothing to continue, then text in 2 fragments",
     {AB_FRAME(AB_OP_CONT, AB_P("fragment1")), AB_FRAME(AB_OP_TEXT, AB_P("fragment2")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment3")), AB_FRAME(AB_OP_CONT, AB_P("fragment1")),
      AB_FRAME(AB_OP_TEXT, AB_P("fragment2")), AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment3"))},
     0, {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_UNEXPECTED_CONTINUATION, 0, AB_AT_HEADER_END, 0), AB_FAIL_1002},
    {"5.17", "twice: continuation with FIN and nothing to continue, then text in 2 fragments",
     {AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment1")), AB_FRAME(AB_OP_TEXT, AB_P("fragment2")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment3")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment1")), AB_FRAME(AB_OP_TEXT, AB_P("fragment2")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment3"))},
     0, {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_UNEXPECTED_CONTINUATION, 0, AB_AT_HEADER_END, 0), AB_FAIL_1002},
    {"5.18", "text in 2 fragments, both with opcode text",
     {AB_FRAME(AB_OP_TEXT, AB_P("fragment1")), AB_FRAME(AB_FIN | AB_OP_TEXT, AB_P("fragment2"))}, 0,
     {AB_E_TEXT_OPEN}, AB_FAILS(WS_E_EXPECTED_CONTINUATION, 1, AB_AT_HEADER_END, 0),
     AB_FAIL_1002},
    {"5.19", "text in 5 fragments, 2 pings between them (with a pause)",
     {AB_FRAME(AB_OP_TEXT, AB_P("fragment1")), AB_FRAME(AB_OP_CONT, AB_P("fragment2")),
      AB_PING(AB_P("pongme 1!")), AB_FRAME(AB_OP_CONT, AB_P("fragment3")),
      AB_FRAME(AB_OP_CONT, AB_P("fragment4")), AB_PING(AB_P("pongme 2!")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment5")), AB_CLOSE_1000},
     0,
     {AB_E_PING(AB_P("pongme 1!")), AB_E_PING(AB_P("pongme 2!")),
      AB_E_TEXT(AB_P("fragment1fragment2fragment3fragment4fragment5")), AB_E_CLOSE(1000, AB_EMPTY)},
     AB_OK, "each pong at once (the first before the message ends), then the echo"},
    {"5.20", "as 5.19, one write per frame",
     {AB_FRAME(AB_OP_TEXT, AB_P("fragment1")), AB_FRAME(AB_OP_CONT, AB_P("fragment2")),
      AB_PING(AB_P("pongme 1!")), AB_FRAME(AB_OP_CONT, AB_P("fragment3")),
      AB_FRAME(AB_OP_CONT, AB_P("fragment4")), AB_PING(AB_P("pongme 2!")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment5")), AB_CLOSE_1000},
     0,
     {AB_E_PING(AB_P("pongme 1!")), AB_E_PING(AB_P("pongme 2!")),
      AB_E_TEXT(AB_P("fragment1fragment2fragment3fragment4fragment5")), AB_E_CLOSE(1000, AB_EMPTY)},
     AB_OK, "each pong at once, then the echo"},

    /* ---------------------------------------------------- 6.1-6.4 UTF-8 in fragments */
    {"6.1.1", "empty text message", {AB_TEXT(AB_EMPTY), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_EMPTY), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"6.1.2", "text in 3 empty fragments",
     {AB_FRAME(AB_OP_TEXT, AB_EMPTY), AB_FRAME(AB_OP_CONT, AB_EMPTY),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_EMPTY), AB_CLOSE_1000},
     0, {AB_E_TEXT(AB_EMPTY), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"6.1.3", "text in 3 fragments, first and last empty",
     {AB_FRAME(AB_OP_TEXT, AB_EMPTY), AB_FRAME(AB_OP_CONT, AB_P("middle frame payload")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_EMPTY), AB_CLOSE_1000},
     0, {AB_E_TEXT(AB_P("middle frame payload")), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK,
     AB_ECHO_CLOSE},
    {"6.2.1", "valid UTF-8 text in one fragment", {AB_TEXT(AB_P(AB_UTF8_HELLO)), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_P(AB_UTF8_HELLO)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"6.2.2", "valid UTF-8 text in 2 fragments, cut on a code point boundary",
     {AB_FRAME(AB_OP_TEXT, AB_P("Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!")), AB_CLOSE_1000},
     0, {AB_E_TEXT(AB_P(AB_UTF8_HELLO)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"6.2.3", "valid UTF-8 text in 1-byte fragments, cut inside code points",
     {AB_SPLIT(AB_FIN | AB_OP_TEXT, 1, AB_P(AB_UTF8_HELLO)), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_P(AB_UTF8_HELLO)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"6.2.4", "valid UTF-8 (kosme) in 1-byte fragments",
     {AB_SPLIT(AB_FIN | AB_OP_TEXT, 1, AB_P(AB_KOSME)), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_P(AB_KOSME)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"6.3.1", "invalid UTF-8 text in one frame", {AB_TEXT(AB_P(AB_KOSME_SURROGATE))}, 0,
     {AB_E_TEXT_OPEN}, AB_FAILS(WS_E_INVALID_UTF8, 0, AB_AT_PAYLOAD_BYTE, 12), AB_FAIL_1007},
    {"6.3.2", "invalid UTF-8 text in 1-byte fragments",
     {AB_SPLIT(AB_FIN | AB_OP_TEXT, 1, AB_P(AB_KOSME_SURROGATE))}, 0, {AB_E_TEXT_OPEN},
     AB_FAILS(WS_E_INVALID_UTF8, 12, AB_AT_PAYLOAD_BYTE, 0), AB_FAIL_1007},
    {"6.4.1", "3 fragments: valid, then one with an invalid code point (fail fast), then the rest",
     {AB_FRAME(AB_OP_TEXT, AB_P(AB_KOSME)), AB_FRAME(AB_OP_CONT, AB_P("\xf4\x90\x80\x80")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("edited"))},
     0, {AB_E_TEXT_OPEN}, AB_FAILS(WS_E_INVALID_UTF8, 1, AB_AT_PAYLOAD_BYTE, 1),
     "no failure after the first fragment; " AB_FAIL_1007 " on the second"},
    {"6.4.2", "as 6.4.1, the second fragment only the byte that makes it invalid",
     {AB_FRAME(AB_OP_TEXT, AB_P(AB_KOSME "\xf4")), AB_FRAME(AB_OP_CONT, AB_P("\x90")),
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("\x80\x80" "edited"))},
     0, {AB_E_TEXT_OPEN}, AB_FAILS(WS_E_INVALID_UTF8, 1, AB_AT_PAYLOAD_BYTE, 0),
     "no failure after the first fragment; " AB_FAIL_1007 " on the second"},
    {"6.4.3", "as 6.4.1 in one frame, written in 3 chops (fail on the second chop)",
     {AB_TEXT(AB_P(AB_KOSME "\xf4\x90\x80\x80" "edited"))}, 0, {AB_E_TEXT_OPEN},
     AB_FAILS(WS_E_INVALID_UTF8, 0, AB_AT_PAYLOAD_BYTE, 12),
     "no failure after the first chop; " AB_FAIL_1007 " on the second, mid-frame"},
    {"6.4.4", "as 6.4.2 in one frame, written in 3 chops (fail on the 1-byte chop)",
     {AB_TEXT(AB_P(AB_KOSME "\xf4\x90\x80\x80" "edited"))}, 0, {AB_E_TEXT_OPEN},
     AB_FAILS(WS_E_INVALID_UTF8, 0, AB_AT_PAYLOAD_BYTE, 12),
     "no failure after the first chop; " AB_FAIL_1007 " on the second, mid-frame"},

    /* ---------------------------------------------------- 7 close handling */
    {"7.1.1", "text, then close", {AB_TEXT(AB_P("Hello World!")), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_P("Hello World!")), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
    {"7.1.2", "two close frames", {AB_CLOSE_1000, AB_FRAME(AB_FIN | AB_OP_CLOSE, AB_EMPTY)}, 0,
     {AB_E_CLOSE(1000, AB_EMPTY)}, AB_FAILS(WS_E_AFTER_CLOSE, 1, AB_AT_HEADER_BYTE, 0),
     "clean close 1000; the second close is ignored (AFTER_CLOSE has no close code)"},
    {"7.1.3", "close, then ping", {AB_CLOSE_1000, AB_PING(AB_EMPTY)}, 0,
     {AB_E_CLOSE(1000, AB_EMPTY)}, AB_FAILS(WS_E_AFTER_CLOSE, 1, AB_AT_HEADER_BYTE, 0),
     "clean close 1000, no pong"},
    {"7.1.4", "close, then text", {AB_CLOSE_1000, AB_TEXT(AB_P("Hello World!"))}, 0,
     {AB_E_CLOSE(1000, AB_EMPTY)}, AB_FAILS(WS_E_AFTER_CLOSE, 1, AB_AT_HEADER_BYTE, 0),
     "clean close 1000, text ignored"},
    {"7.1.5", "first fragment, close, last fragment",
     {AB_FRAME(AB_OP_TEXT, AB_P("fragment1")), AB_CLOSE_1000,
      AB_FRAME(AB_FIN | AB_OP_CONT, AB_P("fragment2"))},
     0, {AB_E_CLOSE(1000, AB_EMPTY), AB_E_TEXT_OPEN},
     AB_FAILS(WS_E_AFTER_CLOSE, 2, AB_AT_HEADER_BYTE, 0),
     "clean close 1000; the message is never completed"},
    {"7.1.6", "256 KiB text, text, close, ping (informational)",
     {AB_TEXT(AB_REP("BAsd7&jh23", 256 * 1024)), AB_TEXT(AB_P("Hello World!")), AB_CLOSE_1000,
      AB_PING(AB_EMPTY)},
     0,
     {AB_E_TEXT(AB_REP("BAsd7&jh23", 256 * 1024)), AB_E_TEXT(AB_P("Hello World!")),
      AB_E_CLOSE(1000, AB_EMPTY)},
     AB_FAILS(WS_E_AFTER_CLOSE, 3, AB_AT_HEADER_BYTE, 0),
     "informational: both messages echoed, then clean close"},
    {"7.3.1", "close with empty payload", {AB_FRAME(AB_FIN | AB_OP_CLOSE, AB_EMPTY)}, 0,
     {AB_E_CLOSE(1005, AB_EMPTY)}, AB_OK, "clean close; the answer is an empty close"},
    {"7.3.2", "close with a 1-byte payload", {AB_FRAME(AB_FIN | AB_OP_CLOSE, AB_P("a"))}, 0,
     {{AB_EV_END, AB_EMPTY, 0}}, AB_FAILS(WS_E_CLOSE_PAYLOAD_1BYTE, 0, AB_AT_FRAME_END, 0),
     "close 1002 or drop TCP"},
    {"7.3.3", "close with code 1000, no reason", {AB_CLOSE_1000}, 0, {AB_E_CLOSE(1000, AB_EMPTY)},
     AB_OK, "clean close 1000"},
    {"7.3.4", "close with code 1000 and a reason", {AB_CLOSE_CODE(1000, AB_P("Hello World!"))}, 0,
     {AB_E_CLOSE(1000, AB_P("Hello World!"))}, AB_OK, "clean close 1000"},
    {"7.3.5", "close with code 1000 and a 123-byte reason (the most there is room for)",
     {AB_CLOSE_CODE(1000, AB_REP("*", 123))}, 0, {AB_E_CLOSE(1000, AB_REP("*", 123))}, AB_OK,
     "clean close 1000"},
    {"7.3.6", "close with code 1000 and a 124-byte reason: payload 126, too long",
     {AB_CLOSE_CODE(1000, AB_REP("*", 124))}, 0, {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_CONTROL_TOO_LONG, 0, AB_AT_HEADER_BYTE, 1), "close 1002 or drop TCP"},
    {"7.5.1", "close with a reason that is not UTF-8",
     {AB_CLOSE_CODE(1000, AB_P(AB_KOSME_SURROGATE))}, 0, {{AB_EV_END, AB_EMPTY, 0}},
     AB_FAILS(WS_E_INVALID_UTF8, 0, AB_AT_FRAME_END, 0), "close 1002 or 1007, or drop TCP"},
#define AB_VALID_CODE(id, c)                                                                       \
    {id, "close with valid code " #c, {AB_CLOSE_CODE(c, AB_EMPTY)}, 0,                             \
     {AB_E_CLOSE(c, AB_EMPTY)}, AB_OK, "clean close, code echoed"}
    AB_VALID_CODE("7.7.1", 1000),
    AB_VALID_CODE("7.7.2", 1001),
    AB_VALID_CODE("7.7.3", 1002),
    AB_VALID_CODE("7.7.4", 1003),
    AB_VALID_CODE("7.7.5", 1007),
    AB_VALID_CODE("7.7.6", 1008),
    AB_VALID_CODE("7.7.7", 1009),
    AB_VALID_CODE("7.7.8", 1010),
    AB_VALID_CODE("7.7.9", 1011),
    AB_VALID_CODE("7.7.10", 3000),
    AB_VALID_CODE("7.7.11", 3999),
    AB_VALID_CODE("7.7.12", 4000),
    AB_VALID_CODE("7.7.13", 4999),
#undef AB_VALID_CODE
#define AB_INVALID_CODE(id, c)                                                                     \
    {id, "close with invalid code " #c, {AB_CLOSE_CODE(c, AB_EMPTY)}, 0,                           \
     {{AB_EV_END, AB_EMPTY, 0}}, AB_FAILS(WS_E_CLOSE_CODE_INVALID, 0, AB_AT_FRAME_END, 0),         \
     "close 1002 or drop TCP"}
    AB_INVALID_CODE("7.9.1", 0),
    AB_INVALID_CODE("7.9.2", 999),
    AB_INVALID_CODE("7.9.3", 1004),
    AB_INVALID_CODE("7.9.4", 1005),
    AB_INVALID_CODE("7.9.5", 1006),
    AB_INVALID_CODE("7.9.6", 1016),
    AB_INVALID_CODE("7.9.7", 1100),
    AB_INVALID_CODE("7.9.8", 2000),
    AB_INVALID_CODE("7.9.9", 2999),
    /* 7.13.x are informational ("undefined by the spec"); 1002 is among the
     * codes Autobahn accepts. */
    AB_INVALID_CODE("7.13.1", 5000),
    AB_INVALID_CODE("7.13.2", 65535),
#undef AB_INVALID_CODE

    /* ---------------------------------------------------- 10 miscellaneous */
    {"10.1.1", "text of 65536 bytes, auto-fragmented into frames of 1300",
     {AB_SPLIT(AB_FIN | AB_OP_TEXT, 1300, AB_REP("*", 65536)), AB_CLOSE_1000}, 0,
     {AB_E_TEXT(AB_REP("*", 65536)), AB_E_CLOSE(1000, AB_EMPTY)}, AB_OK, AB_ECHO_CLOSE},
};

static const ab_utf8_vector ab_utf8_vectors[] = {
    /* 6.5: Some valid UTF-8 sequences */
    {"6.5.1", "\x68\x65\x6c\x6c\x6f\x24\x77\x6f\x72\x6c\x64", 11, true},
    {"6.5.2", "\x68\x65\x6c\x6c\x6f\xc2\xa2\x77\x6f\x72\x6c\x64", 12, true},
    {"6.5.3", "\x68\x65\x6c\x6c\x6f\xe2\x82\xac\x77\x6f\x72\x6c\x64", 13, true},
    {"6.5.4", "\x68\x65\x6c\x6c\x6f\xf0\xa4\xad\xa2\x77\x6f\x72\x6c\x64", 14, true},
    {"6.5.5", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11, true},
    /* 6.6: All prefixes of a valid UTF-8 string that contains multi-byte code points */
    {"6.6.1", "\xce", 1, false},
    {"6.6.2", "\xce\xba", 2, true},
    {"6.6.3", "\xce\xba\xe1", 3, false},
    {"6.6.4", "\xce\xba\xe1\xbd", 4, false},
    {"6.6.5", "\xce\xba\xe1\xbd\xb9", 5, true},
    {"6.6.6", "\xce\xba\xe1\xbd\xb9\xcf", 6, false},
    {"6.6.7", "\xce\xba\xe1\xbd\xb9\xcf\x83", 7, true},
    {"6.6.8", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce", 8, false},
    {"6.6.9", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc", 9, true},
    {"6.6.10", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce", 10, false},
    {"6.6.11", "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", 11, true},
    /* 6.7: First possible sequence of a certain length */
    {"6.7.1", "\x00", 1, true},
    {"6.7.2", "\xc2\x80", 2, true},
    {"6.7.3", "\xe0\xa0\x80", 3, true},
    {"6.7.4", "\xf0\x90\x80\x80", 4, true},
    /* 6.8: First possible sequence length 5/6 (invalid codepoints) */
    {"6.8.1", "\xf8\x88\x80\x80\x80", 5, false},
    {"6.8.2", "\xfc\x84\x80\x80\x80\x80", 6, false},
    /* 6.9: Last possible sequence of a certain length */
    {"6.9.1", "\x7f", 1, true},
    {"6.9.2", "\xdf\xbf", 2, true},
    {"6.9.3", "\xef\xbf\xbf", 3, true},
    {"6.9.4", "\xf4\x8f\xbf\xbf", 4, true},
    /* 6.10: Last possible sequence length 4/5/6 (invalid codepoints) */
    {"6.10.1", "\xf7\xbf\xbf\xbf", 4, false},
    {"6.10.2", "\xfb\xbf\xbf\xbf\xbf", 5, false},
    {"6.10.3", "\xfd\xbf\xbf\xbf\xbf\xbf", 6, false},
    /* 6.11: Other boundary conditions */
    {"6.11.1", "\xed\x9f\xbf", 3, true},
    {"6.11.2", "\xee\x80\x80", 3, true},
    {"6.11.3", "\xef\xbf\xbd", 3, true},
    {"6.11.4", "\xf4\x8f\xbf\xbf", 4, true},
    {"6.11.5", "\xf4\x90\x80\x80", 4, false},
    /* 6.12: Unexpected continuation bytes */
    {"6.12.1", "\x80", 1, false},
    {"6.12.2", "\xbf", 1, false},
    {"6.12.3", "\x80\xbf", 2, false},
    {"6.12.4", "\x80\xbf\x80", 3, false},
    {"6.12.5", "\x80\xbf\x80\xbf", 4, false},
    {"6.12.6", "\x80\xbf\x80\xbf\x80", 5, false},
    {"6.12.7", "\x80\xbf\x80\xbf\x80\xbf", 6, false},
    {"6.12.8", "\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98\x99\x9a\x9b\x9c\x9d\x9e\x9f\xa0\xa1\xa2\xa3\xa4\xa5\xa6\xa7\xa8\xa9\xaa\xab\xac\xad\xae\xaf\xb0\xb1\xb2\xb3\xb4\xb5\xb6\xb7\xb8\xb9\xba\xbb\xbc\xbd\xbe", 63, false},
    /* 6.13: Lonely start characters */
    {"6.13.1", "\xc0\x20\xc1\x20\xc2\x20\xc3\x20\xc4\x20\xc5\x20\xc6\x20\xc7\x20\xc8\x20\xc9\x20\xca\x20\xcb\x20\xcc\x20\xcd\x20\xce\x20\xcf\x20\xd0\x20\xd1\x20\xd2\x20\xd3\x20\xd4\x20\xd5\x20\xd6\x20\xd7\x20\xd8\x20\xd9\x20\xda\x20\xdb\x20\xdc\x20\xdd\x20\xde\x20", 62, false},
    {"6.13.2", "\xe0\x20\xe1\x20\xe2\x20\xe3\x20\xe4\x20\xe5\x20\xe6\x20\xe7\x20\xe8\x20\xe9\x20\xea\x20\xeb\x20\xec\x20\xed\x20\xee\x20", 30, false},
    {"6.13.3", "\xf0\x20\xf1\x20\xf2\x20\xf3\x20\xf4\x20\xf5\x20\xf6\x20", 14, false},
    {"6.13.4", "\xf8\x20\xf9\x20\xfa\x20", 6, false},
    {"6.13.5", "\xfc\x20", 2, false},
    /* 6.14: Sequences with last continuation byte missing */
    {"6.14.1", "\xc0", 1, false},
    {"6.14.2", "\xe0\x80", 2, false},
    {"6.14.3", "\xf0\x80\x80", 3, false},
    {"6.14.4", "\xf8\x80\x80\x80", 4, false},
    {"6.14.5", "\xfc\x80\x80\x80\x80", 5, false},
    {"6.14.6", "\xdf", 1, false},
    {"6.14.7", "\xef\xbf", 2, false},
    {"6.14.8", "\xf7\xbf\xbf", 3, false},
    {"6.14.9", "\xfb\xbf\xbf\xbf", 4, false},
    {"6.14.10", "\xfd\xbf\xbf\xbf\xbf", 5, false},
    /* 6.15: Concatenation of incomplete sequences */
    {"6.15.1", "\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80\xdf\xef\xbf\xf7\xbf\xbf\xfb\xbf\xbf\xbf\xfd\xbf\xbf\xbf\xbf", 30, false},
    /* 6.16: Impossible bytes */
    {"6.16.1", "\xfe", 1, false},
    {"6.16.2", "\xff", 1, false},
    {"6.16.3", "\xfe\xfe\xff\xff", 4, false},
    /* 6.17: Examples of an overlong ASCII character */
    {"6.17.1", "\xc0\xaf", 2, false},
    {"6.17.2", "\xe0\x80\xaf", 3, false},
    {"6.17.3", "\xf0\x80\x80\xaf", 4, false},
    {"6.17.4", "\xf8\x80\x80\x80\xaf", 5, false},
    {"6.17.5", "\xfc\x80\x80\x80\x80\xaf", 6, false},
    /* 6.18: Maximum overlong sequences */
    {"6.18.1", "\xc1\xbf", 2, false},
    {"6.18.2", "\xe0\x9f\xbf", 3, false},
    {"6.18.3", "\xf0\x8f\xbf\xbf", 4, false},
    {"6.18.4", "\xf8\x87\xbf\xbf\xbf", 5, false},
    {"6.18.5", "\xfc\x83\xbf\xbf\xbf\xbf", 6, false},
    /* 6.19: Overlong representation of the NUL character */
    {"6.19.1", "\xc0\x80", 2, false},
    {"6.19.2", "\xe0\x80\x80", 3, false},
    {"6.19.3", "\xf0\x80\x80\x80", 4, false},
    {"6.19.4", "\xf8\x80\x80\x80\x80", 5, false},
    {"6.19.5", "\xfc\x80\x80\x80\x80\x80", 6, false},
    /* 6.20: Single UTF-16 surrogates */
    {"6.20.1", "\xed\xa0\x80", 3, false},
    {"6.20.2", "\xed\xad\xbf", 3, false},
    {"6.20.3", "\xed\xae\x80", 3, false},
    {"6.20.4", "\xed\xaf\xbf", 3, false},
    {"6.20.5", "\xed\xb0\x80", 3, false},
    {"6.20.6", "\xed\xbe\x80", 3, false},
    {"6.20.7", "\xed\xbf\xbf", 3, false},
    /* 6.21: Paired UTF-16 surrogates */
    {"6.21.1", "\xed\xa0\x80\xed\xb0\x80", 6, false},
    {"6.21.2", "\xed\xa0\x80\xed\xbf\xbf", 6, false},
    {"6.21.3", "\xed\xad\xbf\xed\xb0\x80", 6, false},
    {"6.21.4", "\xed\xad\xbf\xed\xbf\xbf", 6, false},
    {"6.21.5", "\xed\xae\x80\xed\xb0\x80", 6, false},
    {"6.21.6", "\xed\xae\x80\xed\xbf\xbf", 6, false},
    {"6.21.7", "\xed\xaf\xbf\xed\xb0\x80", 6, false},
    {"6.21.8", "\xed\xaf\xbf\xed\xbf\xbf", 6, false},
    /* 6.22: Non-character code points (valid UTF-8) */
    {"6.22.1", "\xef\xbf\xbe", 3, true},
    {"6.22.2", "\xef\xbf\xbf", 3, true},
    {"6.22.3", "\xf0\x9f\xbf\xbe", 4, true},
    {"6.22.4", "\xf0\x9f\xbf\xbf", 4, true},
    {"6.22.5", "\xf0\xaf\xbf\xbe", 4, true},
    {"6.22.6", "\xf0\xaf\xbf\xbf", 4, true},
    {"6.22.7", "\xf0\xbf\xbf\xbe", 4, true},
    {"6.22.8", "\xf0\xbf\xbf\xbf", 4, true},
    {"6.22.9", "\xf1\x8f\xbf\xbe", 4, true},
    {"6.22.10", "\xf1\x8f\xbf\xbf", 4, true},
    {"6.22.11", "\xf1\x9f\xbf\xbe", 4, true},
    {"6.22.12", "\xf1\x9f\xbf\xbf", 4, true},
    {"6.22.13", "\xf1\xaf\xbf\xbe", 4, true},
    {"6.22.14", "\xf1\xaf\xbf\xbf", 4, true},
    {"6.22.15", "\xf1\xbf\xbf\xbe", 4, true},
    {"6.22.16", "\xf1\xbf\xbf\xbf", 4, true},
    {"6.22.17", "\xf2\x8f\xbf\xbe", 4, true},
    {"6.22.18", "\xf2\x8f\xbf\xbf", 4, true},
    {"6.22.19", "\xf2\x9f\xbf\xbe", 4, true},
    {"6.22.20", "\xf2\x9f\xbf\xbf", 4, true},
    {"6.22.21", "\xf2\xaf\xbf\xbe", 4, true},
    {"6.22.22", "\xf2\xaf\xbf\xbf", 4, true},
    {"6.22.23", "\xf2\xbf\xbf\xbe", 4, true},
    {"6.22.24", "\xf2\xbf\xbf\xbf", 4, true},
    {"6.22.25", "\xf3\x8f\xbf\xbe", 4, true},
    {"6.22.26", "\xf3\x8f\xbf\xbf", 4, true},
    {"6.22.27", "\xf3\x9f\xbf\xbe", 4, true},
    {"6.22.28", "\xf3\x9f\xbf\xbf", 4, true},
    {"6.22.29", "\xf3\xaf\xbf\xbe", 4, true},
    {"6.22.30", "\xf3\xaf\xbf\xbf", 4, true},
    {"6.22.31", "\xf3\xbf\xbf\xbe", 4, true},
    {"6.22.32", "\xf3\xbf\xbf\xbf", 4, true},
    {"6.22.33", "\xf4\x8f\xbf\xbe", 4, true},
    {"6.22.34", "\xf4\x8f\xbf\xbf", 4, true},
    /* 6.23: Unicode specials (i.e. replacement char) */
    {"6.23.1", "\xef\xbf\xb9", 3, true},
    {"6.23.2", "\xef\xbf\xba", 3, true},
    {"6.23.3", "\xef\xbf\xbb", 3, true},
    {"6.23.4", "\xef\xbf\xbc", 3, true},
    {"6.23.5", "\xef\xbf\xbd", 3, true},
    {"6.23.6", "\xef\xbf\xbe", 3, true},
    {"6.23.7", "\xef\xbf\xbf", 3, true},
};

#endif
