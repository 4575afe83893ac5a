/*
 * loop.h - a small epoll event loop shared by the examples.
 *
 * Three kinds of event sources, all allocated by the caller (embedded in its
 * own structs) so that the loop never owns anybody's memory:
 *
 *   loop_io     a file descriptor with a read and a write callback; the
 *               caller says which of the two it is interested in at any time
 *               (loop_io_set). This is the shape an async client library such
 *               as hiredis expects from an event loop adapter (addRead,
 *               delRead, addWrite, delWrite, cleanup).
 *   loop_timer  a one-shot timer in milliseconds (re-arm it from its callback
 *               for a periodic one).
 *   signals     loop_signal() delivers SIGINT, SIGTERM... as ordinary events
 *               through a signalfd, so handlers run in loop context and may
 *               do anything.
 *
 * Callbacks may stop or free any watcher, including their own, and start new
 * ones: events already fetched for a watcher that is stopped are dropped.
 * Single-threaded; level-triggered.
 */
#ifndef EXAMPLES_LOOP_H
#define EXAMPLES_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct loop loop;
typedef struct loop_io loop_io;
typedef struct loop_timer loop_timer;
typedef struct loop_defer loop_defer;

/* Interest bits for loop_io_set. */
#define LOOP_READ 1u
#define LOOP_WRITE 2u

typedef void (*loop_io_fn)(loop_io *io, void *arg);
typedef void (*loop_timer_fn)(loop_timer *t, void *arg);
typedef void (*loop_signal_fn)(loop *l, int signo, void *arg);
typedef void (*loop_defer_fn)(loop_defer *d, void *arg);

/* A watched file descriptor. Fields are private; set them with
 * loop_io_init. */
struct loop_io {
    loop *loop_;
    loop_io_fn on_read_;  /* readable, or error/hang-up while reading */
    loop_io_fn on_write_; /* writable, or error while only writing */
    void *arg_;
    int fd_;
    uint8_t interest_; /* LOOP_READ | LOOP_WRITE currently wanted */
    bool in_epoll_;    /* registered with epoll_ctl */
};

/* A one-shot timer. Fields are private. */
struct loop_timer {
    loop *loop_;
    uint64_t due_ms_;   /* on loop_now_ms()'s clock */
    size_t heap_index_; /* SIZE_MAX when not running */
    loop_timer_fn fn_;
    void *arg_;
};

/* Work put off until the events at hand are dispatched: a server that
 * queues many messages to a client during one iteration writes them with one
 * syscall afterwards instead of one each. Fields are private. */
struct loop_defer {
    loop *loop_;
    loop_defer *next_;
    bool armed_;
    loop_defer_fn fn_;
    void *arg_;
};

/* A new loop, or NULL (errno set). */
loop *loop_new(void);

/* Free the loop. Watchers still registered are forgotten, not called; their
 * file descriptors are left open (they belong to the caller). */
void loop_free(loop *l);

/* Dispatch events until loop_stop() is called. Returns 0, or -1 when
 * epoll_wait fails for a reason other than EINTR (errno set). */
int loop_run(loop *l);

/* Make loop_run return after the callback that calls this. */
void loop_stop(loop *l);

/* Milliseconds on a monotonic clock, refreshed once per loop iteration (so
 * every callback of one iteration sees the same "now"). */
uint64_t loop_now_ms(const loop *l);

/* Prepare io to watch fd; nothing is watched until loop_io_set. on_read or
 * on_write may be NULL when that direction is never wanted. */
void loop_io_init(loop_io *io, loop *l, int fd, loop_io_fn on_read, loop_io_fn on_write,
                  void *arg);

/* Watch for exactly the directions in interest (LOOP_READ, LOOP_WRITE, both,
 * or 0 for none). Returns 0, or -1 when epoll_ctl fails (errno set). */
int loop_io_set(loop_io *io, unsigned interest);

/* Current interest bits. */
unsigned loop_io_interest(const loop_io *io);

/* Stop watching, before the caller closes the fd or frees io. Pending
 * events for io are dropped. Safe to call twice. */
void loop_io_stop(loop_io *io);

/* Prepare a timer; it does not run until loop_timer_start. */
void loop_timer_init(loop_timer *t, loop *l, loop_timer_fn fn, void *arg);

/* Run fn once, after_ms milliseconds from now (restarts a running timer).
 * Returns 0, or -1 when out of memory. */
int loop_timer_start(loop_timer *t, uint64_t after_ms);

/* Cancel; safe on a timer that is not running. */
void loop_timer_stop(loop_timer *t);

bool loop_timer_active(const loop_timer *t);

/* Prepare d; it does not run until loop_defer_arm. */
void loop_defer_init(loop_defer *d, loop *l, loop_defer_fn fn, void *arg);

/* Run fn once, after the callbacks of this iteration (fd events and due
 * timers) and before the loop waits again. Arming an armed d does nothing;
 * fn may arm it again (it then runs after the next iteration's events, and
 * the loop does not block in between). */
void loop_defer_arm(loop_defer *d);

/* Disarm; safe on a d that is not armed. */
void loop_defer_cancel(loop_defer *d);

/* Deliver signo to fn from the loop instead of interrupting the program.
 * The signal is blocked for the whole process (call this before starting
 * threads). Up to 8 signals. Returns 0, or -1 (errno set). */
int loop_signal(loop *l, int signo, loop_signal_fn fn, void *arg);

#endif
