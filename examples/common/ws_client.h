/*
 * ws_client.h - one WebSocket client connection for the examples: a ws://
 * or wss:// URL becomes a TCP connection (getaddrinfo, IPv4 or IPv6), TLS
 * for wss:// (tls.h, when built with OpenSSL), the opening handshake, then
 * frames in both directions. libwsframe does every piece of
 * protocol work; this module only moves bytes between it and a socket.
 *
 * Connecting blocks (bounded by a timeout): a command-line client has nothing
 * else to do until the server has answered. After that the socket is
 * non-blocking and the caller drives it from its event loop:
 *
 *   readable  -> client_receive(): reads, hands out events, answers pings
 *   writable  -> client_flush()
 *   after any of them, and after sending -> client_state() says what to do:
 *                wait for a close, wait for the TCP close, or finish.
 */
#ifndef EXAMPLES_WS_CLIENT_H
#define EXAMPLES_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "net.h"
#include "sendq.h"
#include "wsframe.h"

/* Bytes queued for the socket beyond which the caller should stop producing
 * messages until client_flush() has written some. Above it, pongs are not
 * queued either: only the latest one is kept and sent once there is room
 * (RFC 6455 section 5.5.3 allows answering only the most recent ping). */
#define CLIENT_QUEUE_LIMIT (256u * 1024u)

typedef struct client_config {
    const char *url;                /* ws:// or wss://host[:port][/path] */
    const char *const *protocols;   /* subprotocols to offer, preferred first */
    size_t num_protocols;
    const char *origin;             /* Origin value, or NULL */
    const char *extra_headers;      /* NULL or "Name: value\r\n" lines */
    uint64_t max_message;           /* largest message (and frame) accepted; 0: default */
    int timeout_ms;                 /* for the TCP connect, and again for each handshake */
    const char *ca_file;            /* wss://: trusted CAs (PEM); NULL: the system's */
    bool insecure;                  /* wss://: no certificate or host name check */
    const char *proxy;              /* NULL, or an HTTP proxy to tunnel through with
                                       CONNECT: "HOST:PORT" or "http://HOST:PORT" */
} client_config;

/* Whether this build speaks wss:// (OpenSSL was found). */
bool client_has_tls(void);

typedef enum client_event_type {
    CLIENT_EV_MESSAGE, /* a whole text or binary message: opcode, data, len */
    CLIENT_EV_PING,    /* data, len: its payload; the pong is already queued */
    CLIENT_EV_PONG,    /* data, len: its payload */
    CLIENT_EV_CLOSE    /* close_code (1005: none), data/len: the reason (UTF-8) */
} client_event_type;

typedef struct client_event {
    client_event_type type;
    uint8_t opcode;      /* CLIENT_EV_MESSAGE: WS_OP_TEXT or WS_OP_BINARY */
    const uint8_t *data; /* valid until the next client_* call */
    size_t len;
    uint16_t close_code;
} client_event;

typedef void (*client_event_fn)(const client_event *ev, void *arg);

/* Where the connection stands, from ws_closing_next(). */
typedef enum client_state_kind {
    CLIENT_OPEN,        /* messages flow both ways */
    CLIENT_CLOSING,     /* our close went out; waiting for the server's (arm a timer) */
    CLIENT_WAIT_TCP,    /* close frames went both ways; waiting for the server's TCP close */
    CLIENT_DONE         /* nothing more to read; finish once client_queued() is 0 */
} client_state_kind;

typedef struct client_conn {
    int fd;
    struct tls_conn *tls;       /* wss://, else NULL */
    char peer[NET_ADDR_STRLEN]; /* address connected to: "127.0.0.1:8080" */
    char protocol[128];         /* subprotocol the server chose; "" for none */

    ws_parser parser;
    ws_writer writer;
    ws_closing closing;

    uint8_t *in; /* received bytes not yet parsed: an incomplete header or control frame */
    size_t in_len, in_cap;

    bytebuf msg; /* the message being received, assembled from DATA events */
    uint8_t msg_opcode;

    sendq out;
    uint8_t pong[WS_MAX_CONTROL_PAYLOAD]; /* the latest ping not yet answered */
    size_t pong_len;
    bool pong_waiting;

    bool peer_eof;      /* read() returned 0 or failed */
    int protocol_error; /* the server broke the protocol: the ws_status, else 0 */
    int io_errno;       /* a socket error, else 0 */
    bool out_of_memory; /* an allocation failed: the connection was dropped */
} client_conn;

/*
 * client_out_of_memory - drop c because memory for it ran out: a message or
 * a control frame (our close included) could not be queued, or a message
 * received could not be held. A connection that lost one of these cannot go
 * on as the peer expects, and a close frame would need memory too, so the
 * socket is given up at once (the server sees 1006): client_state() is
 * CLIENT_DONE and out_of_memory says why. ws_client.c calls it itself;
 * callers whose own allocation for c failed (a line to send) may too.
 */
void client_out_of_memory(client_conn *c);

/*
 * client_connect - resolve the URL's host, connect to the first address that
 * answers, send the opening handshake and check the response.
 *
 * Returns 0 with c ready for the event loop (fd non-blocking), or -1 with a
 * sentence in err: "connection refused (127.0.0.1 port 9)", "could not
 * resolve host ...", "handshake failed: server answered 404 Not Found",
 * "handshake failed: <ws_strerror>", "TLS handshake failed: certificate
 * verify failed: ...", "wss:// needs TLS, which this build does not have".
 * On -1 nothing is left open.
 */
int client_connect(client_conn *c, const client_config *cfg, char *err, size_t err_cap);

/* Whether client_config.proxy would be accepted; if not, a sentence in err. */
bool client_proxy_valid(const char *proxy, char *err, size_t err_cap);

/* Close the socket and free the buffers. */
void client_free(client_conn *c);

/*
 * client_receive - read what the socket has (once; the loop is level-
 * triggered) and hand every complete event to fn. Pings are answered here.
 * A protocol error, the server's close frame and the TCP close all move the
 * close handshake along: call client_state() afterwards.
 */
void client_receive(client_conn *c, client_event_fn fn, void *arg);

/*
 * client_send_message - queue a text or binary message (one masked frame).
 * Returns 0, or a negative ws_status: WS_E_INVALID_UTF8 (text that is not
 * UTF-8), WS_E_CLOSING (a close already went out), WS_E_BUFFER_TOO_SMALL
 * (out of memory).
 */
int client_send_message(client_conn *c, ws_opcode opcode, const void *data, size_t len);

/* Queue a ping or an unsolicited pong (len <= 125). Same returns, plus
 * WS_E_CONTROL_TOO_LONG. */
int client_send_ping(client_conn *c, const void *payload, size_t len);
int client_send_pong(client_conn *c, const void *payload, size_t len);

/* Start the close handshake with code (0: none) and reason. Returns 0 or the
 * ws_status of an invalid code or reason; a close already under way is not an
 * error. */
int client_close(client_conn *c, uint16_t code, const char *reason, size_t reason_len);

/* Write what the socket takes. Returns 0, or -1 when the connection is dead
 * (c->io_errno set; the state becomes CLIENT_DONE). */
int client_flush(client_conn *c);

/* Bytes queued for the socket. */
size_t client_queued(const client_conn *c);

/* The socket must be watched for writability: bytes are queued (and TLS
 * is not waiting to read first), or TLS must write before it can go on
 * reading. */
bool client_wants_write(const client_conn *c);

/* The socket is writable: client_flush(), and the read TLS held back
 * waiting for it (events go to fn as in client_receive). */
void client_writable(client_conn *c, client_event_fn fn, void *arg);

/* The timer armed for CLIENT_CLOSING / CLIENT_WAIT_TCP expired. */
void client_timeout(client_conn *c);

/* Advance the close handshake (queueing our close frame when it is due) and
 * say where the connection stands. */
client_state_kind client_state(client_conn *c);

/* Why the connection broke (io_errno's sentence, or TLS's), or "". */
const char *client_io_error(const client_conn *c);

/* True once close frames went both ways. */
bool client_closed_cleanly(const client_conn *c);

/* The server's close code: from its close frame, 1005 when that had none,
 * 1006 when none came. */
uint16_t client_peer_code(const client_conn *c);

#endif
