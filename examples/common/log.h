/* log.h - one line per event on stderr: UTC timestamp, peer, message. */
#ifndef EXAMPLES_LOG_H
#define EXAMPLES_LOG_H

/* Writes "2026-01-31T12:34:56.789Z [peer] message\n" to stderr. peer may be
 * NULL for lines about the server itself ("[-]"). */
void log_msg(const char *peer, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

#endif
