#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

/* Peers choose much of what is logged (a close reason may be any UTF-8,
 * newlines included): control characters are written as \xHH, so that no
 * peer can forge a log line or send escape sequences to a terminal. C1
 * controls (U+0080-U+009F, C2 80-C2 9F in UTF-8) count too. */
static void escape_controls(const char *in, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && o + 8 < cap; p++) {
        bool c1 = p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F;
        if (*p >= 0x20 && *p != 0x7F && !c1) {
            out[o++] = (char)*p;
            continue;
        }
        for (int i = 0; i <= (int)c1; i++) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[p[i] >> 4];
            out[o++] = hex[p[i] & 15];
        }
        p += c1;
    }
    out[o] = '\0';
}

void log_msg(const char *peer, const char *fmt, ...)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

    /* One fprintf per line keeps lines whole when stderr is shared. */
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char safe[sizeof line * 4];
    escape_controls(line, safe, sizeof safe);
    fprintf(stderr, "%s.%03ldZ [%s] %s\n", when, ts.tv_nsec / 1000000L, peer ? peer : "-", safe);
}
