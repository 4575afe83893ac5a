/* Internal helpers of the HTTP layer used by the handshake builders.
 * Not installed. */
#ifndef WS_HTTP_H
#define WS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "wsframe.h"

/* True when lines is empty or a sequence of "token: value\r\n" lines with
 * no control characters in the value: safe to copy into a head as is. */
bool ws_http_header_lines_valid(const char *lines);

/* True when lines (valid for ws_http_header_lines_valid, or NULL) set the
 * field name: a caller's line repeating one a writer writes itself would
 * make a message with the field twice. */
bool ws_http_lines_set_field(const char *lines, const char *name);

/* True when s can be a field value: field characters only (no CR, LF, NUL). */
bool ws_http_field_value_valid(const char *s, size_t len);

/* How many fields are called name. */
size_t ws_http_count_header(const ws_http_header *headers, size_t num_headers, const char *name);

/* The standard reason phrase for status, or NULL. */
const char *ws_http_reason_phrase(int status);

/*
 * Every element of every field called name, in order: a list header
 * repeated across lines reads as one list (RFC 9110 section 5.3).
 *     ws_field_list l; const char *e; size_t n;
 *     ws_field_list_init(&l, headers, num_headers, "Sec-WebSocket-Protocol");
 *     while ((r = ws_field_list_next(&l, &e, &n)) == 1) ...
 */
typedef struct ws_field_list {
    const ws_http_header *headers;
    size_t num_headers;
    const char *name;
    size_t next_field;           /* where the search for the next field resumes */
    const ws_http_header *field; /* the field being split, or NULL */
    size_t at;                   /* cursor in field->value */
} ws_field_list;

void ws_field_list_init(ws_field_list *l, const ws_http_header *headers, size_t num_headers,
                        const char *name);
/* 1 with the next element, 0 at the end, WS_E_HS_BAD_TOKEN_LIST for an
 * unclosed quoted string. */
int ws_field_list_next(ws_field_list *l, const char **elem, size_t *elem_len);

/* The effective limits: *limits, or the defaults when limits is NULL. */
ws_limits ws_http_limits(const ws_limits *limits);

#endif
