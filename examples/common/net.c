#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

int net_listen(const char *host, uint16_t port, char *bound, size_t bound_cap, char *err,
               size_t err_cap)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    char service[8];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(err, err_cap, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    int saved = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, SOMAXCONN) == 0)
            break;
        saved = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        snprintf(err, err_cap, "cannot listen on %s port %u: %s", host, (unsigned)port,
                 strerror(saved));
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    net_format_addr((struct sockaddr *)&ss, len, bound, bound_cap);
    return fd;
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
