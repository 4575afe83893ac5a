/*
 * Name lookups on their own thread, answered on the loop (see resolve.h).
 *
 * A request is owned twice: by the loop side until the answer is handed
 * out or the request is cancelled, and by its thread until the lookup
 * returns. Whichever lets go last frees it, so a cancelled lookup that is
 * still waiting on DNS needs nobody to wait for it. One mutex orders the
 * hand-over of the answer and the count of owners: it is taken a few times
 * per lookup, and tools such as helgrind can follow it (they cannot follow
 * C11 atomics).
 */
#include "resolve.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct resolve_req {
    loop_io io;
    int efd;
    pthread_mutex_t lock; /* guards owners and answered */
    int owners;
    bool answered; /* res, gai_error and errno_value are set, and final */
    resolve_fn fn;
    void *arg;
    char host[NI_MAXHOST];
    char service[8];
    struct addrinfo *res;
    int gai_error, errno_value;
};

static void release(resolve_req *r)
{
    pthread_mutex_lock(&r->lock);
    const bool last = --r->owners == 0;
    pthread_mutex_unlock(&r->lock);
    if (!last)
        return;
    pthread_mutex_destroy(&r->lock);
    if (r->res)
        freeaddrinfo(r->res);
    close(r->efd);
    free(r);
}

static void *lookup(void *arg)
{
    resolve_req *r = arg;
    /* No AI_ADDRCONFIG: on a host whose only interface is loopback it
     * hides 127.0.0.1 and ::1, and "localhost" would not resolve. */
    const struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    errno = 0;
    const int gai_error = getaddrinfo(r->host, r->service, &hints, &res);
    const int errno_value = errno;
    pthread_mutex_lock(&r->lock);
    r->res = gai_error == 0 ? res : NULL;
    r->gai_error = gai_error;
    r->errno_value = errno_value;
    r->answered = true;
    pthread_mutex_unlock(&r->lock);
    const uint64_t one = 1;
    ssize_t n;
    do
        n = write(r->efd, &one, sizeof one);
    while (n < 0 && errno == EINTR);
    release(r);
    return NULL;
}

static void on_answer(loop_io *io, void *arg)
{
    (void)io;
    resolve_req *r = arg;
    pthread_mutex_lock(&r->lock);
    const bool answered = r->answered;
    pthread_mutex_unlock(&r->lock);
    if (!answered)
        return;
    loop_io_stop(&r->io);
    r->fn(r->arg, r->res, r->gai_error, r->errno_value);
    release(r);
}

resolve_req *resolve_start(loop *l, const char *host, unsigned port, resolve_fn fn, void *arg)
{
    if (strlen(host) >= NI_MAXHOST) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    resolve_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->efd < 0) {
        free(r);
        return NULL;
    }
    snprintf(r->host, sizeof r->host, "%s", host);
    snprintf(r->service, sizeof r->service, "%u", port);
    r->fn = fn;
    r->arg = arg;
    pthread_mutex_init(&r->lock, NULL);
    r->owners = 2;
    loop_io_init(&r->io, l, r->efd, on_answer, NULL, r);
    if (loop_io_set(&r->io, LOOP_READ) < 0)
        goto fail;

    /* The thread takes no signal: they belong to the loop's signalfd, or
     * to the main thread's default handling. */
    pthread_attr_t attr;
    sigset_t all, old;
    sigfillset(&all);
    int err = pthread_attr_init(&attr);
    if (err == 0) {
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pthread_t thread;
        err = pthread_create(&thread, &attr, lookup, r);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        pthread_attr_destroy(&attr);
    }
    if (err != 0) {
        errno = err;
        goto fail;
    }
    return r;

fail:;
    const int saved = errno;
    loop_io_stop(&r->io);
    pthread_mutex_destroy(&r->lock);
    close(r->efd);
    free(r);
    errno = saved;
    return NULL;
}

void resolve_cancel(resolve_req *r)
{
    if (!r)
        return;
    loop_io_stop(&r->io);
    release(r);
}
