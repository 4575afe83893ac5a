/*
 * HTTP/1.1 heads (RFC 9112), parsed in place.
 *
 * Two passes, each linear. scan_head() walks the bytes that arrived since
 * the last call, rejecting bytes that are wrong wherever they stand (NUL,
 * bare CR or LF, control characters, obs-fold) and looking for the blank
 * line; it keeps no state, the caller's last_len says where it stopped.
 * Only when the head is complete does the structural parse run, once, over
 * the whole head. So a head dribbled in one byte at a time costs O(n).
 */
#include "http.h"

#include <limits.h>
#include <string.h>

#include "textbuf.h"
#include "token.h"

ws_limits ws_http_limits(const ws_limits *limits)
{
    ws_limits l;
    if (limits)
        return *limits;
    ws_limits_default(&l);
    return l;
}

/* The largest head we may accept: max_header_bytes, 0 meaning only the
 * int return value bounds it. */
static size_t head_limit(const ws_limits *l)
{
    if (l->max_header_bytes == 0 || l->max_header_bytes > (uint32_t)INT_MAX)
        return (size_t)INT_MAX;
    return l->max_header_bytes;
}

enum head_kind { HEAD_REQUEST, HEAD_RESPONSE };

/*
 * The checks that depend only on a byte and its neighbours, from `from` on.
 * Returns the head length when the blank line ends it, WS_INCOMPLETE, or an
 * error at the first bad byte. Every position gets the same verdict
 * whatever prefix of the stream is present, which is what makes prefixes
 * answer WS_INCOMPLETE or the same error as the whole.
 */
static int scan_head(const char *buf, size_t len, size_t from, size_t limit, enum head_kind kind)
{
    const unsigned char *b = (const unsigned char *)buf;
    size_t end = len < limit ? len : limit;

    for (size_t i = from; i < end; i++) {
        unsigned char c = b[i];
        if (i == 0 && c != '\n') {
            /* Fail at once on something that is not HTTP at all (a TLS
             * ClientHello, binary junk) instead of waiting for a blank line.
             * A line feed is left to the line rules below: a bare LF. */
            if (kind == HEAD_REQUEST && !ws_is_tchar(c))
                return c == 0 ? WS_E_HTTP_NUL : WS_E_HTTP_SYNTAX;
            if (kind == HEAD_RESPONSE && c != 'H')
                return c == 0 ? WS_E_HTTP_NUL : WS_E_HTTP_SYNTAX;
        }
        if (c == '\r') {
            if (i + 1 >= end)
                break; /* the next byte decides */
            if (b[i + 1] != '\n')
                return WS_E_HTTP_BARE_CR;
        } else if (c == '\n') {
            if (i == 0 || b[i - 1] != '\r')
                return WS_E_HTTP_BARE_LF;
            if (i >= 3 && b[i - 2] == '\n' && b[i - 3] == '\r')
                return (int)(i + 1);
        } else if (c == ' ' || c == '\t') {
            /* Whitespace opening a line continues the previous one
             * (obs-fold, RFC 9112 section 5.2), or, after the start line,
             * would smuggle a line past other parsers (section 2.2). */
            if (i > 0 && b[i - 1] == '\n')
                return WS_E_HTTP_OBS_FOLD;
        } else if (c == 0) {
            return WS_E_HTTP_NUL;
        } else if (c < 0x20 || c == 0x7F) {
            return WS_E_HTTP_SYNTAX;
        }
    }
    /* No blank line in the first `limit` bytes: once that many are here, it
     * can never fit. A request line that does not even end within them is
     * the request target's fault (HTTP 414, as other servers answer). */
    if (len >= limit) {
        if (kind == HEAD_REQUEST && memchr(b, '\n', limit) == NULL)
            return WS_E_HTTP_URI_TOO_LONG;
        return WS_E_HTTP_HEADER_TOO_LARGE;
    }
    return WS_INCOMPLETE;
}

/* Where scanning resumes: a CR at the end of the previous input was left
 * undecided, so step back one byte. A last_len the caller got wrong only
 * costs a rescan. */
static size_t resume_at(size_t len, size_t last_len)
{
    if (last_len == 0 || last_len > len)
        return 0;
    return last_len - 1;
}

/* "HTTP/1.x" at p (8 bytes within the head, which ends in CRLF CRLF). */
static int parse_version(const char *p, const char *end, int *minor)
{
    if (end - p < 8 || memcmp(p, "HTTP/", 5) != 0)
        return WS_E_HTTP_SYNTAX;
    if (p[5] < '0' || p[5] > '9' || p[6] != '.' || p[7] < '0' || p[7] > '9')
        return WS_E_HTTP_SYNTAX;
    if (p[5] != '1')
        return WS_E_HTTP_VERSION;
    *minor = p[7] - '0';
    return WS_OK;
}

/*
 * The header fields from p up to and including the blank line; the scan
 * has already proven that every line ends in CRLF and holds no control
 * characters. Returns the number of fields or an error.
 */
static int parse_fields(const char *p, const char *end, size_t max_fields,
                        ws_http_header *headers, size_t *num_headers)
{
    size_t n = 0;
    for (;;) {
        const char *eol = memchr(p, '\r', (size_t)(end - p));
        if (!eol)
            return WS_E_HTTP_SYNTAX; /* cannot happen after scan_head */
        if (eol == p)
            break; /* the blank line */
        if (n >= max_fields)
            return WS_E_HTTP_TOO_MANY_HEADERS;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (!colon)
            return WS_E_HTTP_NO_COLON;
        if (colon == p)
            return WS_E_HTTP_HEADER_NAME;
        for (const char *q = p; q < colon; q++)
            if (!ws_is_tchar((unsigned char)*q))
                return WS_E_HTTP_HEADER_NAME;
        const char *v = colon + 1;
        const char *ve = eol;
        while (v < ve && (*v == ' ' || *v == '\t'))
            v++;
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            ve--;
        if (headers) {
            headers[n].name = p;
            headers[n].name_len = (size_t)(colon - p);
            headers[n].value = v;
            headers[n].value_len = (size_t)(ve - v);
        }
        n++;
        p = eol + 2;
    }
    *num_headers = n;
    return WS_OK;
}

static size_t field_limit(const ws_limits *l, size_t max_headers)
{
    if (l->max_headers != 0 && l->max_headers < max_headers)
        return l->max_headers;
    return max_headers;
}

/* The length of the head once its blank line is in buf, WS_INCOMPLETE, or
 * an error found by the byte scan. */
static int find_head(const char *buf, size_t len, size_t last_len, const ws_limits *l,
                     enum head_kind kind)
{
    int head_len = scan_head(buf, len, resume_at(len, last_len), head_limit(l), kind);
    if (head_len < 0 || last_len == 0)
        return head_len;
    /* Re-check the whole head once: a caller that passed a wrong last_len
     * must not get a head whose early bytes were never looked at. */
    int again = scan_head(buf, (size_t)head_len, 0, (size_t)head_len, kind);
    if (again != head_len)
        return again < 0 ? again : WS_E_HTTP_SYNTAX;
    return head_len;
}

int ws_http_parse_request(const char *buf, size_t len, size_t last_len, const ws_limits *limits,
                          ws_http_request *req, ws_http_header *headers, size_t max_headers)
{
    if ((!buf && len) || !req || (!headers && max_headers))
        return WS_E_INVALID_ARGUMENT;
    ws_limits l = ws_http_limits(limits);
    /* RFC 9112 section 2.2: a server SHOULD ignore empty lines before the
     * request line (a client may send a CRLF after a request body). They
     * count towards the head, and its limit. */
    size_t skip = 0;
    while (skip < len && buf[skip] == '\r') {
        if (skip + 1 == len)
            return WS_INCOMPLETE;
        if (buf[skip + 1] != '\n')
            return WS_E_HTTP_BARE_CR;
        skip += 2;
    }
    if (skip > 0) {
        size_t limit = head_limit(&l);
        if (skip >= limit)
            return WS_E_HTTP_HEADER_TOO_LARGE;
        l.max_header_bytes = (uint32_t)(limit - skip);
        buf += skip;
        len -= skip;
        last_len = last_len > skip ? last_len - skip : 0;
    }
    int head_len = find_head(buf, len, last_len, &l, HEAD_REQUEST);
    if (head_len < 0)
        return head_len;

    const char *p = buf;
    const char *end = buf + head_len;
    /* request-line = method SP request-target SP HTTP-version CRLF */
    const char *m = p;
    while (p < end && ws_is_tchar((unsigned char)*p))
        p++;
    if (p == m || *p != ' ')
        return WS_E_HTTP_SYNTAX;
    req->method = m;
    req->method_len = (size_t)(p - m);
    p++;
    const char *t = p;
    while (p < end && (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7F)
        p++;
    if (p == t || *p != ' ')
        return WS_E_HTTP_SYNTAX;
    req->target = t;
    req->target_len = (size_t)(p - t);
    p++;
    int status = parse_version(p, end, &req->minor_version);
    if (status != WS_OK)
        return status;
    p += 8;
    if (p[0] != '\r')
        return WS_E_HTTP_SYNTAX;
    p += 2;

    req->headers = headers;
    status = parse_fields(p, end, field_limit(&l, max_headers), headers, &req->num_headers);
    if (status != WS_OK)
        return status;
    return head_len + (int)skip;
}

int ws_http_parse_response(const char *buf, size_t len, size_t last_len, const ws_limits *limits,
                           ws_http_response *res, ws_http_header *headers, size_t max_headers)
{
    if ((!buf && len) || !res || (!headers && max_headers))
        return WS_E_INVALID_ARGUMENT;
    ws_limits l = ws_http_limits(limits);
    int head_len = find_head(buf, len, last_len, &l, HEAD_RESPONSE);
    if (head_len < 0)
        return head_len;

    const char *p = buf;
    const char *end = buf + head_len;
    /* status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF;
     * a missing SP before an empty reason is tolerated, as servers omit it. */
    int status = parse_version(p, end, &res->minor_version);
    if (status != WS_OK)
        return status;
    p += 8;
    if (end - p < 5 || p[0] != ' ')
        return WS_E_HTTP_SYNTAX;
    p++;
    int code = 0;
    for (int i = 0; i < 3; i++) {
        if (p[i] < '0' || p[i] > '9')
            return WS_E_HTTP_SYNTAX;
        code = code * 10 + (p[i] - '0');
    }
    if (code < 100)
        return WS_E_HTTP_SYNTAX;
    p += 3;
    res->status = code;
    if (*p == ' ')
        p++;
    else if (*p != '\r')
        return WS_E_HTTP_SYNTAX;
    const char *eol = memchr(p, '\r', (size_t)(end - p));
    res->reason = p;
    res->reason_len = (size_t)(eol - p);
    p = eol + 2;

    res->headers = headers;
    status = parse_fields(p, end, field_limit(&l, max_headers), headers, &res->num_headers);
    if (status != WS_OK)
        return status;
    return head_len;
}

static bool name_matches(const ws_http_header *h, const char *name)
{
    return ws_ascii_ieq(h->name, h->name_len, name, strlen(name));
}

const ws_http_header *ws_http_find_header(const ws_http_header *headers, size_t num_headers,
                                          const char *name, size_t *pos)
{
    if (!headers || !name)
        return NULL;
    for (size_t i = pos ? *pos : 0; i < num_headers; i++) {
        if (name_matches(&headers[i], name)) {
            if (pos)
                *pos = i + 1;
            return &headers[i];
        }
    }
    if (pos)
        *pos = num_headers;
    return NULL;
}

size_t ws_http_count_header(const ws_http_header *headers, size_t num_headers, const char *name)
{
    size_t count = 0;
    for (size_t i = 0; i < num_headers; i++)
        if (name_matches(&headers[i], name))
            count++;
    return count;
}

int ws_http_list_next(const char *value, size_t len, size_t *pos, const char **elem,
                      size_t *elem_len)
{
    if (!pos || !elem || !elem_len || (!value && len))
        return WS_E_INVALID_ARGUMENT;
    size_t i = *pos;
    while (i < len) {
        while (i < len && (value[i] == ' ' || value[i] == '\t' || value[i] == ','))
            i++;
        if (i >= len)
            break;
        size_t start = i;
        bool quoted = false;
        for (; i < len; i++) {
            char c = value[i];
            if (quoted) {
                if (c == '\\') {
                    if (++i >= len)
                        return WS_E_HS_BAD_TOKEN_LIST;
                } else if (c == '"') {
                    quoted = false;
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                break;
            }
        }
        if (quoted)
            return WS_E_HS_BAD_TOKEN_LIST;
        size_t stop = i;
        while (stop > start && (value[stop - 1] == ' ' || value[stop - 1] == '\t'))
            stop--;
        *elem = value + start;
        *elem_len = stop - start;
        *pos = i;
        return 1;
    }
    *pos = len;
    return 0;
}

void ws_field_list_init(ws_field_list *l, const ws_http_header *headers, size_t num_headers,
                        const char *name)
{
    l->headers = headers;
    l->num_headers = num_headers;
    l->name = name;
    l->next_field = 0;
    l->field = NULL;
    l->at = 0;
}

int ws_field_list_next(ws_field_list *l, const char **elem, size_t *elem_len)
{
    for (;;) {
        if (!l->field) {
            l->field = ws_http_find_header(l->headers, l->num_headers, l->name, &l->next_field);
            l->at = 0;
            if (!l->field)
                return 0;
        }
        int r = ws_http_list_next(l->field->value, l->field->value_len, &l->at, elem, elem_len);
        if (r != 0)
            return r;
        l->field = NULL;
    }
}

bool ws_http_is_token(const char *s, size_t len)
{
    if (!s || len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!ws_is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

bool ws_http_has_token(const ws_http_header *headers, size_t num_headers, const char *name,
                       const char *token)
{
    if (!token)
        return false;
    size_t token_len = strlen(token);
    ws_field_list l;
    const char *e;
    size_t elen;
    ws_field_list_init(&l, headers, num_headers, name);
    while (ws_field_list_next(&l, &e, &elen) == 1)
        if (ws_ascii_ieq(e, elen, token, token_len))
            return true;
    return false;
}

bool ws_http_field_value_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!ws_is_field_char((unsigned char)s[i]))
            return false;
    return true;
}

bool ws_http_header_lines_valid(const char *lines)
{
    if (!lines)
        return true;
    const unsigned char *p = (const unsigned char *)lines;
    while (*p) {
        const unsigned char *name = p;
        while (ws_is_tchar(*p))
            p++;
        if (p == name || *p != ':')
            return false;
        p++;
        while (*p && *p != '\r')
            if (!ws_is_field_char(*p++))
                return false;
        if (p[0] != '\r' || p[1] != '\n')
            return false;
        p += 2;
    }
    return true;
}

const char *ws_http_reason_phrase(int status)
{
    switch (status) {
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return NULL;
    }
}

bool ws_http_lines_set_field(const char *lines, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = lines; p && *p;) {
        const char *colon = strchr(p, ':');
        if (ws_ascii_ieq(p, (size_t)(colon - p), name, len))
            return true;
        p = strchr(colon, '\r') + 2; /* the line's CRLF: values hold no CR */
    }
    return false;
}

int ws_http_write_response(int status, const char *reason, const char *content_type,
                           const char *extra_headers, const void *body, size_t body_len,
                           char *out, size_t cap)
{
    if (status < 100 || status > 999)
        return WS_E_INVALID_ARGUMENT;
    if (!reason)
        reason = ws_http_reason_phrase(status);
    if (!reason)
        reason = "Unknown";
    if (!ws_http_field_value_valid(reason, strlen(reason)) ||
        (content_type && !ws_http_field_value_valid(content_type, strlen(content_type))) ||
        !ws_http_header_lines_valid(extra_headers))
        return WS_E_INVALID_ARGUMENT;
    /* The fields that say where the body ends, and the connection's fate,
     * are ours: a second Content-Length, or a Transfer-Encoding beside it,
     * is a response that clients and proxies may each read differently
     * (RFC 9112 section 6.3, the root of response smuggling). */
    if (ws_http_lines_set_field(extra_headers, "Content-Length") ||
        ws_http_lines_set_field(extra_headers, "Transfer-Encoding") ||
        ws_http_lines_set_field(extra_headers, "Connection") ||
        (content_type && ws_http_lines_set_field(extra_headers, "Content-Type")))
        return WS_E_INVALID_ARGUMENT;

    ws_textbuf t;
    ws_textbuf_init(&t, out, cap);
    ws_textbuf_puts(&t, "HTTP/1.1 ");
    ws_textbuf_putu(&t, (uint64_t)status);
    ws_textbuf_puts(&t, " ");
    ws_textbuf_puts(&t, reason);
    ws_textbuf_puts(&t, "\r\n");
    if (content_type) {
        ws_textbuf_puts(&t, "Content-Type: ");
        ws_textbuf_puts(&t, content_type);
        ws_textbuf_puts(&t, "\r\n");
    }
    ws_textbuf_puts(&t, "Content-Length: ");
    ws_textbuf_putu(&t, body_len);
    ws_textbuf_puts(&t, "\r\nConnection: close\r\n");
    if (extra_headers)
        ws_textbuf_puts(&t, extra_headers);
    ws_textbuf_puts(&t, "\r\n");
    if (body)
        ws_textbuf_put(&t, body, body_len);
    return ws_textbuf_finish(&t);
}
