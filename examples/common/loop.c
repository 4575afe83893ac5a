/* The epoll event loop: fd watchers, a binary heap of timers, signalfd. */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_MAX_EVENTS 64
#define LOOP_MAX_SIGNALS 8
/* Timer slots allocated with the loop. loop_timer_start allocates only past
 * this many running timers, so a program with fewer (chat_client) can always
 * start one: a close or ping timeout that failed to start for want of
 * memory would leave it waiting for ever. */
#define LOOP_FIRST_TIMERS 64

struct signal_handler {
    int signo;
    loop_signal_fn fn;
    void *arg;
};

struct loop {
    int epfd;
    bool stop;
    uint64_t now_ms;

    /* The batch being dispatched, so loop_io_stop can drop events that are
     * already fetched for a watcher that goes away. */
    struct epoll_event events[LOOP_MAX_EVENTS];
    int nevents;
    int cursor;

    loop_defer *deferred, *deferred_tail; /* armed loop_defers, in arming order */

    loop_timer **heap; /* min-heap on due_ms_ */
    size_t heap_len, heap_cap;

    int sigfd;
    loop_io sig_io;
    sigset_t sigmask;
    struct signal_handler signals[LOOP_MAX_SIGNALS];
    size_t nsignals;
};

static uint64_t monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

loop *loop_new(void)
{
    loop *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->heap = malloc(LOOP_FIRST_TIMERS * sizeof *l->heap);
    l->heap_cap = LOOP_FIRST_TIMERS;
    l->epfd = l->heap ? epoll_create1(EPOLL_CLOEXEC) : -1;
    if (l->epfd < 0) {
        free(l->heap);
        free(l);
        return NULL;
    }
    l->sigfd = -1;
    sigemptyset(&l->sigmask);
    l->now_ms = monotonic_ms();
    return l;
}

void loop_free(loop *l)
{
    if (!l)
        return;
    if (l->sigfd >= 0)
        close(l->sigfd);
    close(l->epfd);
    free(l->heap);
    free(l);
}

void loop_stop(loop *l) { l->stop = true; }

uint64_t loop_now_ms(const loop *l) { return l->now_ms; }

/* ---------------------------------------------------------------- fds */

void loop_io_init(loop_io *io, loop *l, int fd, loop_io_fn on_read, loop_io_fn on_write,
                  void *arg)
{
    io->loop_ = l;
    io->fd_ = fd;
    io->interest_ = 0;
    io->in_epoll_ = false;
    io->on_read_ = on_read;
    io->on_write_ = on_write;
    io->arg_ = arg;
}

int loop_io_set(loop_io *io, unsigned interest)
{
    if (interest == io->interest_ && (interest == 0 || io->in_epoll_))
        return 0;
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = ((interest & LOOP_READ) ? EPOLLIN : 0u) | ((interest & LOOP_WRITE) ? EPOLLOUT : 0u);
    ev.data.ptr = io;
    /* A watcher with no interest stays registered with an empty event mask
     * (EPOLLERR/EPOLLHUP still arrive) to save syscalls when interest
     * toggles, which a send queue does constantly. */
    int op = io->in_epoll_ ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(io->loop_->epfd, op, io->fd_, &ev) < 0)
        return -1;
    io->in_epoll_ = true;
    io->interest_ = interest;
    return 0;
}

unsigned loop_io_interest(const loop_io *io) { return io->interest_; }

void loop_io_stop(loop_io *io)
{
    loop *l = io->loop_;
    if (!l)
        return;
    if (io->in_epoll_)
        epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd_, NULL);
    io->in_epoll_ = false;
    io->interest_ = 0;
    /* Including the event being dispatched right now: the dispatcher checks
     * it again between the read and the write callback. */
    for (int i = l->cursor; i < l->nevents; i++)
        if (l->events[i].data.ptr == io)
            l->events[i].data.ptr = NULL;
}

/* ---------------------------------------------------------------- timers */

static bool timer_before(const loop_timer *a, const loop_timer *b)
{
    return a->due_ms_ < b->due_ms_;
}

static void heap_place(loop *l, size_t i, loop_timer *t)
{
    l->heap[i] = t;
    t->heap_index_ = i;
}

static void heap_sift_up(loop *l, size_t i)
{
    loop_timer *t = l->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_before(t, l->heap[parent]))
            break;
        heap_place(l, i, l->heap[parent]);
        i = parent;
    }
    heap_place(l, i, t);
}

static void heap_sift_down(loop *l, size_t i)
{
    loop_timer *t = l->heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= l->heap_len)
            break;
        if (child + 1 < l->heap_len && timer_before(l->heap[child + 1], l->heap[child]))
            child++;
        if (!timer_before(l->heap[child], t))
            break;
        heap_place(l, i, l->heap[child]);
        i = child;
    }
    heap_place(l, i, t);
}

static void heap_remove(loop *l, loop_timer *t)
{
    size_t i = t->heap_index_;
    t->heap_index_ = SIZE_MAX;
    loop_timer *last = l->heap[--l->heap_len];
    if (i == l->heap_len)
        return;
    heap_place(l, i, last);
    heap_sift_down(l, i);
    heap_sift_up(l, last->heap_index_);
}

void loop_timer_init(loop_timer *t, loop *l, loop_timer_fn fn, void *arg)
{
    t->loop_ = l;
    t->due_ms_ = 0;
    t->heap_index_ = SIZE_MAX;
    t->fn_ = fn;
    t->arg_ = arg;
}

bool loop_timer_active(const loop_timer *t) { return t->heap_index_ != SIZE_MAX; }

int loop_timer_start(loop_timer *t, uint64_t after_ms)
{
    loop *l = t->loop_;
    loop_timer_stop(t);
    if (l->heap_len == l->heap_cap) {
        size_t cap = l->heap_cap * 2;
        loop_timer **heap = realloc(l->heap, cap * sizeof *heap);
        if (!heap)
            return -1;
        l->heap = heap;
        l->heap_cap = cap;
    }
    /* Relative to the time of this iteration, which is what the caller
     * means by "now" inside a callback. */
    t->due_ms_ = l->now_ms + (after_ms ? after_ms : 1);
    heap_place(l, l->heap_len++, t);
    heap_sift_up(l, t->heap_index_);
    return 0;
}

void loop_timer_stop(loop_timer *t)
{
    if (loop_timer_active(t))
        heap_remove(t->loop_, t);
}

static void run_due_timers(loop *l)
{
    /* One at a time from the top, so a callback may stop or start any timer,
     * its own included. "now" stays fixed for the pass and a started timer is
     * due at least 1 ms later, so a timer that re-arms itself runs once per
     * pass and cannot starve the fds. */
    uint64_t now = l->now_ms;
    while (l->heap_len > 0 && l->heap[0]->due_ms_ <= now && !l->stop) {
        loop_timer *t = l->heap[0];
        heap_remove(l, t);
        t->fn_(t, t->arg_);
    }
}

static int next_timeout_ms(const loop *l)
{
    if (l->deferred)
        return 0;
    if (l->heap_len == 0)
        return -1;
    uint64_t due = l->heap[0]->due_ms_;
    if (due <= l->now_ms)
        return 0;
    uint64_t wait = due - l->now_ms;
    return wait > 60000 ? 60000 : (int)wait;
}

/* ---------------------------------------------------------------- deferred */

void loop_defer_init(loop_defer *d, loop *l, loop_defer_fn fn, void *arg)
{
    d->loop_ = l;
    d->next_ = NULL;
    d->armed_ = false;
    d->fn_ = fn;
    d->arg_ = arg;
}

void loop_defer_arm(loop_defer *d)
{
    if (d->armed_)
        return;
    loop *l = d->loop_;
    d->armed_ = true;
    d->next_ = NULL;
    if (l->deferred_tail)
        l->deferred_tail->next_ = d;
    else
        l->deferred = d;
    l->deferred_tail = d;
}

void loop_defer_cancel(loop_defer *d)
{
    if (!d->armed_)
        return;
    loop *l = d->loop_;
    loop_defer *prev = NULL;
    for (loop_defer *it = l->deferred; it; prev = it, it = it->next_) {
        if (it != d)
            continue;
        if (prev)
            prev->next_ = d->next_;
        else
            l->deferred = d->next_;
        if (l->deferred_tail == d)
            l->deferred_tail = prev;
        break;
    }
    d->armed_ = false;
    d->next_ = NULL;
}

static void run_deferred(loop *l)
{
    /* As many as were armed before this pass: what a callback arms goes
     * behind them and waits for the next pass, so a callback that re-arms
     * itself cannot keep the loop here. Each is unlinked before it runs, so
     * callbacks may arm or cancel any of them. */
    size_t n = 0;
    for (loop_defer *d = l->deferred; d; d = d->next_)
        n++;
    while (n-- > 0 && l->deferred && !l->stop) {
        loop_defer *d = l->deferred;
        l->deferred = d->next_;
        if (!l->deferred)
            l->deferred_tail = NULL;
        d->next_ = NULL;
        d->armed_ = false;
        d->fn_(d, d->arg_);
    }
}

/* ---------------------------------------------------------------- signals */

static void on_signalfd(loop_io *io, void *arg)
{
    loop *l = arg;
    struct signalfd_siginfo si;
    while (read(io->fd_, &si, sizeof si) == (ssize_t)sizeof si) {
        for (size_t i = 0; i < l->nsignals; i++)
            if (l->signals[i].signo == (int)si.ssi_signo)
                l->signals[i].fn(l, (int)si.ssi_signo, l->signals[i].arg);
    }
}

int loop_signal(loop *l, int signo, loop_signal_fn fn, void *arg)
{
    if (l->nsignals == LOOP_MAX_SIGNALS) {
        errno = ENOSPC;
        return -1;
    }
    sigaddset(&l->sigmask, signo);
    if (sigprocmask(SIG_BLOCK, &l->sigmask, NULL) < 0)
        return -1;
    int fd = signalfd(l->sigfd, &l->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0)
        return -1;
    if (l->sigfd < 0) {
        l->sigfd = fd;
        loop_io_init(&l->sig_io, l, fd, on_signalfd, NULL, l);
        if (loop_io_set(&l->sig_io, LOOP_READ) < 0)
            return -1;
    }
    l->signals[l->nsignals++] = (struct signal_handler){signo, fn, arg};
    return 0;
}

/* ---------------------------------------------------------------- run */

int loop_run(loop *l)
{
    l->stop = false;
    while (!l->stop) {
        l->now_ms = monotonic_ms();
        run_due_timers(l);
        run_deferred(l);
        if (l->stop)
            break;
        int n = epoll_wait(l->epfd, l->events, LOOP_MAX_EVENTS, next_timeout_ms(l));
        l->now_ms = monotonic_ms();
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        l->nevents = n;
        for (l->cursor = 0; l->cursor < l->nevents && !l->stop; l->cursor++) {
            struct epoll_event *ev = &l->events[l->cursor];
            loop_io *io = ev->data.ptr;
            if (!io)
                continue;
            uint32_t e = ev->events;
            bool failed = (e & (EPOLLERR | EPOLLHUP)) != 0;
            /* An error or hang-up goes to the read callback when reading
             * (read() reports it), else to the write callback. */
            if ((io->interest_ & LOOP_READ) && (e & (EPOLLIN | EPOLLERR | EPOLLHUP)) &&
                io->on_read_) {
                io->on_read_(io, io->arg_);
                if (ev->data.ptr == NULL)
                    continue; /* stopped (maybe freed) by the callback */
                failed = false;
            }
            if ((io->interest_ & LOOP_WRITE) && ((e & EPOLLOUT) || failed) && io->on_write_) {
                io->on_write_(io, io->arg_);
            } else if (failed && ev->data.ptr && !(io->interest_ & LOOP_READ)) {
                /* Nobody wants to hear about this fd right now, but epoll
                 * reports a hang-up level-triggered: take it out until the
                 * owner sets an interest again, instead of spinning. */
                epoll_ctl(l->epfd, EPOLL_CTL_DEL, io->fd_, NULL);
                io->in_epoll_ = false;
            }
        }
        l->nevents = 0;
        l->cursor = 0;
    }
    return 0;
}
