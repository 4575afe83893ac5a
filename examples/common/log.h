/* log.h - one line per event on stderr: UTC timestamp, peer, message. */
#ifndef EXAMPLES_LOG_H
#define EXAMPLES_LOG_H

#include <stddef.h>

/* Writes "2026-01-31T12:34:56.789Z [peer] message\n" to stderr. peer may be
 * NULL for lines about the server itself ("[-]"). */
void log_msg(const char *peer, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Peer-chosen bytes (a close reason, a pong payload, a header value) made
 * safe for a terminal or a log line, as log_msg writes them: control
 * characters (C0, DEL and C1, U+0080-U+009F) and every byte that is not
 * part of valid UTF-8 become \xHH. Writes at most cap - 1 characters and a
 * NUL to out, stopping before a character that would not fit. */
void log_escape(const void *data, size_t len, char *out, size_t cap);

/* Writes one line (without its newline) to stderr, or to the sink set by
 * log_set_sink. log_msg writes through it, and so may a program's own
 * messages, so that a sink sees every line. */
void log_line(const char *line);

/* A program whose stderr cannot be written directly (chat_client, when
 * stderr shares stdout's non-blocking pipe) routes its lines to fn, which
 * must take the line whole. fn NULL: stderr again. */
typedef void (*log_sink_fn)(const char *line, size_t len, void *ctx);
void log_set_sink(log_sink_fn fn, void *ctx);

#endif
