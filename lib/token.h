/* Character classes and comparisons of HTTP text (RFC 9110 section 5.6),
 * shared by the HTTP parser, the handshake checks and the URL parser.
 * Internal, not installed. */
#ifndef WS_TOKEN_H
#define WS_TOKEN_H

#include <stdbool.h>
#include <stddef.h>

/* tchar: "!#$%&'*+-.^_`|~", digits and letters. */
bool ws_is_tchar(unsigned char c);

/* A byte allowed in a field value or reason phrase: HTAB, SP, VCHAR,
 * obs-text (0x80-0xFF). */
bool ws_is_field_char(unsigned char c);

/* ASCII lower case of c; other bytes unchanged. */
unsigned char ws_ascii_lower(unsigned char c);

/* a[0..alen) equals b[0..blen) ignoring ASCII case. */
bool ws_ascii_ieq(const char *a, size_t alen, const char *b, size_t blen);

#endif
