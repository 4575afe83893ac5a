#include "buf.h"

#include <stdlib.h>
#include <string.h>

bool bytebuf_append(bytebuf *b, const void *data, size_t len, uint64_t limit)
{
    if (len == 0) /* memcpy must not see the NULL of an empty buffer */
        return true;
    if (b->cap - b->len < len) {
        size_t need = b->len + len;
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < need)
            cap *= 2;
        if (limit && cap > limit && need <= limit)
            cap = (size_t)limit;
        uint8_t *p = realloc(b->data, cap);
        if (!p)
            return false;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return true;
}

void bytebuf_free(bytebuf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
