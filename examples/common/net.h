/* net.h - non-blocking TCP listening sockets and printable addresses. */
#ifndef EXAMPLES_NET_H
#define EXAMPLES_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* "127.0.0.1:8080" or "[::1]:8080" (INET6_ADDRSTRLEN + 8 is enough). */
#define NET_ADDR_STRLEN 64

/* A name resolves to a few addresses at most: localhost to 127.0.0.1 and ::1,
 * no name at all to 0.0.0.0 and ::. */
#define NET_MAX_LISTENERS 4

/*
 * Listen on port at every address host resolves to, the way Python's
 * asyncio servers do. "localhost" (and *.localhost) is 127.0.0.1 and ::1
 * whatever /etc/hosts says, as RFC 6761 and browsers have it: a client that
 * tries ::1 first and does not fall back (Node 18's net) must find us there
 * too. host NULL: every interface, IPv4 and IPv6. "::" alone takes IPv4 as
 * well, whatever net.ipv6.bindv6only says. An address whose family this
 * machine lacks (no IPv6) is skipped when another one works; any other
 * failure, an address in use, fails the whole call. Port 0: one free port,
 * the same on every address.
 *
 * Sockets are non-blocking, close-on-exec, with SO_REUSEADDR so a restarted
 * server can bind while old connections sit in TIME_WAIT.
 *
 * Returns how many fds it wrote to fds, IPv4 first; -1 with a message in
 * err on failure.
 */
int net_listen(const char *host, uint16_t port, int fds[NET_MAX_LISTENERS], char *err,
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

/* Bytes written to the TCP socket fd that the peer has not acknowledged yet
 * (SIOCOUTQ), or -1 where the system does not say. Falling between two
 * looks, it shows the peer reading, which our own writes show late: Linux
 * reports a full socket writable only once a third of its buffer (which
 * it grows to 4 MB) is free. */
int net_unacked_bytes(int fd);

/* O_NONBLOCK on fd. Returns 0 or -1. */
int net_set_nonblocking(int fd);

/* host is an IPv4 or IPv6 literal (no brackets), not a name to look up. */
bool net_is_address(const char *host);

/* The byte the "%XX" escape at s[i] stands for (RFC 3986 section 2.1), or
 * -1 when s[i] is no '%' or is not followed, within len, by two hex digits. */
int net_pct_decoded(const char *s, size_t len, size_t i);

#endif
