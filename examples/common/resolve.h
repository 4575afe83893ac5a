/*
 * resolve.h - getaddrinfo() off the event loop.
 *
 * Looking a name up can wait seconds on a DNS server (glibc's default is
 * 5 s per server per attempt). Done on the loop's thread, that wait would
 * freeze every connection the process serves. resolve_start runs the
 * lookup on a short-lived thread of its own and reports the answer on the
 * loop, through an eventfd the loop watches; nothing else is shared with
 * that thread.
 */
#ifndef EXAMPLES_RESOLVE_H
#define EXAMPLES_RESOLVE_H

#include <netdb.h>
#include <stdbool.h>

#include "loop.h"

typedef struct resolve_req resolve_req;

/* Called once, on the loop, with the addresses of host (TCP, IPv4 and
 * IPv6, in getaddrinfo's order) or, when res is NULL, the EAI_* code for
 * gai_strerror (EAI_SYSTEM: see errno_value). res is freed when the
 * callback returns, and so is the request: copy what you keep, and forget
 * the resolve_req pointer before or inside the callback. */
typedef void (*resolve_fn)(void *arg, const struct addrinfo *res, int gai_error, int errno_value);

/* Start looking up host:port. Returns the request, or NULL with errno set
 * (host longer than NI_MAXHOST, out of memory, file descriptors or
 * threads), in which case fn is never called. */
resolve_req *resolve_start(loop *l, const char *host, unsigned port, resolve_fn fn, void *arg);

/* Give up on a request: fn will not be called. A lookup in progress cannot
 * be interrupted; its thread finishes it and frees what is left. */
void resolve_cancel(resolve_req *r);

/* For a process about to exit: wait up to timeout_ms for every lookup
 * thread (cancelled ones included) to be out of getaddrinfo. One still in
 * it at exit holds a reference to glibc's resolver configuration, which is
 * then never freed (valgrind reports it lost). Returns true when none is
 * left; false after the timeout (a DNS server that does not answer). */
bool resolve_wait_idle(unsigned timeout_ms);

#endif
