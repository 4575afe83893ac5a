/* Bounded text output for the HTTP builders. */
#include "textbuf.h"

#include <limits.h>
#include <string.h>

#include "wsframe.h"

void ws_textbuf_init(ws_textbuf *t, char *out, size_t cap)
{
    t->out = out;
    t->cap = out ? cap : 0;
    t->len = 0;
}

void ws_textbuf_put(ws_textbuf *t, const void *data, size_t len)
{
    if (len == 0)
        return;
    if (t->len <= t->cap && len <= t->cap - t->len)
        memcpy(t->out + t->len, data, len);
    /* Keep counting past the end so finish() knows it overflowed; saturate
     * rather than wrap. */
    t->len = (len > SIZE_MAX - t->len) ? SIZE_MAX : t->len + len;
}

void ws_textbuf_puts(ws_textbuf *t, const char *s)
{
    ws_textbuf_put(t, s, strlen(s));
}

void ws_textbuf_putu(ws_textbuf *t, uint64_t value)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[sizeof digits - 1 - n++] = (char)('0' + value % 10u);
        value /= 10u;
    } while (value != 0);
    ws_textbuf_put(t, digits + sizeof digits - n, n);
}

int ws_textbuf_finish(const ws_textbuf *t)
{
    if (t->len > t->cap || t->len > (size_t)INT_MAX)
        return WS_E_BUFFER_TOO_SMALL;
    return (int)t->len;
}
