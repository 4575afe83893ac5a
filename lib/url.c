/*
 * WebSocket URLs (RFC 6455 section 3, which borrows RFC 3986's generic
 * syntax): "ws" or "wss", "://", a host, an optional port, then a path and
 * query. Parsed in place; everything RFC 3986 does not allow is rejected
 * rather than repaired, since a URL the server would read differently is
 * worse than none.
 */
#include "url.h"

#include <string.h>

#include "token.h"

uint16_t ws_url_default_port(bool secure)
{
    return secure ? 443 : 80;
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* unreserved / sub-delims of RFC 3986 section 2. */
static bool is_unreserved_or_sub_delim(unsigned char c)
{
    if (is_alpha(c) || is_digit(c))
        return true;
    switch (c) {
    case '-': case '.': case '_': case '~':
    case '!': case '$': case '&': case '\'': case '(': case ')':
    case '*': case '+': case ',': case ';': case '=':
        return true;
    default:
        return false;
    }
}

/* A character that is never allowed anywhere in a URL, reported as
 * WS_E_URL_SYNTAX wherever it shows up. */
static bool is_forbidden(unsigned char c)
{
    return c <= 0x20 || c >= 0x7F;
}

/* A valid %HH at s[i] (i < len). */
static bool pct_encoded(const char *s, size_t len, size_t i)
{
    return i + 2 < len && s[i] == '%' && is_hex((unsigned char)s[i + 1]) &&
           is_hex((unsigned char)s[i + 2]);
}

static bool scheme_is(const char *url, size_t len, const char *scheme, size_t scheme_len)
{
    return len >= scheme_len && ws_ascii_ieq(url, scheme_len, scheme, scheme_len);
}

/* dec-octet "." dec-octet "." dec-octet "." dec-octet (RFC 3986 section
 * 3.2.2): 0-255, no leading zeros. */
static bool ipv4_valid(const char *s, size_t len)
{
    size_t octets = 0, i = 0;
    while (octets < 4) {
        size_t start = i;
        unsigned value = 0;
        while (i < len && is_digit((unsigned char)s[i]) && i - start < 3)
            value = value * 10 + (unsigned)(s[i++] - '0');
        if (i == start || value > 255 || (s[start] == '0' && i - start > 1))
            return false;
        if (++octets < 4 && (i >= len || s[i++] != '.'))
            return false;
    }
    return i == len;
}

/* The number of 16-bit pieces in s, a list of h16 separated by single
 * colons ("" has none); -1 if it is not one. When it ends the address, its
 * last element may be an IPv4 address, two pieces. */
static int ipv6_pieces(const char *s, size_t len, bool ends_address)
{
    if (len == 0)
        return 0;
    int pieces = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ':')
            continue;
        size_t n = i - start;
        if (i == len && ends_address && memchr(s + start, '.', n))
            return ipv4_valid(s + start, n) ? pieces + 2 : -1;
        if (n < 1 || n > 4)
            return -1;
        for (size_t k = start; k < i; k++)
            if (!is_hex((unsigned char)s[k]))
                return -1;
        pieces++;
        start = i + 1;
    }
    return pieces;
}

/* IPv6address of RFC 3986 section 3.2.2: eight pieces, or fewer around
 * one "::" that stands for the missing ones (at least one), the last two
 * possibly an IPv4 address. Zone identifiers are not supported. */
static bool ipv6_valid(const char *s, size_t len)
{
    size_t gap = 0;
    while (gap + 1 < len && !(s[gap] == ':' && s[gap + 1] == ':'))
        gap++;
    if (gap + 1 >= len)
        return ipv6_pieces(s, len, true) == 8;
    int before = ipv6_pieces(s, gap, false);
    int after = ipv6_pieces(s + gap + 2, len - gap - 2, true);
    return before >= 0 && after >= 0 && before + after <= 7;
}

ws_status ws_url_parse_authority(const char *s, size_t len, ws_url *u)
{
    for (size_t k = 0; k < len; k++) {
        if (is_forbidden((unsigned char)s[k]))
            return WS_E_URL_SYNTAX;
        if (s[k] == '@')
            return WS_E_URL_USERINFO;
    }

    size_t host_end;
    if (len > 0 && s[0] == '[') {
        size_t close = 1;
        while (close < len && s[close] != ']')
            close++;
        if (close >= len || !ipv6_valid(s + 1, close - 1))
            return WS_E_URL_HOST;
        u->ipv6 = true;
        u->host = s + 1;
        u->host_len = close - 1;
        host_end = close + 1;
        if (host_end < len && s[host_end] != ':')
            return WS_E_URL_HOST;
    } else {
        host_end = 0;
        while (host_end < len && s[host_end] != ':') {
            unsigned char c = (unsigned char)s[host_end];
            if (c == '%') {
                if (!pct_encoded(s, len, host_end))
                    return WS_E_URL_SYNTAX;
                host_end += 3;
                continue;
            }
            if (!is_unreserved_or_sub_delim(c))
                return c == '[' || c == ']' ? WS_E_URL_HOST : WS_E_URL_SYNTAX;
            host_end++;
        }
        if (host_end == 0)
            return WS_E_URL_HOST;
        u->ipv6 = false;
        u->host = s;
        u->host_len = host_end;
    }

    u->port = ws_url_default_port(u->secure);
    u->port_explicit = false;
    /* An empty port is the default one (RFC 3986 section 3.2.3). */
    if (host_end + 1 < len) { /* s[host_end] == ':' */
        uint32_t port = 0;
        for (size_t p = host_end + 1; p < len; p++) {
            if (!is_digit((unsigned char)s[p]))
                return WS_E_URL_PORT;
            port = port * 10u + (uint32_t)(s[p] - '0');
            if (port > 65535u)
                return WS_E_URL_PORT;
        }
        if (port == 0)
            return WS_E_URL_PORT;
        u->port = (uint16_t)port;
        u->port_explicit = true;
    }
    return WS_OK;
}

ws_status ws_url_parse(const char *url, size_t len, ws_url *out)
{
    if (!out || (!url && len))
        return WS_E_INVALID_ARGUMENT;
    ws_url u = {0};
    size_t i;
    if (scheme_is(url, len, "wss://", 6)) {
        u.secure = true;
        i = 6;
    } else if (scheme_is(url, len, "ws://", 5)) {
        i = 5;
    } else {
        return WS_E_URL_SCHEME;
    }
    /* Before anything else, so that "ws://h/#x" is named for its fragment
     * and not for the first character that happens to follow. */
    for (size_t k = i; k < len; k++) {
        if (url[k] == '#')
            return WS_E_URL_FRAGMENT;
    }

    /* authority ends at the first '/' or '?' */
    size_t auth = i;
    while (i < len && url[i] != '/' && url[i] != '?')
        i++;
    size_t auth_end = i;
    ws_status st = ws_url_parse_authority(url + auth, auth_end - auth, &u);
    if (st != WS_OK)
        return st;

    /* path-abempty [ "?" query ]: pchar, "/" and (in the query) "?" */
    for (size_t k = auth_end; k < len; k++) {
        unsigned char c = (unsigned char)url[k];
        if (c == '%') {
            if (!pct_encoded(url, len, k))
                return WS_E_URL_SYNTAX;
            k += 2;
            continue;
        }
        if (!is_unreserved_or_sub_delim(c) && c != ':' && c != '@' && c != '/' && c != '?')
            return WS_E_URL_SYNTAX;
    }
    if (auth_end == len) {
        u.target = "/";
        u.target_len = 1;
    } else {
        u.target = url + auth_end;
        u.target_len = len - auth_end;
    }
    *out = u;
    return WS_OK;
}

void ws_url_put_authority(ws_textbuf *t, const ws_url *url, bool with_default_port)
{
    if (url->ipv6)
        ws_textbuf_puts(t, "[");
    ws_textbuf_put(t, url->host, url->host_len);
    if (url->ipv6)
        ws_textbuf_puts(t, "]");
    if (with_default_port || url->port != ws_url_default_port(url->secure)) {
        ws_textbuf_puts(t, ":");
        ws_textbuf_putu(t, url->port);
    }
}

int ws_url_write(const ws_url *url, char *out, size_t cap)
{
    if (!url || !url->host || (!out && cap))
        return WS_E_INVALID_ARGUMENT;
    ws_textbuf t;
    ws_textbuf_init(&t, out, cap);
    ws_textbuf_puts(&t, url->secure ? "wss://" : "ws://");
    ws_url_put_authority(&t, url, url->port_explicit);
    if (url->target && url->target_len)
        ws_textbuf_put(&t, url->target, url->target_len);
    else
        ws_textbuf_puts(&t, "/");
    int n = ws_textbuf_finish(&t);
    if (n >= 0 && (size_t)n < cap)
        out[n] = '\0';
    return n;
}
