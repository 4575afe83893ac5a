/*
 * wsframe.h - libwsframe, the WebSocket protocol (RFC 6455) over buffers the
 * caller owns.
 *
 * The library never allocates memory, never touches a socket or a file, takes
 * no randomness from the operating system and keeps no global mutable state.
 * Every function works on memory the caller passes in; every struct is
 * allocated by the caller (on the stack, or inside its own connection struct).
 * Fields whose names end in an underscore are private: read them for
 * debugging if you must, never write them.
 *
 * Return values follow picohttpparser's protocol:
 *   - a value >= 0 is a count of bytes consumed or written;
 *   - WS_INCOMPLETE (negative) means "give me more input"; nothing was
 *     consumed, call again with the same bytes plus more;
 *   - any other negative value is a ws_status error. ws_strerror() gives a
 *     sentence for people, ws_status_name() a short name for logs,
 *     ws_status_close_code() the close code to send the peer and
 *     ws_status_http_code() the HTTP status to answer a bad handshake with.
 *
 * Layers, bottom up (one lib/ file each):
 *   frame.c      ws_frame_parse / ws_frame_write_header / ws_frame_write
 *   mask.c       ws_mask / ws_mask_copy
 *   utf8.c       ws_utf8_* incremental validator
 *   close.c      ws_close_* close payloads and codes
 *   stream.c     ws_parser_*: events from a byte stream (messages, control)
 *   message.c    ws_message_write: whole messages, optionally fragmented
 *   closing.c    ws_closing_*: the close handshake state machine
 *   http.c       ws_http_parse_*: HTTP/1.1 heads, zero-copy
 *   token.c      comma-separated token lists in header values
 *   handshake.c  ws_handshake_*: RFC 6455 section 4, both roles
 *   origin.c     ws_handshake_check_origin: Origin against an allow-list
 *   extensions.c ws_handshake_parse_extensions: Sec-WebSocket-Extensions
 *   sha1.c, base64.c  the accept key
 *   textbuf.c    bounded text building for the response and request writers
 *   url.c        ws_url_parse / ws_url_write
 *   status.c     ws_strerror and the rest of the status table
 */
#ifndef WS_WSFRAME_H
#define WS_WSFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32) && defined(WS_SHARED_BUILD)
#define WS_API __declspec(dllexport)
#elif defined(__GNUC__)
#define WS_API __attribute__((visibility("default")))
#else
#define WS_API
#endif

#define WS_VERSION_MAJOR 0
#define WS_VERSION_MINOR 1
#define WS_VERSION_PATCH 0
#define WS_VERSION_STRING "0.1.0"

/* The version of the library linked at run time, "MAJOR.MINOR.PATCH". */
WS_API const char *ws_version(void);

/* ------------------------------------------------------------------------
 * Statuses
 *
 * One table defines every outcome once. Columns: enum name, value, close
 * code a protocol error must send (0: none, the error is local), HTTP status a
 * server answers a bad handshake with (0: not a handshake error), and the
 * sentence ws_strerror() returns.
 * ------------------------------------------------------------------------ */
#define WS_STATUS_TABLE(X)                                                                         \
    /* generic */                                                                                  \
    X(WS_OK, 0, 0, 0, "Success.")                                                                  \
    X(WS_INCOMPLETE, -1, 0, 0, "More input is needed before this can be decided.")                 \
    X(WS_E_BUFFER_TOO_SMALL, -2, 0, 0, "The output buffer is too small for the result.")           \
    X(WS_E_INVALID_ARGUMENT, -3, 0, 0, "An argument passed to the library is invalid.")            \
    /* frame layer (RFC 6455 section 5.2) */                                                       \
    X(WS_E_RESERVED_OPCODE, -10, 1002, 0, "The frame uses a reserved opcode.")                     \
    X(WS_E_RSV_BITS, -11, 1002, 0,                                                                 \
      "The frame sets a reserved bit (RSV1-3) that no negotiated extension defines.")              \
    X(WS_E_CONTROL_TOO_LONG, -12, 1002, 0,                                                         \
      "A control frame carries more than 125 bytes of payload.")                                   \
    X(WS_E_CONTROL_FRAGMENTED, -13, 1002, 0, "A control frame does not have the FIN bit set.")     \
    X(WS_E_LENGTH_TOP_BIT, -14, 1002, 0,                                                           \
      "The 64-bit payload length has its most significant bit set.")                               \
    X(WS_E_NONMINIMAL_LENGTH, -15, 1002, 0,                                                        \
      "The payload length is not encoded in the minimal number of bytes.")                         \
    X(WS_E_UNMASKED_FRAME, -16, 1002, 0, "A client sent a frame that is not masked.")              \
    X(WS_E_MASKED_FRAME, -17, 1002, 0, "A server sent a frame that is masked.")                    \
    /* UTF-8 and close payloads (RFC 6455 sections 5.5.1, 7.4, 8.1) */                             \
    X(WS_E_INVALID_UTF8, -20, 1007, 0, "Text is not valid UTF-8.")                                 \
    X(WS_E_CLOSE_PAYLOAD_1BYTE, -21, 1002, 0,                                                      \
      "A close frame has a 1-byte payload, too short to hold a status code.")                      \
    X(WS_E_CLOSE_CODE_INVALID, -22, 1002, 0,                                                       \
      "A close frame carries a status code that is not allowed on the wire.")                      \
    X(WS_E_CLOSE_REASON_TOO_LONG, -23, 0, 0,                                                       \
      "A close reason is longer than the 123 bytes a control frame can carry.")                    \
    /* stream and message layer (RFC 6455 sections 5.4, 10.4) */                                   \
    X(WS_E_UNEXPECTED_CONTINUATION, -30, 1002, 0,                                                  \
      "A continuation frame arrived with no fragmented message in progress.")                      \
    X(WS_E_EXPECTED_CONTINUATION, -31, 1002, 0,                                                    \
      "A new data frame arrived before the fragmented message in progress was finished.")          \
    X(WS_E_FRAME_TOO_BIG, -32, 1009, 0, "A frame is larger than the configured frame limit.")      \
    X(WS_E_MESSAGE_TOO_BIG, -33, 1009, 0,                                                          \
      "A message is larger than the configured message limit.")                                    \
    X(WS_E_TOO_MANY_FRAGMENTS, -34, 1009, 0,                                                       \
      "A message is split into more fragments than the configured limit.")                         \
    X(WS_E_AFTER_CLOSE, -35, 0, 0, "Data arrived after the peer's close frame.")                   \
    X(WS_E_PARSER_FAILED, -36, 0, 0, "The parser already failed; it accepts no more input.")       \
    X(WS_E_CLOSING, -37, 0, 0, "A close frame was already sent; no more data may be sent.")        \
    /* HTTP heads (RFC 9112) */                                                                    \
    X(WS_E_HTTP_SYNTAX, -40, 0, 400,                                                               \
      "The HTTP request line or status line is malformed, or the head holds a control character.") \
    X(WS_E_HTTP_HEADER_TOO_LARGE, -41, 0, 431,                                                     \
      "The HTTP header is larger than the configured limit.")                                      \
    X(WS_E_HTTP_TOO_MANY_HEADERS, -42, 0, 431,                                                     \
      "The HTTP message has more header fields than the configured limit.")                        \
    X(WS_E_HTTP_BARE_CR, -43, 0, 400, "The HTTP header contains a carriage return without a line feed.") \
    X(WS_E_HTTP_NUL, -44, 0, 400, "The HTTP header contains a NUL byte.")                          \
    X(WS_E_HTTP_OBS_FOLD, -45, 0, 400,                                                             \
      "The HTTP header uses obsolete line folding, which is not allowed.")                         \
    X(WS_E_HTTP_VERSION, -46, 0, 505,                                                              \
      "The HTTP version is not 1.1 (or a later HTTP/1.x), which a WebSocket upgrade needs.")       \
    X(WS_E_HTTP_BARE_LF, -47, 0, 400,                                                              \
      "The HTTP header ends a line with a line feed that has no carriage return before it.")      \
    X(WS_E_HTTP_HEADER_NAME, -48, 0, 400,                                                          \
      "An HTTP header field name is empty, holds a character not allowed in a token, "            \
      "or is followed by whitespace before the colon.")                                            \
    X(WS_E_HTTP_NO_COLON, -49, 0, 400, "An HTTP header line has no colon.")                        \
    /* opening handshake, server side (RFC 6455 section 4.2.1) */                                  \
    X(WS_E_HS_NOT_WEBSOCKET, -50, 0, 426,                                                          \
      "The request is plain HTTP, not a WebSocket upgrade.")                                       \
    X(WS_E_HS_METHOD, -51, 0, 405, "A WebSocket upgrade must use the GET method.")                 \
    X(WS_E_HS_NO_HOST, -52, 0, 400,                                                                \
      "The upgrade request has no Host header, more than one, or one that is not host[:port].")    \
    X(WS_E_HS_NO_UPGRADE_TOKEN, -53, 0, 400,                                                       \
      "The Upgrade header does not contain the token \"websocket\".")                              \
    X(WS_E_HS_NO_CONNECTION_UPGRADE, -54, 0, 400,                                                  \
      "The Connection header does not contain the token \"Upgrade\".")                             \
    X(WS_E_HS_BAD_KEY, -55, 0, 400,                                                                \
      "Sec-WebSocket-Key is missing, repeated, or does not decode to 16 bytes.")                   \
    X(WS_E_HS_BAD_VERSION, -56, 0, 426, "Sec-WebSocket-Version is missing or not 13.")             \
    X(WS_E_HS_ORIGIN_FORBIDDEN, -57, 0, 403, "The request's Origin is not allowed.")               \
    X(WS_E_HS_TOO_MANY_PROTOCOLS, -58, 0, 400,                                                     \
      "Sec-WebSocket-Protocol lists more subprotocols than the configured limit.")                 \
    X(WS_E_HS_TOO_MANY_EXTENSIONS, -59, 0, 400,                                                    \
      "Sec-WebSocket-Extensions lists more extensions or parameters than the configured limit.")   \
    X(WS_E_HS_BAD_TOKEN_LIST, -60, 0, 400, "A header that holds a list of tokens is malformed.")   \
    X(WS_E_HS_BAD_EXTENSION, -61, 0, 400, "Sec-WebSocket-Extensions is malformed.")                \
    X(WS_E_HS_BAD_TARGET, -62, 0, 400,                                                             \
      "The request target is neither a path (/...) nor an absolute URI.")                          \
    X(WS_E_HS_REPEATED_VERSION, -63, 0, 400, "Sec-WebSocket-Version appears more than once.")      \
    X(WS_E_HTTP_URI_TOO_LONG, -64, 0, 414,                                                         \
      "The request line does not fit in the configured HTTP head size.")                           \
    X(WS_E_HS_BODY, -65, 0, 400,                                                                   \
      "A WebSocket upgrade request must not carry a body (Transfer-Encoding, or a "                \
      "Content-Length other than 0).")                                                             \
    /* opening handshake, client side (RFC 6455 section 4.1) */                                    \
    X(WS_E_HS_STATUS, -70, 0, 0, "The server did not answer 101 Switching Protocols.")             \
    X(WS_E_HS_BAD_ACCEPT, -71, 0, 0,                                                               \
      "The server's Sec-WebSocket-Accept is missing, repeated, or not the one for the key sent.")  \
    X(WS_E_HS_RESPONSE_UPGRADE, -72, 0, 0,                                                         \
      "The server's response lacks \"Upgrade: websocket\" or \"Connection: Upgrade\".")            \
    X(WS_E_HS_UNOFFERED_PROTOCOL, -73, 0, 0,                                                       \
      "The server chose a subprotocol that the client did not offer, or more than one.")           \
    X(WS_E_HS_UNOFFERED_EXTENSION, -74, 0, 0,                                                      \
      "The server accepted an extension that the client did not offer.")                           \
    /* URLs (RFC 6455 section 3) */                                                                \
    X(WS_E_URL_SCHEME, -80, 0, 0, "The URL does not start with ws:// or wss://.")                  \
    X(WS_E_URL_HOST, -81, 0, 0, "The URL has no host, or its host is malformed.")                  \
    X(WS_E_URL_PORT, -82, 0, 0, "The URL's port is not a number from 1 to 65535.")                 \
    X(WS_E_URL_FRAGMENT, -83, 0, 0, "A WebSocket URL must not contain a fragment (#).")            \
    X(WS_E_URL_SYNTAX, -84, 0, 0, "The URL contains characters that are not allowed.")           \
    X(WS_E_URL_USERINFO, -85, 0, 0,                                                                \
      "A WebSocket URL must not contain credentials (user:password@ before the host).")

/* Every outcome of every function in the library. */
typedef enum ws_status {
#define WS_STATUS_ENUM_(name, value, close_code, http_code, sentence) name = (value),
    WS_STATUS_TABLE(WS_STATUS_ENUM_)
#undef WS_STATUS_ENUM_
} ws_status;

/* A sentence a person understands, for any status or any negative value a
 * function returned. Never NULL; an unknown value gives a generic sentence.
 * The string is static. */
WS_API const char *ws_strerror(int status);

/* The enum name without its prefix, for logs ("RESERVED_OPCODE"); "OK" for
 * WS_OK and for any positive value (a byte count); "UNKNOWN" for a negative
 * value that is no status. Static. */
WS_API const char *ws_status_name(int status);

/* The close code (RFC 6455 section 7.4.1) an endpoint must send when the peer
 * caused this status: 1002 for protocol errors, 1007 for invalid UTF-8, 1009
 * for limits. 0 when the status is not a peer's protocol error. */
WS_API uint16_t ws_status_close_code(int status);

/* The HTTP status code a server answers a handshake failure with (400, 403,
 * 405, 414, 426, 431, 505). 0 when the status is not a handshake error. */
WS_API int ws_status_http_code(int status);

/* ------------------------------------------------------------------------
 * Frames (RFC 6455 section 5.2)
 * ------------------------------------------------------------------------ */

typedef enum ws_role {
    WS_ROLE_SERVER = 0, /* receives masked frames, sends unmasked ones */
    WS_ROLE_CLIENT = 1  /* receives unmasked frames, sends masked ones */
} ws_role;

typedef enum ws_opcode {
    WS_OP_CONTINUATION = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA
} ws_opcode;

/* RSV bits as they sit in the first header byte. */
#define WS_RSV1 0x40u
#define WS_RSV2 0x20u
#define WS_RSV3 0x10u

/* Largest frame header: 2 bytes, 8 bytes of extended length, 4 of mask. */
#define WS_MAX_HEADER_SIZE 14
/* Largest payload of a control frame, and of a close reason. */
#define WS_MAX_CONTROL_PAYLOAD 125
#define WS_MAX_CLOSE_REASON 123

/* True for the opcodes 0x8-0xF. */
#define WS_OPCODE_IS_CONTROL(op) (((op) & 0x8u) != 0)

/* One frame header, decoded. */
typedef struct ws_frame {
    bool fin;             /* last fragment of a message */
    uint8_t rsv;          /* WS_RSV1 | WS_RSV2 | WS_RSV3 bits as on the wire */
    uint8_t opcode;       /* a ws_opcode */
    bool masked;          /* a mask key follows the length */
    uint8_t mask[4];      /* valid when masked */
    uint64_t payload_len; /* < 2^63 */
    size_t header_len;    /* see ws_frame_parse */
} ws_frame;

/*
 * ws_frame_parse - decode the frame header at the start of buf.
 *
 * buf, len:     the bytes received so far; never read past buf[len-1].
 * role:         which end we are; a server requires masked frames
 *               (WS_E_UNMASKED_FRAME), a client rejects them
 *               (WS_E_MASKED_FRAME).
 * rsv_allowed:  RSV bits that negotiated extensions define (0 without any);
 *               any other RSV bit set is WS_E_RSV_BITS.
 * frame:        filled on success; on WS_INCOMPLETE, frame->header_len holds
 *               the total number of header bytes needed as far as the bytes
 *               seen tell (so frame->header_len - len more bytes at least).
 *
 * Returns the header length (2 to 14) on success: the payload starts at
 * buf + return value and is frame->payload_len bytes long (it may not all be
 * in buf yet; the payload is not examined). Returns WS_INCOMPLETE when the
 * header is not complete; nothing is consumed. Returns a negative status on a
 * protocol error, checked in wire order: WS_E_RSV_BITS, WS_E_RESERVED_OPCODE,
 * WS_E_CONTROL_FRAGMENTED, WS_E_CONTROL_TOO_LONG, WS_E_UNMASKED_FRAME /
 * WS_E_MASKED_FRAME, WS_E_LENGTH_TOP_BIT, WS_E_NONMINIMAL_LENGTH.
 * Each rule is checked as soon as the bytes it needs are present, so an
 * incomplete header can already fail (a reserved opcode after 1 byte, a set
 * top bit of a 64-bit length after 3); a prefix of a header gives either
 * WS_INCOMPLETE or the error the whole header gives, never a different one.
 * On an error the fields of frame are unspecified. WS_E_INVALID_ARGUMENT when
 * frame is NULL, role is not a ws_role, or buf is NULL and len is not 0.
 *
 * Non-minimal length encodings (126 followed by a value below 126, 127
 * followed by a value below 65536) are rejected: RFC 6455 section 5.2 says
 * "the minimal number of bytes MUST be used", and no conforming peer sends
 * them.
 */
WS_API int ws_frame_parse(const uint8_t *buf, size_t len, ws_role role, unsigned rsv_allowed,
                          ws_frame *frame);

/* Size of the header ws_frame_write_header() produces for this payload
 * length: 2 (up to 125), 4 (up to 65535) or 10 bytes, plus 4 when masked. */
WS_API size_t ws_frame_header_size(uint64_t payload_len, bool masked);

/*
 * ws_frame_write_header - encode a frame header with the smallest length
 * encoding.
 *
 * frame: fin, rsv, opcode, masked, mask and payload_len are read;
 *        header_len is ignored.
 * out, cap: where to write.
 *
 * Returns the bytes written (2 to 14); WS_E_BUFFER_TOO_SMALL when cap is
 * short (nothing is written); WS_E_INVALID_ARGUMENT for an opcode that is
 * not one of ws_opcode, rsv bits outside WS_RSV1|WS_RSV2|WS_RSV3,
 * payload_len >= 2^63, a control frame that is not FIN or longer than 125
 * bytes, or a NULL frame.
 */
WS_API int ws_frame_write_header(const ws_frame *frame, uint8_t *out, size_t cap);

/*
 * ws_frame_write - encode a whole frame: the header, then the payload copied
 * and, when frame->masked, masked with frame->mask in the same pass.
 *
 * frame->payload_len must equal payload_len. payload may be NULL when
 * payload_len is 0; it must not overlap out.
 *
 * Returns the bytes written (header + payload) as a ptrdiff_t;
 * WS_E_BUFFER_TOO_SMALL when cap is short, or the frame is larger than
 * PTRDIFF_MAX bytes (nothing is written); WS_E_INVALID_ARGUMENT as for
 * ws_frame_write_header, or when payload_len differs from frame->payload_len
 * or payload is NULL with payload_len > 0.
 */
WS_API ptrdiff_t ws_frame_write(const ws_frame *frame, const void *payload, size_t payload_len,
                                uint8_t *out, size_t cap);

/* ------------------------------------------------------------------------
 * Masking (RFC 6455 section 5.3)
 * ------------------------------------------------------------------------ */

/*
 * ws_mask - XOR data in place with the 4-byte key, starting key_offset bytes
 * into the key (0 for the first byte of a payload). Masking and unmasking
 * are the same operation. A payload that arrives in pieces is unmasked piece
 * by piece by passing the returned offset to the next call.
 *
 * Returns (key_offset + len) % 4, the key offset for the next piece.
 * data may be NULL when len is 0.
 *
 * Speed: word at a time in portable C; on x86-64 SSE2 from 16 bytes and,
 * from 256 bytes, AVX-512 (Ice Lake, Zen 4 and later) or AVX2 when the CPU
 * has it (checked on each such call with __builtin_cpu_supports: nothing
 * is cached in library state); NEON on aarch64. Unmasking runs at memory speed, payloads of 2-125 bytes in a few
 * nanoseconds.
 */
WS_API size_t ws_mask(uint8_t *data, size_t len, const uint8_t key[4], size_t key_offset);

/* ws_mask_copy - like ws_mask, but reads src and writes dst (which may be
 * equal to src but must not otherwise overlap it). Returns the next key
 * offset. */
WS_API size_t ws_mask_copy(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                           size_t key_offset);

/* ------------------------------------------------------------------------
 * UTF-8 (RFC 3629; RFC 6455 sections 5.6 and 8.1)
 * ------------------------------------------------------------------------ */

/* An incremental validator. Caller-allocated; 4 bytes of state. */
typedef struct ws_utf8 {
    uint32_t state_; /* private */
} ws_utf8;

/* Start validating a new text (a new message). */
WS_API void ws_utf8_init(ws_utf8 *v);

/*
 * ws_utf8_feed - validate the next piece of a text. Pieces may split a
 * sequence at any byte.
 *
 * Fails fast: as soon as the bytes seen so far cannot begin a valid
 * sequence (overlong forms, surrogates U+D800-U+DFFF, code points above
 * U+10FFFF, stray continuation bytes, bytes C0, C1, F5-FF) it returns
 * WS_E_INVALID_UTF8 and, when error_at is not NULL, stores the offset in
 * data of the first byte that made the text invalid. Once failed, it keeps
 * failing until ws_utf8_init.
 *
 * Returns WS_OK (the text so far is valid or a valid prefix) or
 * WS_E_INVALID_UTF8. data may be NULL when len is 0.
 *
 * Speed: runs of ASCII are skipped 16-64 bytes at a time (SSE2, NEON, or
 * 8-byte words in portable C), text of ASCII and 2-byte sequences 8
 * (portable) or 16 (SSE2) bytes at a time, with SSE2 any text 16 bytes at a
 * time; the rest goes through table-driven DFAs without data-dependent
 * branches, two of them interleaved over independent windows of the text
 * (portable, on CJK or emoji text: 4.5-5.5 GB/s on a Zen 5, 2.5-2.7 on an
 * Intel Xeon, whose shift by a register costs two micro-ops; the measures
 * by machine are in docs/PERFORMANCE.md). With AVX2 (chosen at run time
 * for pieces of 24 bytes or more) whole 32-byte blocks of any text are
 * validated at once (10-18 GB/s by machine), with AVX-512 64-byte blocks
 * (15-37 GB/s), on aarch64 16-byte NEON blocks (tested, not timed: no such
 * hardware here), the DFA still finding the exact failing byte. A whole
 * text of 4-256 bytes (ws_utf8_validate, or a piece fed between sequences)
 * is checked in one AVX2 pass with no DFA and no state: a 125-byte
 * non-ASCII text in about 8 ns on a Zen 5.
 */
WS_API ws_status ws_utf8_feed(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);

/* ws_utf8_finish - the text ended: WS_OK when no sequence is left half
 * done, WS_E_INVALID_UTF8 otherwise (a truncated sequence). */
WS_API ws_status ws_utf8_finish(const ws_utf8 *v);

/* ws_utf8_validate - a whole text at once: WS_OK or WS_E_INVALID_UTF8. */
WS_API ws_status ws_utf8_validate(const uint8_t *data, size_t len);

/* ------------------------------------------------------------------------
 * Close frames (RFC 6455 sections 5.5.1, 7.4)
 * ------------------------------------------------------------------------ */

#define WS_CLOSE_NORMAL 1000
#define WS_CLOSE_GOING_AWAY 1001
#define WS_CLOSE_PROTOCOL_ERROR 1002
#define WS_CLOSE_UNSUPPORTED_DATA 1003
#define WS_CLOSE_NO_STATUS 1005 /* never on the wire: "the close frame had no code" */
#define WS_CLOSE_ABNORMAL 1006  /* never on the wire: "the connection dropped" */
#define WS_CLOSE_INVALID_PAYLOAD 1007
#define WS_CLOSE_POLICY_VIOLATION 1008
#define WS_CLOSE_MESSAGE_TOO_BIG 1009
#define WS_CLOSE_MANDATORY_EXTENSION 1010
#define WS_CLOSE_INTERNAL_ERROR 1011
#define WS_CLOSE_SERVICE_RESTART 1012
#define WS_CLOSE_TRY_AGAIN_LATER 1013
#define WS_CLOSE_BAD_GATEWAY 1014

/* True when code may appear in a close frame: 1000-1003, 1007-1014 and
 * 3000-4999. */
WS_API bool ws_close_code_valid(unsigned code);

/*
 * ws_close_build - the payload of a close frame.
 *
 * code:   0 for an empty payload (no code, no reason), else a code for which
 *         ws_close_code_valid() is true.
 * reason: reason_len bytes of UTF-8 (may be NULL when reason_len is 0); at
 *         most 123 bytes; must be empty when code is 0.
 *
 * Returns the payload length (0, or 2 + reason_len); WS_E_BUFFER_TOO_SMALL;
 * WS_E_CLOSE_CODE_INVALID; WS_E_CLOSE_REASON_TOO_LONG; WS_E_INVALID_UTF8;
 * WS_E_INVALID_ARGUMENT (a reason without a code).
 */
WS_API int ws_close_build(uint16_t code, const char *reason, size_t reason_len, uint8_t *out,
                          size_t cap);

/*
 * ws_close_parse - validate a received close payload (already unmasked).
 *
 * On WS_OK: *code is the status code, or WS_CLOSE_NO_STATUS (1005) for an
 * empty payload; *reason points into payload (not NUL-terminated) and
 * *reason_len is its length (0 when absent).
 *
 * Errors, checked in this order: WS_E_CONTROL_TOO_LONG (over 125 bytes),
 * WS_E_CLOSE_PAYLOAD_1BYTE (1002), WS_E_CLOSE_CODE_INVALID (1002),
 * WS_E_INVALID_UTF8 (1007); WS_E_INVALID_ARGUMENT when an output pointer is
 * NULL or payload is NULL with len > 0. On an error the outputs are not
 * written. Send ws_status_close_code() of the error in the close reply.
 */
WS_API ws_status ws_close_parse(const uint8_t *payload, size_t len, uint16_t *code,
                                const char **reason, size_t *reason_len);

/* ------------------------------------------------------------------------
 * Limits, shared by the stream parser and the handshake
 * ------------------------------------------------------------------------ */

typedef struct ws_limits {
    uint64_t max_frame_size;   /* payload bytes of one data frame; 0 = no limit */
    uint64_t max_message_size; /* sum of a message's fragments; 0 = no limit */
    uint32_t max_fragments;    /* frames per message, empty ones too; 0 = no limit */
    uint32_t max_header_bytes; /* HTTP head, request line to blank line */
    uint32_t max_headers;      /* HTTP header fields */
    uint32_t max_protocols;    /* subprotocols offered */
    uint32_t max_extensions;   /* extensions offered, and parameters of each */
} ws_limits;

/* Defaults: frame 16 MiB, message 16 MiB, 2^20 fragments, 8 KiB of HTTP
 * head, 64 headers, 32 protocols, 16 extensions. The fragment limit bounds
 * a message of empty fragments (which never reaches the size limit) at
 * 6 MiB of frames, and still passes legal streams: Autobahn cases 9.3 and
 * 9.4 send 4 MiB messages in 65,536 fragments of 64 bytes. */
#define WS_DEFAULT_MAX_FRAME_SIZE (16u * 1024u * 1024u)
#define WS_DEFAULT_MAX_MESSAGE_SIZE (16u * 1024u * 1024u)
#define WS_DEFAULT_MAX_FRAGMENTS (1u << 20)
#define WS_DEFAULT_MAX_HEADER_BYTES 8192u
#define WS_DEFAULT_MAX_HEADERS 64u
#define WS_DEFAULT_MAX_PROTOCOLS 32u
#define WS_DEFAULT_MAX_EXTENSIONS 16u

/* Fill limits with the defaults above. */
WS_API void ws_limits_default(ws_limits *limits);

/* ------------------------------------------------------------------------
 * Stream parser (stream.c): events from the bytes of a connection
 * ------------------------------------------------------------------------ */
/* WS_SECTION_STREAM_BEGIN (owned by the stream layer; see stream.c) */

/* What ws_parser_next() found. */
typedef enum ws_event_type {
    WS_EV_NONE = 0,          /* need more input: keep the unconsumed bytes, add more */
    WS_EV_MESSAGE_START = 1, /* a text or binary message begins; opcode says which */
    WS_EV_DATA = 2,          /* data/len: the next piece of the message, unmasked */
    WS_EV_MESSAGE_END = 3,   /* the message is complete (and valid UTF-8 if text) */
    WS_EV_PING = 4,          /* data/len: the whole ping payload; answer with a pong */
    WS_EV_PONG = 5,          /* data/len: the whole pong payload */
    WS_EV_CLOSE = 6          /* close_code (1005 if none), data/len: the UTF-8 reason */
} ws_event_type;

/* Only with WS_PARSER_WHOLE_MESSAGES (see ws_parser_set_options): a whole
 * message in one event; opcode, and data/len: all of it, unmasked. It is a
 * value of ws_event_type kept outside the enumeration so that switches
 * written for the events above keep compiling under -Wswitch; test for it
 * with == before such a switch (a case label for it would warn). */
#define WS_EV_MESSAGE ((ws_event_type)7)

typedef struct ws_event {
    ws_event_type type;
    uint8_t opcode;      /* MESSAGE_START, DATA, MESSAGE_END: WS_OP_TEXT or WS_OP_BINARY */
    const uint8_t *data; /* points into the caller's buffer; valid until it is reused */
    size_t len;
    uint16_t close_code; /* WS_EV_CLOSE only */
} ws_event;

/* The smallest buffer a caller may feed the parser from: a frame header and a
 * whole control frame (or small message, see ws_parser_next) must fit in it,
 * since those are consumed only whole. */
#define WS_PARSER_MIN_BUFFER (WS_MAX_HEADER_SIZE + WS_MAX_CONTROL_PAYLOAD)

/* A stream parser for one connection. Caller-allocated, at most 64 bytes;
 * every field is private. */
typedef struct ws_parser {
    uint64_t frame_left_;     /* payload bytes of the current frame still to come */
    uint64_t message_size_;   /* bytes of the current message so far */
    uint64_t max_frame_size_; /* limits, copied at init */
    uint64_t max_message_size_;
    uint32_t max_fragments_;
    uint32_t fragments_; /* frames of the current message so far */
    ws_utf8 utf8_;       /* validator of the current text message */
    uint8_t mask_[4];    /* mask key of the current frame */
    uint8_t state_;
    uint8_t role_;
    uint8_t message_opcode_; /* 0 when no message is in progress */
    uint8_t flags_;
    uint8_t mask_offset_;
    uint8_t rsv_allowed_;
    uint8_t options_; /* WS_PARSER_* flags */
    uint8_t small_max_; /* the largest 7-bit payload length within both limits */
} ws_parser;

/*
 * ws_parser_init - prepare p for a new connection.
 *
 * role:   WS_ROLE_SERVER (frames must be masked) or WS_ROLE_CLIENT.
 * limits: frame size, message size and fragment count to enforce; the values
 *         are copied. NULL means ws_limits_default().
 */
WS_API void ws_parser_init(ws_parser *p, ws_role role, const ws_limits *limits);

/* ws_parser_set_options flag: report a message that is one frame (FIN set,
 * not a continuation) and whose payload is all in the buffer given to
 * ws_parser_next as ONE event, WS_EV_MESSAGE, instead of MESSAGE_START,
 * DATA, MESSAGE_END. */
#define WS_PARSER_WHOLE_MESSAGES 1u

/*
 * ws_parser_set_options - opt in to parser behaviours; options is 0 (the
 * default after ws_parser_init) or WS_PARSER_WHOLE_MESSAGES. Call it after
 * ws_parser_init, before the first ws_parser_next (switching between
 * messages is also safe).
 *
 * With WS_PARSER_WHOLE_MESSAGES a single-frame message found complete in
 * buf comes as WS_EV_MESSAGE: opcode (WS_OP_TEXT or WS_OP_BINARY), data and
 * len (the whole payload, unmasked in place, valid UTF-8 if text; len may
 * be 0, data then points just past the header). The return value consumes
 * the whole frame. It is the same message the three events would have
 * given, in a third of the calls: small messages cost several times less.
 *
 * Such a frame with a payload of up to 125 bytes that is cut by the end
 * of buf is held back (see ws_parser_next) and is then one WS_EV_MESSAGE.
 *
 * Everything else is reported as without the option: fragmented messages,
 * a longer frame whose payload is not all in buf yet (it comes as
 * MESSAGE_START, DATA..., MESSAGE_END, so a caller must still handle
 * those), control frames, errors. A text message with invalid UTF-8 gives
 * MESSAGE_START and then the error on the next call, as without the option.
 * So for any cutting of the stream the messages (their data and their
 * boundaries) are the same in both modes; only how they are reported
 * differs.
 */
WS_API void ws_parser_set_options(ws_parser *p, unsigned options);

/*
 * ws_parser_next - find the next event in buf.
 *
 * buf, len: the bytes received and not yet consumed, from a buffer of at
 *           least WS_PARSER_MIN_BUFFER bytes. Payload bytes are unmasked in
 *           place, which is why buf is not const.
 * ev:       the event found; ev->data points into buf.
 *
 * p and ev must not be NULL, nor buf unless len is 0: this is the per-frame
 * hot path, so unlike the other parsers it does not check its arguments
 * (WS_E_INVALID_ARGUMENT is never returned).
 *
 * Returns the number of bytes of buf consumed (>= 0). The caller calls again
 * with buf + consumed until ev->type is WS_EV_NONE: then the bytes from
 * buf + consumed to buf + len are an incomplete frame header, control frame
 * or small message (below), at most WS_PARSER_MIN_BUFFER - 1 bytes, which the
 * caller keeps (moves to the front of its buffer) and presents again with
 * the next bytes from the socket (a call may consume bytes, such as a
 * continuation frame's header, and still report WS_EV_NONE: always add the
 * return value).
 *
 * The small message held back is a message of one frame (FIN, text or
 * binary) with a payload of up to 125 bytes (a 7-bit length) that buf cuts
 * short: it is left unconsumed like a control frame, and comes whole once
 * the caller has added the rest (MESSAGE_START, one DATA, MESSAGE_END; or
 * WS_EV_MESSAGE with WS_PARSER_WHOLE_MESSAGES), not as START and DATA now,
 * DATA and END later. Unless it is a text whose bytes present already
 * cannot be UTF-8: that one starts at once (MESSAGE_START, then the error),
 * so a bad text still fails as soon as its bad byte arrives. Message
 * payload is otherwise never held back: a DATA event hands out whatever
 * payload bytes are present, so a message of any size passes through a
 * small buffer. The same byte stream cut into chunks anywhere gives the
 * same events, except that DATA pieces may be cut differently.
 *
 * A message comes as MESSAGE_START, zero or more DATA (never empty), then
 * MESSAGE_END; PING and PONG may come between them (control frames may sit
 * between fragments). Text is validated as it arrives: the call that is
 * given the first byte that cannot be part of valid UTF-8 fails, even if the
 * frame or message is far from over; a sequence left open at the end of the
 * message fails instead of MESSAGE_END. Limits (ws_limits) are checked on
 * each frame header, before any of its payload is read, so a frame that
 * announces too much is refused at once.
 *
 * Returns a negative ws_status on a protocol error or broken limit; send a
 * close frame with ws_status_close_code() of it (1002, 1007, 1009; see
 * ws_closing_fail) and stop parsing. After an error every call fails with
 * WS_E_PARSER_FAILED. After WS_EV_CLOSE the connection carries nothing more:
 * a call with len 0 returns 0 and WS_EV_NONE, a call with bytes returns
 * WS_E_AFTER_CLOSE (close code 0: drop the bytes, nothing to send), every
 * time: the parser stays closed, not failed, however the bytes after the
 * close were cut into reads.
 */
WS_API ptrdiff_t ws_parser_next(ws_parser *p, uint8_t *buf, size_t len, ws_event *ev);

/* ------------------------------------------------------------------------
 * Message writer (message.c): whole messages, fragments and control frames
 * ------------------------------------------------------------------------ */

/*
 * Supplies a fresh masking key for one frame. RFC 6455 section 5.3: a client
 * must use a new key for every frame, taken from a strong source of entropy
 * so that the peer (and anything in between) cannot predict it. The library
 * takes no randomness itself: fill key from getrandom(), arc4random_buf() or
 * a CSPRNG of your own (batching getrandom() into a pool is fine). ctx is the
 * key_ctx given to ws_writer_init.
 */
typedef void (*ws_mask_key_fn)(void *ctx, uint8_t key[4]);

/* The send side of one connection. Caller-allocated; every field is
 * private. It remembers whether a close frame went out (after which nothing
 * more may be sent) and whether a fragmented message is in progress. */
typedef struct ws_writer {
    ws_mask_key_fn next_key_;
    void *key_ctx_;
    size_t max_frame_payload_; /* 0: one frame per message */
    ws_utf8 utf8_;             /* fragmented text message in progress */
    uint8_t role_;
    uint8_t message_opcode_; /* fragmented message in progress, else 0 */
    uint8_t close_sent_;
} ws_writer;

/*
 * ws_writer_init - prepare w for a new connection.
 *
 * role:              WS_ROLE_CLIENT masks every frame with a key from
 *                    next_key (required: without it every write fails with
 *                    WS_E_INVALID_ARGUMENT); WS_ROLE_SERVER never masks and
 *                    ignores next_key (may be NULL).
 * max_frame_payload: ws_message_write splits messages into frames of at most
 *                    this many payload bytes; 0 sends each message as one
 *                    frame.
 */
WS_API void ws_writer_init(ws_writer *w, ws_role role, size_t max_frame_payload,
                           ws_mask_key_fn next_key, void *key_ctx);

/* The exact number of bytes ws_message_write(w, ..., len, ...) writes: the
 * payload plus one header per frame. Use it to size the output buffer. */
WS_API size_t ws_message_size(const ws_writer *w, size_t len);

/*
 * ws_message_write - encode a whole text or binary message into out: one
 * frame, or frames of at most max_frame_payload bytes (see ws_writer_init),
 * each masked with its own key in the client role. An empty message is one
 * empty frame.
 *
 * opcode: WS_OP_TEXT (data must be valid UTF-8) or WS_OP_BINARY.
 * data:   len bytes, copied (and masked) into out; may be NULL when len is 0;
 *         must not overlap out.
 *
 * Returns the bytes written (ws_message_size(w, len)). Errors, with nothing
 * written: WS_E_BUFFER_TOO_SMALL (cap < ws_message_size), WS_E_CLOSING (a
 * close frame was already written), WS_E_INVALID_UTF8 (text that is not
 * UTF-8), WS_E_INVALID_ARGUMENT (another opcode; a fragmented message from
 * ws_fragment_write still in progress; client role without next_key).
 */
WS_API ptrdiff_t ws_message_write(ws_writer *w, ws_opcode opcode, const void *data, size_t len,
                                  uint8_t *out, size_t cap);

/*
 * ws_fragment_write - encode one frame of a message whose length is not
 * known in advance (a stream, or a message relayed while it arrives).
 *
 * The first call of a message gives opcode WS_OP_TEXT or WS_OP_BINARY and
 * writes a frame with that opcode; later calls give the same opcode and
 * write continuation frames; the call with fin true ends the message. Text
 * is validated across fragments: a fragment may end inside a UTF-8 sequence
 * that the next one completes, and the last one must leave none open.
 * Control frames (ping, pong, close) may be written between fragments.
 * max_frame_payload is not applied: each call is exactly one frame.
 *
 * Returns the bytes written (ws_frame_header_size(len, client) + len).
 * Errors, with nothing written and the message state unchanged:
 * WS_E_BUFFER_TOO_SMALL, WS_E_CLOSING, WS_E_INVALID_UTF8,
 * WS_E_INVALID_ARGUMENT (opcode not text/binary, or not the opcode of the
 * message in progress; client role without next_key).
 */
WS_API ptrdiff_t ws_fragment_write(ws_writer *w, ws_opcode opcode, bool fin, const void *data,
                                   size_t len, uint8_t *out, size_t cap);

/*
 * ws_ping_write, ws_pong_write - encode a ping or a pong with len <= 125
 * bytes of payload (a pong answering a ping carries the ping's payload:
 * pass ev.data and ev.len of the WS_EV_PING event, see RFC 6455 5.5.3).
 *
 * Returns the bytes written (at most WS_MAX_HEADER_SIZE + 125).
 * Errors, nothing written: WS_E_BUFFER_TOO_SMALL, WS_E_CLOSING,
 * WS_E_CONTROL_TOO_LONG (len > 125), WS_E_INVALID_ARGUMENT (client role
 * without next_key).
 */
WS_API ptrdiff_t ws_ping_write(ws_writer *w, const void *payload, size_t len, uint8_t *out,
                               size_t cap);
WS_API ptrdiff_t ws_pong_write(ws_writer *w, const void *payload, size_t len, uint8_t *out,
                               size_t cap);

/*
 * ws_close_frame_write - encode a close frame (RFC 6455 5.5.1) and mark w
 * closed: every later write fails with WS_E_CLOSING.
 *
 * code:   0 for an empty close (no code, no reason; this is how a close
 *         without a code, 1005, is answered), else a code for which
 *         ws_close_code_valid() is true.
 * reason: reason_len <= 123 bytes of UTF-8, only with a code.
 *
 * Prefer ws_closing (below), which decides when to call this and with which
 * code. Returns the bytes written; errors, nothing written:
 * WS_E_BUFFER_TOO_SMALL, WS_E_CLOSING, and those of ws_close_build.
 */
WS_API ptrdiff_t ws_close_frame_write(ws_writer *w, uint16_t code, const char *reason,
                                      size_t reason_len, uint8_t *out, size_t cap);

/* True until a close frame has been written through w. */
WS_API bool ws_writer_can_send(const ws_writer *w);

/* ------------------------------------------------------------------------
 * Close handshake (closing.c, RFC 6455 sections 5.5.1, 7.1)
 *
 * ws_closing follows one connection from open to TCP close, for both roles.
 * Feed it what happens (the application wants to close, the parser reported
 * WS_EV_CLOSE or an error, the peer closed TCP, a timer expired) and ask
 * ws_closing_next() what to do. The rules it applies:
 *   - a close frame is sent at most once, and nothing is sent after it;
 *   - a received close is answered with a close carrying the same code (an
 *     empty close answers one without a code, 1005);
 *   - a protocol error (a negative ws_parser_next result) sends a close with
 *     ws_status_close_code() of it and then closes TCP without waiting;
 *   - once close frames went both ways, the server closes TCP first; the
 *     client waits for the server's TCP close (RFC 6455 7.1.1) and closes
 *     TCP itself only if that does not come in time (the caller's timer).
 *
 * Usage from an epoll loop (error handling trimmed):
 *
 *   // at accept/connect:
 *   ws_parser_init(&c->parser, role, NULL);
 *   ws_writer_init(&c->writer, role, 0, role == WS_ROLE_CLIENT ? fill_key : NULL, NULL);
 *   ws_closing_init(&c->closing, role);
 *
 *   // on EPOLLIN, after appending read() bytes to c->in:
 *   for (;;) {
 *       ptrdiff_t n = ws_parser_next(&c->parser, c->in + off, c->in_len - off, &ev);
 *       if (n < 0) { ws_closing_fail(&c->closing, (int)n); break; }
 *       off += (size_t)n;
 *       if (ev.type == WS_EV_NONE) break;          // keep bytes from off on
 *       if (ev.type == WS_EV_PING && ws_writer_can_send(&c->writer))
 *           queue(c, ws_pong_write(&c->writer, ev.data, ev.len, out, cap));
 *       else if (ev.type == WS_EV_CLOSE)
 *           ws_closing_received_reason(&c->closing, ev.close_code, ev.data, ev.len);
 *       else ...application: MESSAGE_START / DATA / MESSAGE_END
 *   }
 *   // read() returned 0:  ws_closing_peer_closed(&c->closing);
 *   // close timer fired:  ws_closing_timeout(&c->closing);
 *   // application wants to close: ws_closing_request(&c->closing, 1000, "bye", 3);
 *
 *   // then, after any of the above:
 *   switch (ws_closing_next(&c->closing)) {
 *   case WS_CLOSING_READ: break;                   // keep going
 *   case WS_CLOSING_SEND_CLOSE:
 *       queue(c, ws_closing_write(&c->closing, &c->writer, out, cap));
 *       arm_timer(c, 5s);                          // for the peer's answer
 *       break;                                     // and ask again
 *   case WS_CLOSING_WAIT_TCP_CLOSE: break;         // client: read until EOF/timer
 *   case WS_CLOSING_CLOSE_TCP:
 *       flush_then_close(c);                       // after queued bytes went out
 *   }
 *
 * A server that closes TCP while unread input sits in its socket makes the
 * kernel send a reset, which can destroy the close frame in flight: before
 * close(), do shutdown(fd, SHUT_WR) and read until EOF or a short timeout.
 * ------------------------------------------------------------------------ */

/* What the caller does next; see ws_closing_next. */
typedef enum ws_closing_action {
    WS_CLOSING_READ = 0,       /* keep reading and handling events; after our close
                                  frame this is the wait for the peer's (arm a timer) */
    WS_CLOSING_SEND_CLOSE = 1, /* call ws_closing_write and send its bytes */
    WS_CLOSING_WAIT_TCP_CLOSE = 2, /* client: handshake done; read (and drop) until the
                                      server closes TCP, or the timer fires */
    WS_CLOSING_CLOSE_TCP = 3   /* send what is queued, then close the TCP connection */
} ws_closing_action;

/* The close handshake of one connection. Caller-allocated; every field is
 * private. */
typedef struct ws_closing {
    uint16_t send_code_; /* code of the close frame to send; 0: empty close */
    uint16_t peer_code_; /* code the peer sent; 1005 none; 1006 while none came */
    uint8_t role_;
    uint8_t flags_;
    uint8_t reason_len_;
    char reason_[WS_MAX_CLOSE_REASON];
} ws_closing;

/* Start tracking a new, open connection. */
WS_API void ws_closing_init(ws_closing *c, ws_role role);

/*
 * ws_closing_request - the application wants to close (RFC 6455 7.1.2).
 *
 * code: 0 for a close without a code, else ws_close_code_valid(code);
 * reason: reason_len <= 123 bytes of UTF-8 (copied), only with a code.
 *
 * Returns WS_OK (next: WS_CLOSING_SEND_CLOSE), or WS_OK doing nothing when a
 * close is already under way (sent, or being answered); errors, nothing
 * changed: WS_E_CLOSE_CODE_INVALID, WS_E_CLOSE_REASON_TOO_LONG,
 * WS_E_INVALID_UTF8, WS_E_INVALID_ARGUMENT (a reason without a code),
 * checked in that order.
 */
WS_API ws_status ws_closing_request(ws_closing *c, uint16_t code, const char *reason,
                                    size_t reason_len);

/* ws_closing_received - the parser reported WS_EV_CLOSE with this code
 * (1005 when the frame had none). If we have not sent a close, the next
 * action is to send the echo (one we requested but did not write yet is
 * replaced by it: RFC 6455 section 5.5.1); otherwise the handshake is
 * complete. Ignored
 * after ws_closing_fail(): a failed connection processes nothing more from
 * the peer (RFC 6455 section 7.1.7), so it stays unclean, with peer code
 * 1006. */
WS_API void ws_closing_received(ws_closing *c, uint16_t code);

/* ws_closing_received_reason - ws_closing_received, and the echo carries
 * the peer's reason too (WS_EV_CLOSE's data/len; copied), as Node's ws,
 * Python's websockets and the browsers answer: a peer that closes with
 * (1000, "bye") gets (1000, "bye") back. A reason that could not be sent
 * (over 123 bytes, not UTF-8, or with no code to go with it) is left out
 * and the code echoed alone. */
WS_API void ws_closing_received_reason(ws_closing *c, uint16_t code, const uint8_t *reason,
                                       size_t reason_len);

/* ws_closing_fail - ws_parser_next (or another parser of the peer's bytes)
 * failed with status: fail the connection (RFC 6455 7.1.7). Only for
 * statuses the peer caused: a writer's status (ws_message_write,
 * ws_ping_write...) reports the caller's own mistake, and WS_E_CONTROL_TOO_LONG
 * from it would blame the peer with 1002; close with 1011 (internal error)
 * through ws_closing_request instead. When the status carries a close code
 * (ws_status_close_code != 0) and no close went out yet, the next action is
 * to send a close with that code (its reason is ws_status_name(status));
 * after it, TCP is closed without waiting for the peer's answer. A local
 * error (code 0) queues no close: TCP is closed at once, after a close that
 * was already queued (an echo) goes out. WS_E_AFTER_CLOSE is ignored: bytes
 * after the peer's close are dropped, the handshake goes on as usual. Any
 * other failure after the peer's close, before the echo is written,
 * sends the failure's close instead of the echo; a close went each way,
 * so ws_closing_clean() is then true. */
WS_API void ws_closing_fail(ws_closing *c, int status);

/* ws_closing_peer_closed - read() returned 0 or failed: the peer closed TCP.
 * Next: WS_CLOSING_CLOSE_TCP. Without a close frame from the peer, the code
 * becomes 1006 (abnormal closure). */
WS_API void ws_closing_peer_closed(ws_closing *c);

/* ws_closing_timeout - the caller's timer expired while waiting for the
 * peer's close frame or its TCP close. Next: WS_CLOSING_CLOSE_TCP. */
WS_API void ws_closing_timeout(ws_closing *c);

/* ws_closing_next - what to do now; see ws_closing_action. */
WS_API ws_closing_action ws_closing_next(const ws_closing *c);

/*
 * ws_closing_write - write the close frame that WS_CLOSING_SEND_CLOSE asks
 * for, through w (which then refuses every further write).
 *
 * Returns the bytes written; WS_E_BUFFER_TOO_SMALL (nothing changed; a close
 * frame never needs more than WS_MAX_HEADER_SIZE + 125 bytes);
 * WS_E_INVALID_ARGUMENT when no close is to be sent now; WS_E_CLOSING when
 * w already sent a close some other way (the state moves on as if this one
 * had been written).
 */
WS_API ptrdiff_t ws_closing_write(ws_closing *c, ws_writer *w, uint8_t *out, size_t cap);

/* True once a close frame went out and one came in (a clean close). */
WS_API bool ws_closing_clean(const ws_closing *c);

/* The peer's close code for reporting: what its close frame carried, 1005
 * if it carried none, 1006 while no close frame came (abnormal closure). */
WS_API uint16_t ws_closing_peer_code(const ws_closing *c);

/* WS_SECTION_STREAM_END */

/* ------------------------------------------------------------------------
 * HTTP and the opening handshake (http.c, handshake.c, sha1.c, base64.c)
 * ------------------------------------------------------------------------ */
/* WS_SECTION_HANDSHAKE_BEGIN (owned by the handshake layer) */

/*
 * HTTP heads are parsed in place, picohttpparser style: every pointer the
 * parser hands out points into the caller's buffer and is valid for as long
 * as that buffer holds the bytes; nothing is NUL-terminated, every string
 * comes with its length. The caller supplies the array the header fields
 * are stored in.
 *
 * Strings the caller passes in (header names, tokens, subprotocols, origins)
 * are NUL-terminated C strings unless a length argument goes with them.
 */

/* One header field. name is the field name as sent (compare it without
 * regard to case); value has leading and trailing whitespace removed. */
typedef struct ws_http_header {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} ws_http_header;

/* A parsed request head. */
typedef struct ws_http_request {
    const char *method; /* "GET" */
    size_t method_len;
    const char *target; /* request-target as sent: "/chat?room=1" */
    size_t target_len;
    int minor_version;       /* HTTP/1.<minor_version>: 1 for HTTP/1.1 */
    ws_http_header *headers; /* the caller's array */
    size_t num_headers;      /* fields stored in headers[] */
} ws_http_request;

/* A parsed response head. */
typedef struct ws_http_response {
    int minor_version; /* HTTP/1.<minor_version> */
    int status;        /* 100..999, e.g. 101 or 404 */
    const char *reason; /* reason phrase, possibly empty: "Not Found" */
    size_t reason_len;
    ws_http_header *headers;
    size_t num_headers;
} ws_http_response;

/*
 * ws_http_parse_request - parse an HTTP/1.x request head (RFC 9112) in place.
 *
 * buf, len:    the bytes received so far (never read past buf[len-1]).
 * last_len:    len of the previous call on this same buffer that returned
 *              WS_INCOMPLETE, or 0 on the first call. Only bytes from
 *              last_len on are scanned for the end of the head, so calling
 *              again each time more bytes arrive costs time linear in the
 *              whole head, not quadratic.
 * limits:      max_header_bytes and max_headers are enforced (0 in either:
 *              no limit but INT_MAX bytes and the array); NULL means
 *              ws_limits_default().
 * req:         filled on success; its pointers point into buf.
 * headers, max_headers: the caller's array for the header fields. The
 *              effective header limit is the smaller of max_headers and
 *              limits->max_headers.
 *
 * Empty lines (CRLF) before the request line are skipped, as RFC 9112
 * section 2.2 asks of a server (some clients send one after a request
 * body); they count towards the head and its limit.
 *
 * Returns the length of the head, up to and including the blank line; any
 * bytes after it (a request body, or WebSocket frames a client sent early)
 * are untouched and belong to the caller. Returns WS_INCOMPLETE while the
 * blank line has not arrived: read more, append, call again with the same
 * buffer and last_len = this len. Errors (answer them with
 * ws_handshake_write_rejection(), then close):
 *   WS_E_HTTP_HEADER_TOO_LARGE  the head exceeds max_header_bytes (reported
 *                               as soon as len reaches the limit with no
 *                               blank line: the head could only end past it);
 *   WS_E_HTTP_URI_TOO_LONG      the same, when not even the request line
 *                               ends within the limit (HTTP 414);
 *   WS_E_HTTP_TOO_MANY_HEADERS  more fields than the limit;
 *   WS_E_HTTP_NUL, WS_E_HTTP_BARE_CR, WS_E_HTTP_BARE_LF, WS_E_HTTP_OBS_FOLD
 *                               (reported as soon as the byte arrives);
 *   WS_E_HTTP_SYNTAX            malformed request line, or a control
 *                               character other than tab in the head;
 *   WS_E_HTTP_HEADER_NAME       a field name that is empty, holds a
 *                               non-token character, or is followed by
 *                               whitespace before the colon;
 *   WS_E_HTTP_NO_COLON          a header line without a colon;
 *   WS_E_HTTP_VERSION           a version other than HTTP/1.x;
 *   WS_E_INVALID_ARGUMENT       req NULL, or buf or headers NULL with a
 *                               non-zero length.
 * Every prefix of a head parses as WS_INCOMPLETE or as the same error as the
 * whole head.
 */
WS_API int ws_http_parse_request(const char *buf, size_t len, size_t last_len,
                                 const ws_limits *limits, ws_http_request *req,
                                 ws_http_header *headers, size_t max_headers);

/*
 * ws_http_parse_response - parse an HTTP/1.x response head in place: the
 * same contract as ws_http_parse_request(), with a status line
 * ("HTTP/1.1 101 Switching Protocols") instead of a request line. Returns
 * the head length: the bytes after it (the first WebSocket frames, or a
 * body) are the caller's, untouched. Unlike a request, a response may not
 * start with empty lines (RFC 9112 section 2.2 allows them before a
 * request line only): they are WS_E_HTTP_SYNTAX.
 */
WS_API int ws_http_parse_response(const char *buf, size_t len, size_t last_len,
                                  const ws_limits *limits, ws_http_response *res,
                                  ws_http_header *headers, size_t max_headers);

/*
 * ws_http_find_header - the next field called name (compared without regard
 * to case) in headers[0..num_headers).
 *
 * pos: where to start; NULL means from the first field. When not NULL it is
 *      updated to the index after the field found, so a loop visits every
 *      field of a header repeated across lines:
 *          size_t pos = 0; const ws_http_header *h;
 *          while ((h = ws_http_find_header(hs, n, "Sec-WebSocket-Protocol", &pos)))
 *              ...
 * Returns the field, or NULL when there is none (left).
 */
WS_API const ws_http_header *ws_http_find_header(const ws_http_header *headers,
                                                 size_t num_headers, const char *name,
                                                 size_t *pos);

/*
 * ws_http_list_next - iterate a comma-separated list (RFC 9110 section
 * 5.6.1), as in "Connection: keep-alive, Upgrade".
 *
 * value, len: the field value.
 * pos:        cursor, 0 at the start; updated past the element returned.
 * elem, elem_len: the next element, whitespace trimmed, pointing into value.
 *
 * Empty elements (", ,") are skipped as the RFC requires. Elements are not
 * checked to be tokens: use ws_http_is_token() where the grammar asks for
 * one. Commas inside quoted strings do not split elements.
 * Returns 1 when an element was found, 0 at the end of the list,
 * WS_E_HS_BAD_TOKEN_LIST for a quoted string that is not closed.
 */
WS_API int ws_http_list_next(const char *value, size_t len, size_t *pos, const char **elem,
                             size_t *elem_len);

/* True when s[0..len) is a non-empty RFC 9110 token ("websocket", "chat.v2"). */
WS_API bool ws_http_is_token(const char *s, size_t len);

/*
 * ws_http_has_token - true when any field called name holds token as one of
 * its comma-separated elements, compared without regard to case:
 * ws_http_has_token(h, n, "Connection", "upgrade") matches
 * "Connection: keep-alive, Upgrade".
 */
WS_API bool ws_http_has_token(const ws_http_header *headers, size_t num_headers,
                              const char *name, const char *token);

/*
 * ws_http_write_response - a complete, simple HTTP/1.1 response, for
 * whatever a WebSocket server answers besides the upgrade: a web page, 404,
 * 405, 503.
 *
 * status:        100..999.
 * reason:        reason phrase; NULL picks the standard one for status
 *                ("Not Found"), or "Unknown" when there is none.
 * content_type:  Content-Type value ("text/html; charset=utf-8"); NULL
 *                omits the field.
 * extra_headers: NULL, or complete lines "Name: value\r\n" appended as they
 *                are (each must be a token, a colon and a value without CR
 *                or LF, ended by CRLF: anything else is
 *                WS_E_INVALID_ARGUMENT, so no header injection). A line of
 *                a field this function writes is WS_E_INVALID_ARGUMENT too:
 *                Content-Length, Transfer-Encoding, Connection, and
 *                Content-Type when content_type is given (a second length
 *                is a body that a client and a proxy may end differently).
 * body, body_len: copied after the head; Content-Length is body_len. When
 *                body is NULL and body_len > 0 only the head is written (with
 *                Content-Length: body_len) and the caller sends the body.
 *
 * out, cap:     128 bytes plus the lengths of reason (32 for NULL: the
 *                standard phrases are shorter), content_type, extra_headers
 *                and, when body is given, body_len are always enough.
 *
 * The head always has "Connection: close": after it the server sends the
 * body and closes. Returns the bytes written (not NUL-terminated),
 * WS_E_BUFFER_TOO_SMALL (nothing useful written), or WS_E_INVALID_ARGUMENT.
 */
WS_API int ws_http_write_response(int status, const char *reason, const char *content_type,
                                  const char *extra_headers, const void *body, size_t body_len,
                                  char *out, size_t cap);

/* Length of a Sec-WebSocket-Key (base64 of 16 bytes) and of a
 * Sec-WebSocket-Accept (base64 of a SHA-1 digest), without a NUL. */
#define WS_KEY_LEN 24
#define WS_ACCEPT_LEN 28

/*
 * ws_handshake_key - the client's Sec-WebSocket-Key from 16 random bytes the
 * caller took from a good random source (getrandom(), arc4random_buf()).
 * Writes 24 characters and a NUL to key.
 */
WS_API void ws_handshake_key(const uint8_t nonce[16], char key[WS_KEY_LEN + 1]);

/*
 * ws_handshake_accept - Sec-WebSocket-Accept for a key (RFC 6455 section
 * 4.2.2): base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")).
 * key is used as given (key_len bytes, trimmed by the parser already).
 * Writes 28 characters and a NUL to accept.
 */
WS_API void ws_handshake_accept(const char *key, size_t key_len, char accept[WS_ACCEPT_LEN + 1]);

/* ---- server side (RFC 6455 section 4.2) -------------------------------- */

/* What a valid upgrade request carries, pointing into the request buffer. */
typedef struct ws_handshake_request {
    const char *target; /* path and query: "/chat?room=1" */
    size_t target_len;
    const char *host; /* Host header value */
    size_t host_len;
    const char *key; /* Sec-WebSocket-Key, 24 characters */
    size_t key_len;
    const char *origin; /* Origin header value; NULL when absent (non-browser clients) */
    size_t origin_len;
    size_t num_protocols;  /* subprotocols offered, over all Sec-WebSocket-Protocol fields */
    size_t num_extensions; /* extensions offered, over all Sec-WebSocket-Extensions fields */
    bool expect_continue;  /* "Expect: 100-continue" was sent: the 101 comes after a 100 */
} ws_handshake_request;

/*
 * ws_handshake_check_request - decide whether a parsed request is a valid
 * WebSocket opening handshake (RFC 6455 section 4.2.1).
 *
 * limits: max_protocols and max_extensions are enforced; NULL means defaults.
 * hs:     filled on WS_OK (may be NULL).
 *
 * Returns WS_OK, or the first failed rule in this order:
 *   WS_E_HS_NOT_WEBSOCKET      a plain HTTP request: no Upgrade token
 *                              "websocket" and no Sec-WebSocket-Key or
 *                              -Version field. Not an attack: serve the
 *                              request as HTTP (a page, a 404) instead;
 *   WS_E_HS_METHOD             not GET (answer 405);
 *   WS_E_HTTP_VERSION          older than HTTP/1.1;
 *   WS_E_HS_BAD_TARGET         the request target is neither a path
 *                              ("/chat?room=1") nor an absolute URI
 *                              ("ws://host/chat"): "*", say (RFC 6455
 *                              section 4.1, RFC 9112 section 3.2); or it
 *                              holds a fragment '#' (section 3);
 *   WS_E_HS_NO_HOST            no Host field, more than one, or a value
 *                              that is not uri-host [":" port] (a space,
 *                              userinfo "u@", a path, a port outside
 *                              1-65535, a bracketed literal that is not
 *                              IPv6: RFC 9112 section 3.2), checked as
 *                              ws_url_parse checks a URL's authority;
 *   WS_E_HS_BODY               a Transfer-Encoding field, or a
 *                              Content-Length other than 0: the frames
 *                              would start inside a body that nothing
 *                              reads (RFC 9112 section 6), and a GET's
 *                              body means nothing (RFC 9110 section 9.3.1);
 *   WS_E_HS_NO_UPGRADE_TOKEN   Upgrade lacks the token "websocket";
 *   WS_E_HS_NO_CONNECTION_UPGRADE  Connection lacks the token "Upgrade";
 *   WS_E_HS_BAD_KEY            Sec-WebSocket-Key missing, repeated, or not
 *                              base64 of exactly 16 bytes (24 characters
 *                              ending "=="; the bits the padding leaves
 *                              over are ignored, as RFC 4648 section 3.5
 *                              allows: section 4.1's example key has them
 *                              set);
 *   WS_E_HS_REPEATED_VERSION   Sec-WebSocket-Version appears more than
 *                              once (RFC 6455 section 11.3.5: 400);
 *   WS_E_HS_BAD_VERSION        Sec-WebSocket-Version missing or not "13"
 *                              (answer 426 with "Sec-WebSocket-Version: 13");
 *   WS_E_HS_BAD_TOKEN_LIST, WS_E_HS_TOO_MANY_PROTOCOLS  a subprotocol that
 *                              is not a token, or more than max_protocols;
 *   WS_E_HS_BAD_EXTENSION, WS_E_HS_TOO_MANY_EXTENSIONS  a malformed
 *                              Sec-WebSocket-Extensions, or more extensions
 *                              (or parameters of one) than max_extensions.
 * For every error, ws_handshake_write_rejection() writes the right answer.
 * The Origin is not judged here: see ws_handshake_check_origin().
 */
WS_API ws_status ws_handshake_check_request(const ws_http_request *req, const ws_limits *limits,
                                            ws_handshake_request *hs);

/*
 * ws_handshake_check_origin - match an Origin value against an allow-list.
 *
 * origin, origin_len: the Origin field (hs->origin); NULL when absent.
 * allowed:  num_allowed origins such as "https://example.com" or
 *           "http://localhost:8080". Scheme and host compare without regard
 *           to case; the port must be equal, a missing port meaning the
 *           scheme's default (80 for http, 443 for https), so
 *           "https://a.example:443" equals "https://a.example". Paths are
 *           not allowed in either.
 * The origin "null" (sent by sandboxed frames and file:// pages) matches
 * only an allow-list entry that is exactly "null". An absent Origin (NULL)
 * never matches: non-browser clients send none, and a server that admits
 * them tests hs->origin == NULL itself before calling this.
 *
 * Returns WS_OK or WS_E_HS_ORIGIN_FORBIDDEN (answer it with
 * ws_handshake_write_rejection(): 403).
 */
WS_API ws_status ws_handshake_check_origin(const char *origin, size_t origin_len,
                                           const char *const *allowed, size_t num_allowed);

/*
 * ws_handshake_select_protocol - the subprotocol to answer with: the first
 * of the server's supported[0..num_supported) (in the server's order of
 * preference) that the client offered in any Sec-WebSocket-Protocol field.
 * Names compare exactly (case matters).
 *
 * *chosen is set to supported[i], or to NULL when the client offered none
 * the server supports (answer without Sec-WebSocket-Protocol then, or reject
 * the client if a subprotocol is mandatory for this server).
 * Returns WS_OK, WS_E_HS_BAD_TOKEN_LIST or WS_E_HS_TOO_MANY_PROTOCOLS.
 */
WS_API ws_status ws_handshake_select_protocol(const ws_http_request *req,
                                              const char *const *supported, size_t num_supported,
                                              const ws_limits *limits, const char **chosen);

/* One extension parameter: "client_max_window_bits=10". value is NULL when
 * the parameter has no value. A quoted-string value points between the
 * quotes, with quoted set: backslash escapes are left in place. */
typedef struct ws_extension_param {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
    bool quoted;
} ws_extension_param;

/* One extension offer or acceptance: "permessage-deflate; client_max_window_bits". */
typedef struct ws_extension {
    const char *name;
    size_t name_len;
    ws_extension_param *params; /* points into the caller's params array */
    size_t num_params;
} ws_extension;

/*
 * ws_handshake_parse_extensions - every Sec-WebSocket-Extensions field of a
 * request or response, in order, as a structured list (RFC 6455 section
 * 9.1: extension *( ";" param ), params token or token=token or
 * token=quoted-string).
 *
 * exts, max_exts:     the caller's array of extensions (may be NULL with 0 to
 *                     only validate and count).
 * params, max_params: the caller's array that every extension's params
 *                     point into, shared by all extensions.
 * limits: max_extensions bounds both the number of extensions and the
 *         parameters of each; NULL means defaults.
 *
 * Returns the number of extensions (>= 0), WS_E_HS_BAD_EXTENSION for bad
 * syntax, WS_E_HS_TOO_MANY_EXTENSIONS when a limit or an array is exceeded.
 */
WS_API int ws_handshake_parse_extensions(const ws_http_header *headers, size_t num_headers,
                                         const ws_limits *limits, ws_extension *exts,
                                         size_t max_exts, ws_extension_param *params,
                                         size_t max_params);

/*
 * ws_handshake_write_response - the 101 Switching Protocols answer to a
 * request that passed ws_handshake_check_request().
 *
 * hs:            the checked request (its key is used).
 * protocol:      the chosen subprotocol (ws_handshake_select_protocol()), or
 *                NULL for none.
 * extensions:    the Sec-WebSocket-Extensions value accepting extensions
 *                ("permessage-deflate; server_no_context_takeover"), or NULL.
 *                Only accept what the client offered.
 * extra_headers: NULL or "Name: value\r\n" lines, checked as in
 *                ws_http_write_response().
 *
 * When hs->expect_continue, an interim "HTTP/1.1 100 Continue" comes first,
 * as RFC 9110 section 7.8 requires before a 101.
 *
 * Returns the bytes written (not NUL-terminated): send them, then speak
 * WebSocket frames on the connection. WS_E_BUFFER_TOO_SMALL (256 bytes
 * plus the strings is always enough), WS_E_INVALID_ARGUMENT for a protocol
 * that is not a token, a value with CR or LF, or extra_headers that set
 * Sec-WebSocket-Accept, or Sec-WebSocket-Protocol or -Extensions when those
 * are written too (RFC 6455 section 11.3: once per response).
 */
WS_API int ws_handshake_write_response(const ws_handshake_request *hs, const char *protocol,
                                       const char *extensions, const char *extra_headers,
                                       char *out, size_t cap);

/*
 * ws_handshake_write_rejection - the HTTP answer to a failed handshake:
 * status ws_status_http_code(error) (400, 403, 405, 414, 426, 431, 505), a
 * text/plain body with ws_strerror(error) so a person reading it learns
 * what was wrong, "Connection: close", plus "Sec-WebSocket-Version: 13" for
 * 426 (RFC 6455 section 4.4) and "Allow: GET" for 405.
 *
 * error: a negative status with an HTTP code; anything else (WS_OK, a frame
 *        error) is answered 400.
 * Returns the bytes written; send them and close the connection.
 * WS_E_BUFFER_TOO_SMALL (512 bytes is always enough).
 */
WS_API int ws_handshake_write_rejection(int error, char *out, size_t cap);

/* ---- client side (RFC 6455 section 4.1) -------------------------------- */

typedef struct ws_url ws_url; /* see the URL section */

/* What the client offers, beyond what the URL says. Every field may be
 * NULL/0. The same struct is passed to ws_handshake_check_response(). */
typedef struct ws_client_options {
    const char *origin;               /* Origin value ("https://example.com"), or NULL */
    const char *const *protocols;     /* subprotocols offered, most preferred first */
    size_t num_protocols;
    const char *extensions;           /* Sec-WebSocket-Extensions value offered, or NULL */
    const char *extra_headers;        /* NULL or "Name: value\r\n" lines (Authorization...) */
} ws_client_options;

/*
 * ws_handshake_write_request - the client's opening handshake (RFC 6455
 * section 4.1): "GET <target> HTTP/1.1", Host (with ":port" only when it is
 * not the scheme's default, IPv6 literals in brackets), Upgrade, Connection,
 * Sec-WebSocket-Key, Sec-WebSocket-Version: 13, then Origin,
 * Sec-WebSocket-Protocol, Sec-WebSocket-Extensions and the extra headers
 * when given.
 *
 * url:   where to connect (ws_url_parse(), or filled by hand).
 * opts:  may be NULL.
 * nonce: 16 bytes from a good random source, fresh for each connection.
 * key:   receives the Sec-WebSocket-Key sent (24 characters and a NUL); keep
 *        it for ws_handshake_check_response().
 *
 * out, cap: 256 bytes plus the lengths of the host, the target, origin,
 *        extensions, extra_headers and every protocol (+ 2 each) are always
 *        enough.
 *
 * Returns the bytes written (not NUL-terminated): send them, then read the
 * response. WS_E_BUFFER_TOO_SMALL, or WS_E_INVALID_ARGUMENT for a protocol
 * that is not a token, a url->target with a '#' (RFC 6455 section 3), a
 * value or header line with CR/LF, or extra_headers that set Host,
 * Sec-WebSocket-Key or -Version, or Origin, Sec-WebSocket-Protocol or
 * -Extensions when the options write those too (RFC 6455 section 11.3 and
 * RFC 9112 section 3.2: once per request).
 */
WS_API int ws_handshake_write_request(const ws_url *url, const ws_client_options *opts,
                                      const uint8_t nonce[16], char key[WS_KEY_LEN + 1],
                                      char *out, size_t cap);

/* What the server agreed to, pointing into the response buffer. */
typedef struct ws_handshake_response {
    const char *protocol; /* the chosen subprotocol; NULL when none */
    size_t protocol_len;
    size_t num_extensions; /* extensions accepted: read them with ws_handshake_parse_extensions() */
} ws_handshake_response;

/*
 * ws_handshake_check_response - decide whether a parsed response
 * (ws_http_parse_response()) completes the handshake (RFC 6455 section 4.1,
 * the client's checks).
 *
 * key:  the key ws_handshake_write_request() produced.
 * opts: the options the request was written with (may be NULL).
 * hr:   filled on WS_OK (may be NULL).
 *
 * Returns WS_OK (the connection now speaks WebSocket: bytes after the head
 * are frames), or:
 *   WS_E_HS_STATUS              not 101: res->status and res->reason tell
 *                               what the server said ("404 Not Found");
 *   WS_E_HTTP_VERSION           older than HTTP/1.1;
 *   WS_E_HS_RESPONSE_UPGRADE    no "Upgrade: websocket" (Upgrade naming
 *                               anything else too counts as none) or no
 *                               "Connection: Upgrade";
 *   WS_E_HS_BAD_ACCEPT          Sec-WebSocket-Accept missing, repeated or
 *                               not the one for key;
 *   WS_E_HS_UNOFFERED_PROTOCOL  a subprotocol the client did not offer,
 *                               more than one, or a Sec-WebSocket-Protocol
 *                               that is empty or not a token;
 *   WS_E_HS_BAD_EXTENSION, WS_E_HS_UNOFFERED_EXTENSION  a malformed
 *                               extension list, or an extension the client
 *                               did not offer.
 * On any error the client closes the connection (section 4.1: "_Fail the
 * WebSocket Connection_").
 */
WS_API ws_status ws_handshake_check_response(const ws_http_response *res, const char *key,
                                             const ws_client_options *opts,
                                             ws_handshake_response *hr);

/* WS_SECTION_HANDSHAKE_END */

/* ------------------------------------------------------------------------
 * URLs (url.c)
 * ------------------------------------------------------------------------ */
/* WS_SECTION_URL_BEGIN (owned by the URL parser) */

/* A ws:// or wss:// URL (RFC 6455 section 3), pointing into the caller's
 * string. */
struct ws_url {
    bool secure;          /* wss:// */
    bool ipv6;            /* host is an IPv6 literal (given in brackets) */
    bool port_explicit;   /* the URL named a port */
    uint16_t port;        /* the port named, or 80 (ws) / 443 (wss) */
    const char *host;     /* without brackets: "example.com", "::1" */
    size_t host_len;
    const char *target;   /* path and query: "/chat?room=1". When the URL
                             has neither path nor query this is the static
                             string "/", the one pointer that is not into
                             the URL. "ws://h?q=1" has no path: target is
                             "?q=1" and the request line gets "/?q=1". */
    size_t target_len;
};

/*
 * ws_url_parse - split a WebSocket URL: "ws://host[:port][/path][?query]"
 * or "wss://...". Scheme matching ignores case; a host is a registered name
 * (letters, digits, "-._~", percent-escapes, sub-delims) or an IPv6 literal
 * in brackets.
 *
 * url, len: the URL (need not be NUL-terminated).
 * out:      filled on WS_OK.
 *
 * Returns WS_OK or:
 *   WS_E_URL_SCHEME    not ws:// or wss:// (http://, wss:/x, ...);
 *   WS_E_URL_HOST      empty or malformed host, or bad IPv6 literal;
 *   WS_E_URL_USERINFO  user:password@ before the host (credentials do
 *                      not belong in a WebSocket URL; not supported);
 *   WS_E_URL_PORT      a port that is not digits, 0 or above 65535. An
 *                      empty port ("ws://h:/") means the default, as in
 *                      RFC 3986 section 3.2.3;
 *   WS_E_URL_FRAGMENT  a '#' anywhere (RFC 6455 section 3 forbids it);
 *   WS_E_URL_SYNTAX    a space, control character, non-ASCII byte or other
 *                      character RFC 3986 does not allow, or a bad %-escape.
 */
WS_API ws_status ws_url_parse(const char *url, size_t len, ws_url *out);

/*
 * ws_url_write - the URL back as text: scheme, host (bracketed when ipv6),
 * ":port" when port_explicit or not the scheme's default, target. Writes a
 * NUL after it when there is room.
 * Returns the length written (without the NUL), or WS_E_BUFFER_TOO_SMALL.
 */
WS_API int ws_url_write(const ws_url *url, char *out, size_t cap);

/* WS_SECTION_URL_END */

#ifdef __cplusplus
}
#endif

#endif /* WS_WSFRAME_H */
