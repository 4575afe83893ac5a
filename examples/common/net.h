/* net.h - non-blocking TCP listening sockets and printable addresses. */
#ifndef EXAMPLES_NET_H
#define EXAMPLES_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* "127.0.0.1:8080" or "[::1]:8080" (INET6_ADDRSTRLEN + 8 is enough). */
#define NET_ADDR_STRLEN 64

/*
 * Listen on host:port (host: an IPv4 or IPv6 literal or a name; port 0 asks
 * the kernel for a free port). The socket is non-blocking, close-on-exec,
 * with SO_REUSEADDR so a restarted server can bind while old connections
 * sit in TIME_WAIT. "::" accepts IPv4 too where the system allows
 * (net.ipv6.bindv6only=0, the Linux default).
 *
 * Returns the fd and writes the bound address ("0.0.0.0:41234") to bound;
 * -1 with a message in err on failure.
 */
int net_listen(const char *host, uint16_t port, char *bound, size_t bound_cap, char *err,
               size_t err_cap);

/* The port of a bound or connected socket's local address, 0 on error. */
uint16_t net_local_port(int fd);

/* Format sa as "host:port" / "[host]:port" into out. */
void net_format_addr(const struct sockaddr *sa, socklen_t len, char *out, size_t cap);

/* Raise the soft RLIMIT_NOFILE to wanted (0: to the hard limit), never
 * above the hard limit and never lowering it. Many systems start processes
 * at 1024 descriptors, fewer than a server with thousands of clients needs.
 * Returns the soft limit in force afterwards (0 if unknown). */
uint64_t net_raise_fd_limit(uint64_t wanted);

/* O_NONBLOCK on fd. Returns 0 or -1. */
int net_set_nonblocking(int fd);

/* host is an IPv4 or IPv6 literal (no brackets), not a name to look up. */
bool net_is_address(const char *host);

/* The byte the "%XX" escape at s[i] stands for (RFC 3986 section 2.1), or
 * -1 when s[i] is no '%' or is not followed, within len, by two hex digits. */
int net_pct_decoded(const char *s, size_t len, size_t i);

#endif
