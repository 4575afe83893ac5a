#include "sendq.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

/* Buffers per writev call: as many as the kernel takes, since a client's
 * whole batch of small frames should go in one syscall. */
#ifdef IOV_MAX
#define SENDQ_IOV IOV_MAX
#else
#define SENDQ_IOV 1024
#endif

/* Slots of a queue's first array. */
#define SENDQ_FIRST_CAP 8u

sbuf *sbuf_new(size_t len)
{
    sbuf *b = malloc(sizeof *b + len);
    if (!b)
        return NULL;
    b->refs = 1;
    b->len = len;
    return b;
}

sbuf *sbuf_copy(const void *data, size_t len)
{
    sbuf *b = sbuf_new(len);
    if (b && len)
        memcpy(b->data, data, len);
    return b;
}

sbuf *sbuf_message(ws_writer *w, ws_opcode opcode, const void *data, size_t len, int *status)
{
    size_t size = ws_message_size(w, len);
    sbuf *b = sbuf_new(size);
    if (!b) {
        *status = 0;
        return NULL;
    }
    ptrdiff_t n = ws_message_write(w, opcode, data, len, b->data, size);
    if (n < 0) {
        *status = (int)n;
        sbuf_unref(b);
        return NULL;
    }
    b->len = (size_t)n;
    return b;
}

sbuf *sbuf_ref(sbuf *b)
{
    b->refs++;
    return b;
}

void sbuf_unref(sbuf *b)
{
    if (b && --b->refs == 0)
        free(b);
}

void sendq_init(sendq *q) { *q = (sendq){0}; }

void sendq_free(sendq *q)
{
    for (size_t i = 0; i < q->count; i++)
        sbuf_unref(q->items[(q->head + i) % q->cap]);
    free(q->items);
    *q = (sendq){0};
}

int sendq_push(sendq *q, sbuf *b)
{
    if (q->count == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : SENDQ_FIRST_CAP;
        sbuf **items = malloc(cap * sizeof *items);
        if (!items)
            return -1;
        for (size_t i = 0; i < q->count; i++)
            items[i] = q->items[(q->head + i) % q->cap];
        free(q->items);
        q->items = items;
        q->cap = cap;
        q->head = 0;
    }
    q->items[(q->head + q->count) % q->cap] = sbuf_ref(b);
    q->count++;
    q->bytes += b->len;
    return 0;
}

void sendq_drop_unsent(sendq *q)
{
    size_t keep = (q->count > 0 && q->offset > 0) ? 1 : 0;
    while (q->count > keep) {
        size_t last = (q->head + q->count - 1) % q->cap;
        q->bytes -= q->items[last]->len;
        sbuf_unref(q->items[last]);
        q->count--;
    }
}

static ssize_t write_fd(void *ctx, const struct iovec *iov, int n)
{
    return writev(*(const int *)ctx, iov, n);
}

int sendq_flush(sendq *q, int fd) { return sendq_flush_with(q, write_fd, &fd); }

int sendq_flush_with(sendq *q, sendq_write_fn write, void *ctx)
{
    while (q->count > 0) {
        struct iovec iov[SENDQ_IOV];
        int n = 0;
        size_t want = 0;
        for (size_t i = 0; i < q->count && n < SENDQ_IOV; i++) {
            sbuf *b = q->items[(q->head + i) % q->cap];
            size_t skip = i == 0 ? q->offset : 0;
            iov[n].iov_base = b->data + skip;
            iov[n].iov_len = b->len - skip;
            want += iov[n].iov_len;
            n++;
        }
        ssize_t w = write(ctx, iov, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            return -1;
        }
        size_t left = (size_t)w;
        q->bytes -= left;
        while (left > 0) {
            sbuf *b = q->items[q->head];
            size_t rest = b->len - q->offset;
            if (left < rest) {
                q->offset += left;
                break;
            }
            left -= rest;
            sbuf_unref(b);
            q->head = (q->head + 1) % q->cap;
            q->count--;
            q->offset = 0;
        }
        if (q->count == 0 && q->cap <= SENDQ_FIRST_CAP) {
            /* An idle connection keeps no array; one that had to grow it
             * is busy and keeps it for the next batch. */
            free(q->items);
            q->items = NULL;
            q->cap = 0;
            q->head = 0;
        }
        /* A short write means the socket buffer is full: save the syscall
         * that would only say EAGAIN. */
        if ((size_t)w < want)
            return 0;
    }
    return 1;
}
