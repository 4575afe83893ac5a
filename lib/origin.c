/* Origin checks (RFC 6455 section 4.2.2 item 4, RFC 6454 section 6.2):
 * a browser says which site's script opened the connection; a server that
 * serves only its own pages refuses the rest, which is the defence against
 * cross-site WebSocket hijacking. */
#include <string.h>

#include "token.h"
#include "wsframe.h"

/* A serialized origin split up: scheme "://" host [ ":" port ]. */
struct origin_parts {
    const char *scheme;
    size_t scheme_len;
    const char *host;
    size_t host_len;
    unsigned port; /* the default for http/https/ws/wss when absent; 0 unknown */
};

static unsigned default_port(const char *scheme, size_t len)
{
    if (ws_ascii_ieq(scheme, len, "http", 4) || ws_ascii_ieq(scheme, len, "ws", 2))
        return 80;
    if (ws_ascii_ieq(scheme, len, "https", 5) || ws_ascii_ieq(scheme, len, "wss", 3))
        return 443;
    return 0;
}

static bool split_origin(const char *s, size_t len, struct origin_parts *o)
{
    size_t i = 0;
    while (i < len && s[i] != ':')
        i++;
    if (i == 0 || len - i < 3 || s[i + 1] != '/' || s[i + 2] != '/')
        return false;
    o->scheme = s;
    o->scheme_len = i;
    i += 3;
    size_t host = i;
    if (i < len && s[i] == '[') {
        while (i < len && s[i] != ']')
            i++;
        if (i == len)
            return false;
        i++;
    } else {
        while (i < len && s[i] != ':')
            i++;
    }
    if (i == host)
        return false;
    o->host = s + host;
    o->host_len = i - host;
    for (size_t k = host; k < i; k++)
        if (s[k] == '/' || s[k] == '?' || s[k] == '#' || s[k] == '@' || (unsigned char)s[k] <= 0x20)
            return false; /* a path, query or credentials: not an origin */
    if (i == len) {
        o->port = default_port(o->scheme, o->scheme_len);
        return true;
    }
    if (s[i] != ':' || i + 1 == len)
        return false;
    unsigned port = 0;
    for (i++; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        port = port * 10u + (unsigned)(s[i] - '0');
        if (port > 65535u)
            return false;
    }
    o->port = port;
    return true;
}

ws_status ws_handshake_check_origin(const char *origin, size_t origin_len,
                                    const char *const *allowed, size_t num_allowed)
{
    if (!origin || !allowed)
        return WS_E_HS_ORIGIN_FORBIDDEN;
    /* "null" is the origin of privacy-sensitive contexts; it never equals a
     * real site, only an explicit "null" entry. */
    bool is_null = origin_len == 4 && memcmp(origin, "null", 4) == 0;
    struct origin_parts o;
    if (!is_null && !split_origin(origin, origin_len, &o))
        return WS_E_HS_ORIGIN_FORBIDDEN;
    for (size_t i = 0; i < num_allowed; i++) {
        const char *a = allowed[i];
        if (!a)
            continue;
        size_t alen = strlen(a);
        if (is_null) {
            if (alen == 4 && memcmp(a, "null", 4) == 0)
                return WS_OK;
            continue;
        }
        struct origin_parts p;
        if (!split_origin(a, alen, &p))
            continue;
        if (ws_ascii_ieq(o.scheme, o.scheme_len, p.scheme, p.scheme_len) &&
            ws_ascii_ieq(o.host, o.host_len, p.host, p.host_len) && o.port == p.port && o.port != 0)
            return WS_OK;
    }
    return WS_E_HS_ORIGIN_FORBIDDEN;
}
