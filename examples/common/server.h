/*
 * server.h - a WebSocket server on top of loop.h and libwsframe, shared by
 * echo_server and chat_server.
 *
 * It accepts TCP connections, reads the HTTP request head (within a
 * handshake timeout and a header size limit), answers the WebSocket upgrade
 * or hands plain HTTP requests to the application, then runs the stream
 * parser and hands the application whole messages. Everything about the
 * protocol (parsing, validation, responses, frames, the close handshake) is
 * libwsframe's; this module only moves bytes and keeps time.
 *
 * Every connection reads into one 64 KiB buffer of the server's (bigger
 * reads are cheaper; the parser never needs more than WS_PARSER_MIN_BUFFER).
 * Per connection it keeps:
 *   - only the input not consumed yet (part of a request head, of a frame
 *     header, of a control frame, or a message of up to 125 bytes that the
 *     parser holds back until it is whole), in a buffer that exists while
 *     there is some: an idle client holds no read buffer;
 *   - a message buffer, up to limits.max_message_size (the parser refuses
 *     bigger messages with 1009 before their payload arrives), used only
 *     for a message that does not arrive whole in one read (fragmented, or
 *     longer than 125 bytes and cut by the network): the others go to
 *     on_message from where they were read;
 *   - a send queue of shared buffers (sendq.h) with a byte bound: a client
 *     whose queue grows past max_queued_bytes while it still drains it
 *     (a burst outran it) holds every client's input until it is back
 *     under read_pause_bytes; one that drains nothing for 2 s, holds the
 *     others for 10 s, or grows 16 times past the bound is a slow consumer
 *     and is dropped: its unsent
 *     backlog is discarded and it gets a close frame with 1008 (policy
 *     violation: the client did not keep up with what it subscribed to;
 *     1013 "try again later" would blame the server). While
 *     its queue holds more than read_pause_bytes we stop reading from it,
 *     so a client that sends faster than it reads (an echo client) is slowed
 *     down, not dropped. What is queued during one loop iteration is
 *     written after its events, all of a client's frames in one writev;
 *   - one timer: the handshake deadline, then the keepalive (a ping after
 *     ping_interval_ms without hearing from the peer, a drop after another
 *     interval of silence), then the close handshake deadline.
 */
#ifndef EXAMPLES_SERVER_H
#define EXAMPLES_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "sendq.h"
#include "wsframe.h"

typedef struct server server;
typedef struct conn conn;

#define SERVER_MAX_PROTOCOLS 16

typedef struct server_options {
    const char *host;            /* where to listen: every address it resolves to
                                  * (net_listen); NULL: every interface */
    uint16_t port;               /* 0: any free port (see server_port) */
    ws_limits limits;            /* message/frame size, HTTP head size and count... */
    size_t max_clients;          /* WebSocket clients at once, more get 503; 0: as many
                                  * as the descriptor hard limit leaves room for */
    const char *const *origins;  /* Origin allow-list; 0 entries: any origin */
    size_t num_origins;
    unsigned handshake_timeout_ms; /* the request head must be complete by then */
    unsigned ping_interval_ms;     /* keepalive period; 0: never ping */
    unsigned close_timeout_ms;     /* wait for the peer's close frame after ours */
    size_t max_queued_bytes;       /* per client send queue bound; beyond it: close 1008 */
    size_t read_pause_bytes;       /* stop reading from a client while it has this much queued */
    /* Subprotocols the server speaks, most preferred first: the 101 names
     * the first of them the client offered (ws_handshake_select_protocol);
     * none in common: the 101 has no Sec-WebSocket-Protocol, which Chromium
     * and Node's ws treat as a failed handshake. With no list at all the
     * 101 names the client's first offer, as Node's ws server does, so a
     * page that passes protocols to new WebSocket() still connects. */
    const char *protocols[SERVER_MAX_PROTOCOLS];
    size_t num_protocols;
} server_options;

/* Defaults: host "localhost" (127.0.0.1 and ::1), port 0, ws_limits_default(), no client limit,
 * any origin, handshake 10 s, ping every 30 s, close wait 5 s, queue bound
 * 8 MiB, read pause at 1 MiB. */
void server_options_default(server_options *o);

/* What the application does with connections. Every callback may be NULL. */
typedef struct server_handlers {
    /* A request that is not a WebSocket upgrade. Answer it with
     * conn_http_reply(); req points into the connection's buffer and is valid
     * during the call only. Without a handler, or without a reply, the answer
     * is 426 Upgrade Required. */
    void (*on_http)(conn *c, const ws_http_request *req, void *arg);
    /* The handshake is done; the connection is a client now. */
    void (*on_open)(conn *c, void *arg);
    /* One whole message (opcode WS_OP_TEXT, valid UTF-8, or WS_OP_BINARY).
     * data is valid during the call only. */
    void (*on_message)(conn *c, ws_opcode opcode, const uint8_t *data, size_t len, void *arg);
    /* A client is gone. code is what its close frame said (1005: no code),
     * or 1006 when it never sent one. The connection is freed afterwards. */
    void (*on_close)(conn *c, uint16_t code, void *arg);
    void *arg;
} server_handlers;

/* Listen and start accepting on loop l. Returns NULL with a message in err
 * on failure. Options and handlers are copied (the origins array is not: it
 * must outlive the server). */
server *server_new(loop *l, const server_options *o, const server_handlers *h, char *err,
                   size_t err_cap);

/* Close every connection at once and free the server. */
void server_free(server *s);

/* The i-th address listened on, "127.0.0.1:41234" or "[::1]:41234", IPv4
 * first; NULL past the last one. Shutting down stops listening: none then. */
const char *server_address(const server *s, size_t i);
uint16_t server_port(const server *s);

/* WebSocket clients currently open. */
size_t server_client_count(const server *s);

/* Stop accepting, send a close frame with code to every client, and stop
 * the loop when all of them are gone or after timeout_ms, whichever comes
 * first. Connections still handshaking are dropped at once. */
void server_shutdown(server *s, uint16_t code, unsigned timeout_ms);

/* Queue frame (an encoded frame, see frame_new) to every open client; each
 * queue takes a reference, so the frame is encoded once for all. */
void server_broadcast(server *s, sbuf *frame);

/*
 * frame_new - encode one unfragmented, unmasked frame (the server's kind)
 * into a new shared buffer: header, then prefix, then data. prefix may be
 * NULL/0. For WS_OP_TEXT the caller guarantees prefix + data is UTF-8.
 * Returns NULL when out of memory.
 */
sbuf *frame_new(ws_opcode opcode, const void *prefix, size_t prefix_len, const void *data,
                size_t len);

/* The server c belongs to. */
server *conn_server(const conn *c);

/* "203.0.113.7:51234", for logs: formatted on each call (the connection
 * keeps only the binary address) into a buffer of the server's that the
 * next call reuses. */
const char *conn_peer(const conn *c);

/* Queue a frame made by frame_new to c (takes a reference). Returns false
 * when c is closing or was just dropped as a slow consumer. */
bool conn_send_frame(conn *c, sbuf *frame);

/* Encode and queue one message to c. Returns false as conn_send_frame. */
bool conn_send(conn *c, ws_opcode opcode, const void *data, size_t len);

/* Start the close handshake with code (and an optional UTF-8 reason of at
 * most 123 bytes). */
void conn_close(conn *c, uint16_t code, const char *reason);

/*
 * conn_http_reply - answer the plain HTTP request being handled in on_http:
 * status, Content-Type (NULL: none), extra header lines ("Allow: GET\r\n",
 * or NULL) and body. The connection closes after the response is sent.
 */
void conn_http_reply(conn *c, int status, const char *content_type, const char *extra_headers,
                     const void *body, size_t body_len);

/* The application's pointer for c; NULL until set. */
void *conn_user(const conn *c);
void conn_set_user(conn *c, void *user);

#endif
