/* Appending text to a caller's bounded buffer without snprintf (the library
 * imports no stdio). Writes stop at the capacity and remember that they
 * did, so a builder writes everything and checks once at the end.
 * Internal, not installed. */
#ifndef WS_TEXTBUF_H
#define WS_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ws_textbuf {
    char *out;
    size_t cap;
    size_t len;    /* bytes that would have been written */
} ws_textbuf;

void ws_textbuf_init(ws_textbuf *t, char *out, size_t cap);
void ws_textbuf_put(ws_textbuf *t, const void *data, size_t len);
void ws_textbuf_puts(ws_textbuf *t, const char *s);
void ws_textbuf_putu(ws_textbuf *t, uint64_t value);
/* The length written, or WS_E_BUFFER_TOO_SMALL when anything did not fit
 * (or the length does not fit an int). */
int ws_textbuf_finish(const ws_textbuf *t);

#endif
