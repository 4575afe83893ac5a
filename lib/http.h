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

/* True when s can be a field value: field characters only (no CR, LF, NUL). */
bool ws_http_field_value_valid(const char *s, size_t len);

/* How many fields are called name. */
size_t ws_http_count_header(const ws_http_header *headers, size_t num_headers, const char *name);

/* The standard reason phrase for status, or NULL. */
const char *ws_http_reason_phrase(int status);

/* The effective limits: *limits, or the defaults when limits is NULL. */
ws_limits ws_http_limits(const ws_limits *limits);

#endif
