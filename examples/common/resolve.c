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
 *
 * The threads are joined, not detached, so that a process can wait for
 * them to be gone before it exits (resolve_wait_idle): glibc lets go of a
 * thread's resolver state only as the thread ends, and state still held at
 * exit is never freed (valgrind reports it lost). A finished thread is
 * joined by the next resolve_start, so at most the threads of one burst of
 * lookups wait to be joined.
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
#include <time.h>
#include <unistd.h>

/* The lookup threads not yet joined, process-wide (threads are the
 * process's, not a loop's). */
typedef struct lookup_thread {
    pthread_t id;
    bool done; /* past its last use of anything shared: join it */
    struct lookup_thread *next;
} lookup_thread;

static pthread_mutex_t threads_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t thread_done = PTHREAD_COND_INITIALIZER;
static lookup_thread *threads;

/* Join the threads that are done (each is returning, so it takes a moment)
 * and forget them. Called with threads_lock held, which a done thread no
 * longer takes. Returns true when no thread is left. */
static bool reap_locked(void)
{
    for (lookup_thread **pp = &threads; *pp;) {
        lookup_thread *t = *pp;
        if (!t->done) {
            pp = &t->next;
            continue;
        }
        pthread_join(t->id, NULL);
        *pp = t->next;
        free(t);
    }
    return threads == NULL;
}

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
    lookup_thread *thread; /* the lookup's, for the lookup's own use */
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
    lookup_thread *self = r->thread;
    release(r);
    pthread_mutex_lock(&threads_lock);
    self->done = true;
    pthread_cond_broadcast(&thread_done);
    pthread_mutex_unlock(&threads_lock);
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

    lookup_thread *t = calloc(1, sizeof *t);
    if (!t)
        goto fail;
    r->thread = t;
    /* The thread takes no signal: they belong to the loop's signalfd, or
     * to the main thread's default handling. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_mutex_lock(&threads_lock);
    reap_locked();
    int err = pthread_create(&t->id, NULL, lookup, r);
    if (err == 0) {
        t->next = threads;
        threads = t;
    }
    pthread_mutex_unlock(&threads_lock);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        free(t);
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

bool resolve_wait_idle(unsigned timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline); /* the clock of pthread_cond_timedwait */
    deadline.tv_sec += timeout_ms / 1000u;
    deadline.tv_nsec += (long)(timeout_ms % 1000u) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&threads_lock);
    bool idle;
    while (!(idle = reap_locked()) &&
           pthread_cond_timedwait(&thread_done, &threads_lock, &deadline) == 0)
        ;
    if (!idle)
        idle = reap_locked();
    pthread_mutex_unlock(&threads_lock);
    return idle;
}
