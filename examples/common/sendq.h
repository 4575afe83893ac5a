/*
 * sendq.h - reference-counted byte buffers and a per-connection queue of
 * them, written with writev.
 *
 * A broadcast frame is encoded once into one sbuf; every recipient's queue
 * holds a reference to it, so a message to N clients costs one payload copy,
 * not N. The last reference to go frees it.
 */
#ifndef EXAMPLES_SENDQ_H
#define EXAMPLES_SENDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "wsframe.h"

typedef struct sbuf {
    size_t refs;
    size_t len;      /* bytes of data in use */
    uint8_t data[]; /* allocated with room for len bytes */
} sbuf;

/* A buffer of len bytes (contents undefined) with one reference, or NULL. */
sbuf *sbuf_new(size_t len);
/* A buffer holding a copy of data's len bytes, or NULL. */
sbuf *sbuf_copy(const void *data, size_t len);
/* One whole message encoded by w (ws_message_write: one frame, or frames
 * of w's maximum payload; masked in the client role) into a new buffer.
 * Returns it, or NULL with *status set to the writer's ws_status (closing,
 * invalid UTF-8...) or to 0 when out of memory. */
sbuf *sbuf_message(ws_writer *w, ws_opcode opcode, const void *data, size_t len, int *status);
/* Another reference; returns b. */
sbuf *sbuf_ref(sbuf *b);
/* Drop a reference; frees b with the last one. NULL is ignored. */
void sbuf_unref(sbuf *b);

/* One per connection, so kept small; an empty queue of a connection that
 * is not busy holds no allocation. */
typedef struct sendq {
    sbuf **items; /* ring buffer; NULL while empty and small */
    uint32_t head, count, cap;
    size_t offset; /* bytes of items[head] already written */
    size_t bytes;  /* bytes still to write, across all items */
} sendq;

void sendq_init(sendq *q);
/* Drop every queued buffer. */
void sendq_free(sendq *q);

/* Queue b (takes a new reference; the caller keeps its own). Returns 0, or
 * -1 when out of memory. */
int sendq_push(sendq *q, sbuf *b);

/* Forget every buffer that has not started going out; a buffer partly
 * written stays, since the peer must receive whole frames. Used to drop a
 * slow consumer: its backlog goes, a close frame goes after it. */
void sendq_drop_unsent(sendq *q);

/* Write as much as the socket takes. Returns 1 when the queue is empty, 0
 * when the socket is full (EAGAIN: wait for writability), -1 on an error
 * (errno set; the connection is dead). */
int sendq_flush(sendq *q, int fd);

/* sendq_flush through another writer (TLS): write takes buffers in order
 * like writev and returns the bytes taken, or -1 with errno (EAGAIN when
 * it would block). */
struct iovec;
typedef ssize_t (*sendq_write_fn)(void *ctx, const struct iovec *iov, int n);
int sendq_flush_with(sendq *q, sendq_write_fn write, void *ctx);

static inline bool sendq_empty(const sendq *q) { return q->count == 0; }

#endif
