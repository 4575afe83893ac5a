#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

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
    fprintf(stderr, "%s.%03ldZ [%s] %s\n", when, ts.tv_nsec / 1000000L, peer ? peer : "-", line);
}
