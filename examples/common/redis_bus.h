/*
 * redis_bus.h - fan chat messages out between server instances through a
 * Redis pub/sub channel, so clients on different machines behind one load
 * balancer share one room.
 *
 * Each instance delivers its own clients' messages locally at once and
 * publishes them; what the other instances published arrives through
 * on_message. Every message on the channel carries the publishing instance's
 * random id and the opcode, so an instance recognizes its own messages when
 * Redis hands them back and ignores them: every client receives every
 * message once. Redis delivers one publisher connection's messages in
 * order, so each sender's messages stay in order everywhere.
 *
 * Redis is an optional helper, never a dependency of local delivery: while
 * it is away the instance keeps serving its own clients, logs the outage
 * once, queues what it has to publish up to max_queued_bytes (beyond that it
 * drops messages, with one log line per episode), and reconnects with a
 * backoff of 100 ms doubling up to 5 s. What was published while another
 * instance was not subscribed is lost for that instance: pub/sub has no
 * history. Messages in flight when a connection drops are not sent again,
 * so nothing is ever delivered twice.
 *
 * Two connections, both driven by loop.h through hiredis's async API: one
 * SUBSCRIBEd (a subscribed connection can issue nothing else) and one for
 * PUBLISH. No threads.
 *
 * Wire format of a channel message (binary safe, Redis strings are):
 *   "wsc1" | 8-byte instance id | 'T' (text) or 'B' (binary) | payload
 */
#ifndef EXAMPLES_REDIS_BUS_H
#define EXAMPLES_REDIS_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "wsframe.h"

typedef struct redis_bus redis_bus;

/* A message another instance published: opcode WS_OP_TEXT (valid UTF-8,
 * checked here, since anyone may publish to a Redis channel) or
 * WS_OP_BINARY. data is valid during the call only. */
typedef void (*redis_bus_fn)(ws_opcode opcode, const uint8_t *data, size_t len, void *arg);

typedef struct redis_bus_options {
    const char *url;         /* redis://[[USER]:PASSWORD@]HOST[:PORT][/CHANNEL], see redis_bus_parse_url */
    size_t max_message;      /* bigger messages from the channel are dropped; 0: no limit */
    size_t max_queued_bytes; /* publish backlog (waiting or unacknowledged); 0: 8 MiB */
    redis_bus_fn on_message;
    void *arg;
} redis_bus_options;

#define REDIS_BUS_DEFAULT_PORT 6379
#define REDIS_BUS_DEFAULT_CHANNEL "wsframe-chat"
#define REDIS_BUS_HOST_MAX 256
#define REDIS_BUS_CHANNEL_MAX 256
#define REDIS_BUS_CREDENTIAL_MAX 256

typedef struct redis_bus_url {
    char host[REDIS_BUS_HOST_MAX];
    uint16_t port;
    char channel[REDIS_BUS_CHANNEL_MAX];
    /* Percent-decoded. An empty password: no AUTH. An empty user with a
     * password: "AUTH password" (requirepass, or the default ACL user);
     * both: "AUTH user password" (a Redis 6+ ACL user). */
    char user[REDIS_BUS_CREDENTIAL_MAX];
    char password[REDIS_BUS_CREDENTIAL_MAX];
} redis_bus_url;

/*
 * Split "redis://[[USER]:PASSWORD@]HOST[:PORT][/CHANNEL]" into *out (HOST
 * may be "[v6 literal]"; PORT defaults to 6379, CHANNEL to "wsframe-chat").
 * As with redis-cli -u, "redis://PASSWORD@HOST" is a password alone. A
 * '@', ':' or '/' inside USER or PASSWORD is written %40, %3A, %2F; %00 is
 * refused. Database numbers and query strings are refused rather than
 * ignored. Returns true, or false with a sentence in err (which never
 * repeats the password).
 */
bool redis_bus_parse_url(const char *url, redis_bus_url *out, char *err, size_t err_cap);

/*
 * Start a bus on loop l: parses the URL, picks the instance id and starts
 * connecting in the background (an unreachable Redis is not an error here:
 * the instance serves its own clients and keeps trying). Returns NULL with
 * a sentence in err for a bad URL or when out of memory. Ignores SIGPIPE for
 * the process: hiredis writes with write(2), and a Redis that goes away
 * must not kill the server.
 *
 * A HOST that is a name is looked up again before every (re)connect, on a
 * thread of its own (resolve.h), so a slow or dead DNS server delays only
 * the Redis connection, never the clients; its addresses are tried in
 * turn before the attempt counts as failed.
 */
redis_bus *redis_bus_new(loop *l, const redis_bus_options *o, char *err, size_t err_cap);

/* Publish a local client's message to the other instances (the caller
 * delivers it to its own clients itself). Never blocks; drops the message
 * with a log line when the backlog is full. */
void redis_bus_publish(redis_bus *b, ws_opcode opcode, const uint8_t *data, size_t len);

/* Close both connections and free everything; messages not yet published
 * are dropped. NULL is ignored. */
void redis_bus_free(redis_bus *b);

#endif
