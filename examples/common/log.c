#include "log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "wsframe.h"

/* Peers choose much of what is logged (a close reason may be any UTF-8,
 * newlines included; a request's header values any bytes): control
 * characters are written as \xHH, so that no peer can forge a log line or
 * send escape sequences to a terminal. C1 controls count too, both as UTF-8
 * (C2 80-C2 9F) and as lone bytes (a 0x9B is CSI to a terminal that reads
 * 8-bit codes), so every byte that is not part of a valid UTF-8 sequence is
 * escaped as well. */
static size_t utf8_sequence_length(const unsigned char *p, size_t avail)
{
    size_t n = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC0 ? 2 : 1;
    if (n > avail)
        return 0; /* cut short by the end of the bytes */
    return ws_utf8_validate(p, n) == WS_OK ? n : 0;
}

void log_escape(const void *data, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *bytes = data;
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < cap;) {
        const unsigned char *p = bytes + i;
        size_t n = *p < 0x80 ? 1 : utf8_sequence_length(p, len - i);
        bool c1 = n == 2 && p[0] == 0xC2 && p[1] <= 0x9F;
        if (n == 0 || c1 || *p < 0x20 || *p == 0x7F) {
            /* Escape the lead byte; what follows gets its own turn. */
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
            i++;
            continue;
        }
        if (o + n + 8 >= cap)
            break;
        memcpy(out + o, p, n);
        o += n;
        i += n;
    }
    if (cap > 0)
        out[o] = '\0';
}

static log_sink_fn sink;
static void *sink_ctx;

void log_set_sink(log_sink_fn fn, void *ctx)
{
    sink = fn;
    sink_ctx = ctx;
}

void log_line(const char *line)
{
    if (sink)
        sink(line, strlen(line), sink_ctx);
    else
        fprintf(stderr, "%s\n", line); /* one fprintf keeps a line whole when stderr is shared */
}

void log_msg(const char *peer, const char *fmt, ...)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);

    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    char safe[sizeof line * 4];
    log_escape(line, strlen(line), safe, sizeof safe);
    char out[sizeof safe + 128];
    snprintf(out, sizeof out, "%s.%03ldZ [%s] %s", when, ts.tv_nsec / 1000000L, peer ? peer : "-",
             safe);
    log_line(out);
}
