/*
 * An LD_PRELOAD stand-in for a DNS server that takes its time, so that a
 * test can see whether a program waits for lookups on its event loop.
 *
 * getaddrinfo() of a name ending in ".slow.test" waits WS_SLOW_DNS_MS
 * milliseconds (default 2000), then answers as for 127.0.0.1; one ending in
 * ".gone.test" waits as long, then fails with EAI_NONAME. Each such lookup
 * writes "slow_dns: NAME" to stderr when it starts. Every other name goes
 * to the real getaddrinfo. Nothing leaves 127.0.0.1.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *,
                              struct addrinfo **);

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void wait_like_dns(const char *node)
{
    char line[320];
    int len = snprintf(line, sizeof line, "slow_dns: %s\n", node);
    if (len > 0)
        (void)!write(2, line, (size_t)len < sizeof line ? (size_t)len : sizeof line - 1);
    const char *ms_text = getenv("WS_SLOW_DNS_MS");
    long ms = ms_text ? strtol(ms_text, NULL, 10) : 2000;
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0) {
    }
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    getaddrinfo_fn real;
    void *sym = dlsym(RTLD_NEXT, "getaddrinfo");
    memcpy(&real, &sym, sizeof real); /* POSIX's way from void * to a function */
    if (node && ends_with(node, ".slow.test")) {
        wait_like_dns(node);
        node = "127.0.0.1";
    } else if (node && ends_with(node, ".gone.test")) {
        wait_like_dns(node);
        return EAI_NONAME;
    }
    return real(node, service, hints, res);
}
