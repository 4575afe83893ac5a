/* buf.h - a byte buffer that grows as data is appended: the message being
 * assembled from the parser's DATA events, the stdin line being collected. */
#ifndef EXAMPLES_BUF_H
#define EXAMPLES_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Zeroed, it is empty. */
typedef struct bytebuf {
    uint8_t *data; /* NULL until the first append */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
} bytebuf;

/* Append len bytes of data. The capacity doubles from 4 KiB until they fit,
 * so a message arriving in many pieces costs few reallocs. limit is the most
 * the caller will ever append in total (0: unknown): the doubling stops
 * there instead of overshooting it. Returns false when out of memory, with b
 * as it was. */
bool bytebuf_append(bytebuf *b, const void *data, size_t len, uint64_t limit);

/* Release the memory; b is empty again and may be reused. */
void bytebuf_free(bytebuf *b);

#endif
