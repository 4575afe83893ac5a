#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/sockios.h>
#endif

void net_format_addr(const struct sockaddr *sa, socklen_t len, char *out, size_t cap)
{
    char host[NI_MAXHOST], port[NI_MAXSERV];
    if (getnameinfo(sa, len, host, sizeof host, port, sizeof port,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, cap, "?");
        return;
    }
    /* An IPv4 client of a dual-stack socket shows up as ::ffff:a.b.c.d;
     * people read the IPv4 form. */
    const char *h = host;
    if (sa->sa_family == AF_INET6 && strncmp(host, "::ffff:", 7) == 0 && strchr(host + 7, '.'))
        h = host + 7;
    if (strchr(h, ':'))
        snprintf(out, cap, "[%s]:%s", h, port);
    else
        snprintf(out, cap, "%s:%s", h, port);
}

uint64_t net_raise_fd_limit(uint64_t wanted)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return 0;
    rlim_t target = wanted == 0 || (rl.rlim_max != RLIM_INFINITY && wanted > rl.rlim_max)
                        ? rl.rlim_max
                        : (rlim_t)wanted;
    /* An unlimited hard limit is still bounded by the kernel's nr_open. */
    if (target == RLIM_INFINITY)
        target = 1u << 20;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < target) {
        rlim_t old = rl.rlim_cur;
        rl.rlim_cur = target;
        if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
            rl.rlim_cur = old;
    }
    return (uint64_t)rl.rlim_cur;
}

int net_set_nonblocking(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0)
        return -1;
    return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

uint16_t net_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return 0;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return 0;
}

/* An address of this family is not configured here (IPv6 disabled, no
 * ::1 on lo): a name that also resolves to one we can listen on loses
 * nothing by skipping it. */
static bool address_unavailable(int e)
{
    return e == EAFNOSUPPORT || e == EADDRNOTAVAIL || e == EPROTONOSUPPORT;
}

static int listen_at(const struct addrinfo *ai, uint16_t port, bool v6only)
{
    struct sockaddr_storage sa;
    memcpy(&sa, ai->ai_addr, ai->ai_addrlen);
    if (sa.ss_family == AF_INET)
        ((struct sockaddr_in *)&sa)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)&sa)->sin6_port = htons(port);
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
    if (fd < 0)
        return -1;
    int one = 1, v6 = v6only;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    /* "::" alone takes IPv4 too whatever net.ipv6.bindv6only says; beside
     * an IPv4 listener of the same name it must not, or the second bind
     * fails. */
    if (sa.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof v6);
    if (bind(fd, (struct sockaddr *)&sa, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
        return fd;
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
}

static bool listed(const struct addrinfo *ai, const struct addrinfo **out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (out[i]->ai_addrlen == ai->ai_addrlen &&
            memcmp(out[i]->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0)
            return true;
    return false;
}

/* Up to NET_MAX_LISTENERS distinct addresses of res, IPv4 first: logs and
 * tests read the first one, and an IPv4 address is what most of them
 * expect. A name /etc/hosts lists twice would otherwise collide with
 * itself. */
static size_t pick_addresses(struct addrinfo *res, const struct addrinfo **out)
{
    size_t n = 0;
    for (int family = 0; family < 2; family++)
        for (struct addrinfo *ai = res; ai && n < NET_MAX_LISTENERS; ai = ai->ai_next)
            if ((ai->ai_family == AF_INET) == (family == 0) &&
                (ai->ai_family == AF_INET || ai->ai_family == AF_INET6) && !listed(ai, out, n))
                out[n++] = ai;
    return n;
}

/* RFC 6761 section 6.3: localhost and its subdomains are the loopback
 * addresses, whatever /etc/hosts lists; browsers resolve them so. */
static bool is_localhost(const char *host)
{
    size_t len = strlen(host);
    return strcasecmp(host, "localhost") == 0 ||
           (len > 10 && strcasecmp(host + len - 10, ".localhost") == 0);
}

int net_listen(const char *host, uint16_t port, int fds[NET_MAX_LISTENERS], char *err,
               size_t err_cap)
{
    const char *shown = host ? host : "every interface";
    bool loopback = host && is_localhost(host);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    /* No name and no AI_PASSIVE: the loopback addresses of both families. */
    hints.ai_flags = (loopback ? 0 : AI_PASSIVE) | AI_NUMERICSERV;
    int rc = getaddrinfo(loopback ? NULL : host, "0", &hints, &res);
    if (rc != 0) {
        snprintf(err, err_cap, "cannot resolve %s: %s", shown, gai_strerror(rc));
        return -1;
    }
    const struct addrinfo *addrs[NET_MAX_LISTENERS];
    size_t naddrs = pick_addresses(res, addrs);
    bool v6only = naddrs > 1 && addrs[0]->ai_family == AF_INET;
    int n = 0, saved = EADDRNOTAVAIL;
    const struct addrinfo *failed = NULL;
    /* With port 0 the first listener picks the port and the others take
     * the same one, which another program may hold on their address: then
     * start again with another port. */
    for (int attempt = 0; attempt < 8; attempt++) {
        uint16_t p = port;
        n = 0;
        failed = NULL;
        for (size_t i = 0; i < naddrs; i++) {
            int fd = listen_at(addrs[i], p, v6only);
            if (fd >= 0) {
                fds[n++] = fd;
                if (p == 0)
                    p = net_local_port(fd);
                continue;
            }
            saved = errno;
            if (!address_unavailable(saved)) {
                failed = addrs[i];
                break;
            }
        }
        if (!failed || port != 0 || saved != EADDRINUSE || n == 0)
            break;
        while (n > 0)
            close(fds[--n]);
    }
    if (failed || n == 0) {
        char addr[NET_ADDR_STRLEN] = "";
        if (failed && getnameinfo(failed->ai_addr, failed->ai_addrlen, addr, sizeof addr, NULL,
                                  0, NI_NUMERICHOST) == 0 && (!host || strcmp(addr, host) != 0))
            snprintf(err, err_cap, "cannot listen on %s (%s) port %u: %s", shown, addr,
                     (unsigned)port, strerror(saved));
        else
            snprintf(err, err_cap, "cannot listen on %s port %u: %s", shown, (unsigned)port,
                     strerror(saved));
        while (n > 0)
            close(fds[--n]);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    return n;
}

bool net_is_address(const char *host)
{
    unsigned char raw[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, host, raw) == 1 || inet_pton(AF_INET6, host, raw) == 1;
}

static int hex_digit(unsigned char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

int net_pct_decoded(const char *s, size_t len, size_t i)
{
    if (i + 2 >= len || s[i] != '%')
        return -1;
    int hi = hex_digit((unsigned char)s[i + 1]), lo = hex_digit((unsigned char)s[i + 2]);
    return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

int net_unacked_bytes(int fd)
{
#ifdef SIOCOUTQ
    int queued;
    if (ioctl(fd, SIOCOUTQ, &queued) == 0 && queued >= 0)
        return queued;
#else
    (void)fd;
#endif
    return -1;
}
