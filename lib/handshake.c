/*
 * The opening handshake (RFC 6455 section 4), both roles: the server's
 * checks of a request (4.2.1) and its answer (4.2.2), the client's request
 * (4.1) and its checks of the answer. HTTP syntax is http.c's business;
 * this file knows what the WebSocket fields mean.
 */
#include <string.h>

#include "base64.h"
#include "extensions.h"
#include "http.h"
#include "sha1.h"
#include "textbuf.h"
#include "token.h"
#include "url.h"

/* RFC 6455 section 1.3: the GUID appended to the key. */
static const char accept_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void ws_handshake_key(const uint8_t nonce[16], char key[WS_KEY_LEN + 1])
{
    ws_base64_encode(nonce, 16, key);
    key[WS_KEY_LEN] = '\0';
}

void ws_handshake_accept(const char *key, size_t key_len, char accept[WS_ACCEPT_LEN + 1])
{
    ws_sha1 sha;
    uint8_t digest[WS_SHA1_DIGEST_LEN];
    ws_sha1_init(&sha);
    ws_sha1_update(&sha, key, key_len);
    ws_sha1_update(&sha, accept_guid, sizeof accept_guid - 1);
    ws_sha1_final(&sha, digest);
    ws_base64_encode(digest, sizeof digest, accept);
    accept[WS_ACCEPT_LEN] = '\0';
}

/* The only field of its name, or NULL when it is absent or repeated. */
static const ws_http_header *single_header(const ws_http_header *headers, size_t n,
                                           const char *name)
{
    if (ws_http_count_header(headers, n, name) != 1)
        return NULL;
    return ws_http_find_header(headers, n, name, NULL);
}

static bool key_valid(const ws_http_header *h)
{
    uint8_t nonce[18]; /* room for more, so a longer decoding shows */
    return h && h->value_len == WS_KEY_LEN &&
           ws_base64_decode(h->value, h->value_len, nonce, sizeof nonce) == 16;
}

/* RFC 6455 section 4.1 sends a resource name (origin-form, "/chat?x") and
 * RFC 9112 section 3.2.2 lets a server take the absolute form too
 * ("ws://host/chat"); "*" and authority forms belong to OPTIONS and
 * CONNECT. */
static bool target_is_path_or_uri(const char *t, size_t len)
{
    /* RFC 6455 section 3: a WebSocket URI has no fragment, and a '#' that
     * is data is sent as %23; so a '#' here is never the resource name. */
    if (len > 0 && memchr(t, '#', len) != NULL)
        return false;
    if (len > 0 && t[0] == '/')
        return true;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), then "://" */
    size_t i = 0;
    for (; i < len; i++) {
        unsigned c = (unsigned char)t[i];
        bool alpha = (c | 0x20u) - 'a' < 26u;
        bool more = c - '0' < 10u || c == '+' || c == '-' || c == '.';
        if (!alpha && (i == 0 || !more))
            break;
    }
    return i > 0 && len - i > 3 && memcmp(t + i, "://", 3) == 0;
}

/* A Host value is uri-host [":" port] (RFC 9112 section 3.2), the
 * authority a ws:// URL holds, and RFC 9112 makes any other value a 400: a
 * space, userinfo ("u@"), a path, a port that is not a number. */
static bool host_value_valid(const char *v, size_t len)
{
    ws_url authority = {0};
    return ws_url_parse_authority(v, len, &authority) == WS_OK;
}

/* Whether the request announces content: any Transfer-Encoding, or a
 * Content-Length that is not all zeros (an empty or listed one is not a
 * plain 0 either). */
static bool announces_content(const ws_http_header *headers, size_t n)
{
    if (ws_http_count_header(headers, n, "Transfer-Encoding") > 0)
        return true;
    size_t pos = 0;
    const ws_http_header *length;
    while ((length = ws_http_find_header(headers, n, "Content-Length", &pos)) != NULL) {
        if (length->value_len == 0)
            return true;
        for (size_t i = 0; i < length->value_len; i++)
            if (length->value[i] != '0')
                return true;
    }
    return false;
}

/* Every element of every Sec-WebSocket-Protocol field is a token and there
 * are at most max of them (0: no limit). Returns the count or an error. */
static int count_protocols(const ws_http_header *headers, size_t n, uint32_t max)
{
    size_t count = 0;
    ws_field_list list;
    const char *e;
    size_t elen;
    int more;
    ws_field_list_init(&list, headers, n, "Sec-WebSocket-Protocol");
    while ((more = ws_field_list_next(&list, &e, &elen)) == 1) {
        if (!ws_http_is_token(e, elen))
            return WS_E_HS_BAD_TOKEN_LIST;
        if (max != 0 && count >= max)
            return WS_E_HS_TOO_MANY_PROTOCOLS;
        count++;
    }
    return more < 0 ? WS_E_HS_BAD_TOKEN_LIST : (int)count;
}

ws_status ws_handshake_check_request(const ws_http_request *req, const ws_limits *limits,
                                     ws_handshake_request *hs)
{
    if (!req || (!req->headers && req->num_headers))
        return WS_E_INVALID_ARGUMENT;
    ws_limits l = ws_http_limits(limits);
    const ws_http_header *h = req->headers;
    size_t n = req->num_headers;

    bool upgrade = ws_http_has_token(h, n, "Upgrade", "websocket");
    if (!upgrade && ws_http_count_header(h, n, "Sec-WebSocket-Key") == 0 &&
        ws_http_count_header(h, n, "Sec-WebSocket-Version") == 0)
        return WS_E_HS_NOT_WEBSOCKET;
    /* Methods are case-sensitive (RFC 9110 section 9.1). */
    if (req->method_len != 3 || memcmp(req->method, "GET", 3) != 0)
        return WS_E_HS_METHOD;
    if (req->minor_version < 1)
        return WS_E_HTTP_VERSION;
    if (!target_is_path_or_uri(req->target, req->target_len))
        return WS_E_HS_BAD_TARGET;
    const ws_http_header *host = single_header(h, n, "Host");
    if (!host || host->value_len == 0 || !host_value_valid(host->value, host->value_len))
        return WS_E_HS_NO_HOST;
    if (announces_content(h, n))
        return WS_E_HS_BODY;
    if (!upgrade)
        return WS_E_HS_NO_UPGRADE_TOKEN;
    if (!ws_http_has_token(h, n, "Connection", "Upgrade"))
        return WS_E_HS_NO_CONNECTION_UPGRADE;
    const ws_http_header *key = single_header(h, n, "Sec-WebSocket-Key");
    if (!key_valid(key))
        return WS_E_HS_BAD_KEY;
    if (ws_http_count_header(h, n, "Sec-WebSocket-Version") > 1)
        return WS_E_HS_REPEATED_VERSION;
    const ws_http_header *version = ws_http_find_header(h, n, "Sec-WebSocket-Version", NULL);
    if (!version || version->value_len != 2 || memcmp(version->value, "13", 2) != 0)
        return WS_E_HS_BAD_VERSION;
    int protocols = count_protocols(h, n, l.max_protocols);
    if (protocols < 0)
        return (ws_status)protocols;
    int extensions = ws_handshake_parse_extensions(h, n, &l, NULL, 0, NULL, 0);
    if (extensions < 0)
        return (ws_status)extensions;

    if (hs) {
        const ws_http_header *origin = ws_http_find_header(h, n, "Origin", NULL);
        hs->target = req->target;
        hs->target_len = req->target_len;
        hs->host = host->value;
        hs->host_len = host->value_len;
        hs->key = key->value;
        hs->key_len = key->value_len;
        hs->origin = origin ? origin->value : NULL;
        hs->origin_len = origin ? origin->value_len : 0;
        hs->num_protocols = (size_t)protocols;
        hs->num_extensions = (size_t)extensions;
        hs->expect_continue = ws_http_has_token(h, n, "Expect", "100-continue");
    }
    return WS_OK;
}

ws_status ws_handshake_select_protocol(const ws_http_request *req, const char *const *supported,
                                       size_t num_supported, const ws_limits *limits,
                                       const char **chosen)
{
    if (!req || !chosen || (!supported && num_supported))
        return WS_E_INVALID_ARGUMENT;
    *chosen = NULL;
    ws_limits l = ws_http_limits(limits);
    int offered = count_protocols(req->headers, req->num_headers, l.max_protocols);
    if (offered < 0)
        return (ws_status)offered;
    for (size_t i = 0; i < num_supported; i++) {
        if (!supported[i])
            continue;
        size_t want = strlen(supported[i]);
        ws_field_list list;
        const char *e;
        size_t elen;
        ws_field_list_init(&list, req->headers, req->num_headers, "Sec-WebSocket-Protocol");
        while (ws_field_list_next(&list, &e, &elen) == 1) {
            if (elen == want && memcmp(e, supported[i], want) == 0) {
                *chosen = supported[i];
                return WS_OK;
            }
        }
    }
    return WS_OK;
}

/* A string that may go into a field value as is. */
static bool value_ok(const char *s)
{
    return !s || ws_http_field_value_valid(s, strlen(s));
}

int ws_handshake_write_response(const ws_handshake_request *hs, const char *protocol,
                                const char *extensions, const char *extra_headers, char *out,
                                size_t cap)
{
    if (!hs || !hs->key || hs->key_len != WS_KEY_LEN || (!out && cap))
        return WS_E_INVALID_ARGUMENT;
    if ((protocol && !ws_http_is_token(protocol, strlen(protocol))) || !value_ok(extensions) ||
        !ws_http_header_lines_valid(extra_headers))
        return WS_E_INVALID_ARGUMENT;
    /* RFC 6455 section 11.3 allows -Accept, -Protocol and -Extensions once
     * in a response (and -Key and -Version once in a request): a line
     * repeating one would make a message that ws_handshake_check_response
     * (ws_handshake_check_request) itself refuses. */
    if (ws_http_lines_set_field(extra_headers, "Sec-WebSocket-Accept") ||
        (protocol && ws_http_lines_set_field(extra_headers, "Sec-WebSocket-Protocol")) ||
        (extensions && *extensions &&
         ws_http_lines_set_field(extra_headers, "Sec-WebSocket-Extensions")))
        return WS_E_INVALID_ARGUMENT;
    char accept[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(hs->key, hs->key_len, accept);

    ws_textbuf t;
    ws_textbuf_init(&t, out, cap);
    if (hs->expect_continue)
        ws_textbuf_puts(&t, "HTTP/1.1 100 Continue\r\n\r\n");
    ws_textbuf_puts(&t, "HTTP/1.1 101 Switching Protocols\r\n"
                        "Upgrade: websocket\r\n"
                        "Connection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: ");
    ws_textbuf_puts(&t, accept);
    ws_textbuf_puts(&t, "\r\n");
    if (protocol) {
        ws_textbuf_puts(&t, "Sec-WebSocket-Protocol: ");
        ws_textbuf_puts(&t, protocol);
        ws_textbuf_puts(&t, "\r\n");
    }
    if (extensions && *extensions) {
        ws_textbuf_puts(&t, "Sec-WebSocket-Extensions: ");
        ws_textbuf_puts(&t, extensions);
        ws_textbuf_puts(&t, "\r\n");
    }
    if (extra_headers)
        ws_textbuf_puts(&t, extra_headers);
    ws_textbuf_puts(&t, "\r\n");
    return ws_textbuf_finish(&t);
}

int ws_handshake_write_rejection(int error, char *out, size_t cap)
{
    if (!out && cap)
        return WS_E_INVALID_ARGUMENT;
    int code = ws_status_http_code(error);
    if (code == 0)
        code = 400;
    const char *reason = ws_http_reason_phrase(code);
    ws_textbuf t;
    ws_textbuf_init(&t, out, cap);
    ws_textbuf_puts(&t, "HTTP/1.1 ");
    ws_textbuf_putu(&t, (uint64_t)code);
    ws_textbuf_puts(&t, " ");
    ws_textbuf_puts(&t, reason ? reason : "Bad Request");
    ws_textbuf_puts(&t, "\r\nContent-Type: text/plain; charset=utf-8\r\n");
    if (code == 426) {
        /* RFC 6455 section 4.4 names the version we speak; RFC 9110
         * section 15.5.22 wants Upgrade on a 426, and section 7.8 wants
         * Connection to list it. */
        ws_textbuf_puts(&t, "Sec-WebSocket-Version: 13\r\n"
                            "Upgrade: websocket\r\n"
                            "Connection: Upgrade, close\r\n");
    } else {
        ws_textbuf_puts(&t, "Connection: close\r\n");
    }
    if (code == 405)
        ws_textbuf_puts(&t, "Allow: GET\r\n");
    const char *sentence = ws_strerror(error);
    ws_textbuf_puts(&t, "Content-Length: ");
    ws_textbuf_putu(&t, strlen(sentence) + 1);
    ws_textbuf_puts(&t, "\r\n\r\n");
    ws_textbuf_puts(&t, sentence);
    ws_textbuf_puts(&t, "\n");
    return ws_textbuf_finish(&t);
}

/* Subprotocols must be distinct tokens (RFC 6455 section 4.1 item 10). */
static bool protocols_valid(const char *const *protocols, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!protocols[i] || !ws_http_is_token(protocols[i], strlen(protocols[i])))
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(protocols[i], protocols[j]) == 0)
                return false;
    }
    return true;
}

/* The request-target: printable ASCII without spaces, and without '#':
 * a WebSocket URI has no fragment (RFC 6455 section 3), which ws_url_parse
 * enforces but a ws_url filled by hand may not. */
static bool target_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7F || s[i] == '#')
            return false;
    return true;
}

int ws_handshake_write_request(const ws_url *url, const ws_client_options *opts,
                               const uint8_t nonce[16], char key[WS_KEY_LEN + 1], char *out,
                               size_t cap)
{
    static const ws_client_options no_options;
    if (!opts)
        opts = &no_options;
    if (!url || !url->host || url->host_len == 0 || !nonce || !key || (!out && cap) ||
        (!url->target && url->target_len))
        return WS_E_INVALID_ARGUMENT;
    if (!target_valid(url->host, url->host_len) || !target_valid(url->target, url->target_len) ||
        !value_ok(opts->origin) || !value_ok(opts->extensions) ||
        !ws_http_header_lines_valid(opts->extra_headers) ||
        (opts->num_protocols && !opts->protocols) ||
        !protocols_valid(opts->protocols, opts->num_protocols))
        return WS_E_INVALID_ARGUMENT;
    /* Host too: it is always written, and a request with two is one a
     * server must refuse (RFC 9112 section 3.2). */
    if (ws_http_lines_set_field(opts->extra_headers, "Host") ||
        (opts->origin && ws_http_lines_set_field(opts->extra_headers, "Origin")) ||
        ws_http_lines_set_field(opts->extra_headers, "Sec-WebSocket-Key") ||
        ws_http_lines_set_field(opts->extra_headers, "Sec-WebSocket-Version") ||
        (opts->num_protocols > 0 &&
         ws_http_lines_set_field(opts->extra_headers, "Sec-WebSocket-Protocol")) ||
        (opts->extensions && *opts->extensions &&
         ws_http_lines_set_field(opts->extra_headers, "Sec-WebSocket-Extensions")))
        return WS_E_INVALID_ARGUMENT;
    ws_handshake_key(nonce, key);

    ws_textbuf t;
    ws_textbuf_init(&t, out, cap);
    ws_textbuf_puts(&t, "GET ");
    /* "ws://h?q" has no path; the request line needs one. */
    if (url->target_len == 0 || url->target[0] != '/')
        ws_textbuf_puts(&t, "/");
    ws_textbuf_put(&t, url->target, url->target_len);
    ws_textbuf_puts(&t, " HTTP/1.1\r\nHost: ");
    ws_url_put_authority(&t, url, false);
    ws_textbuf_puts(&t, "\r\nUpgrade: websocket\r\n"
                        "Connection: Upgrade\r\n"
                        "Sec-WebSocket-Key: ");
    ws_textbuf_puts(&t, key);
    ws_textbuf_puts(&t, "\r\nSec-WebSocket-Version: 13\r\n");
    if (opts->origin) {
        ws_textbuf_puts(&t, "Origin: ");
        ws_textbuf_puts(&t, opts->origin);
        ws_textbuf_puts(&t, "\r\n");
    }
    if (opts->num_protocols > 0) {
        ws_textbuf_puts(&t, "Sec-WebSocket-Protocol: ");
        for (size_t i = 0; i < opts->num_protocols; i++) {
            if (i > 0)
                ws_textbuf_puts(&t, ", ");
            ws_textbuf_puts(&t, opts->protocols[i]);
        }
        ws_textbuf_puts(&t, "\r\n");
    }
    if (opts->extensions && *opts->extensions) {
        ws_textbuf_puts(&t, "Sec-WebSocket-Extensions: ");
        ws_textbuf_puts(&t, opts->extensions);
        ws_textbuf_puts(&t, "\r\n");
    }
    if (opts->extra_headers)
        ws_textbuf_puts(&t, opts->extra_headers);
    ws_textbuf_puts(&t, "\r\n");
    return ws_textbuf_finish(&t);
}

/* True when the fields called name hold token and nothing else. The 101's
 * Upgrade must be "websocket" itself (RFC 6455 section 4.1, the client's
 * step 2: a value that is not a match fails), where a request's Upgrade
 * only has to contain it (section 4.2.1 item 3). */
static bool only_token(const ws_http_header *headers, size_t n, const char *name,
                       const char *token)
{
    size_t token_len = strlen(token);
    bool seen = false;
    ws_field_list list;
    const char *e;
    size_t elen;
    int more;
    ws_field_list_init(&list, headers, n, name);
    while ((more = ws_field_list_next(&list, &e, &elen)) == 1) {
        if (!ws_ascii_ieq(e, elen, token, token_len))
            return false;
        seen = true;
    }
    return more == 0 && seen;
}

/* True when the client's offer (a Sec-WebSocket-Extensions value) names the
 * extension name[0..len). */
static bool extension_offered(const char *offer, const char *name, size_t len)
{
    if (!offer)
        return false;
    size_t at = 0;
    const char *e;
    size_t elen;
    while (ws_http_list_next(offer, strlen(offer), &at, &e, &elen) == 1) {
        size_t tok = 0;
        while (tok < elen && ws_is_tchar((unsigned char)e[tok]))
            tok++;
        if (ws_ascii_ieq(e, tok, name, len))
            return true;
    }
    return false;
}

ws_status ws_handshake_check_response(const ws_http_response *res, const char *key,
                                      const ws_client_options *opts, ws_handshake_response *hr)
{
    static const ws_client_options no_options;
    if (!opts)
        opts = &no_options;
    if (!res || !key || (!res->headers && res->num_headers))
        return WS_E_INVALID_ARGUMENT;
    const ws_http_header *h = res->headers;
    size_t n = res->num_headers;

    if (res->status != 101)
        return WS_E_HS_STATUS;
    if (res->minor_version < 1)
        return WS_E_HTTP_VERSION;
    if (!only_token(h, n, "Upgrade", "websocket") ||
        !ws_http_has_token(h, n, "Connection", "Upgrade"))
        return WS_E_HS_RESPONSE_UPGRADE;

    char expected[WS_ACCEPT_LEN + 1];
    ws_handshake_accept(key, strlen(key), expected);
    const ws_http_header *accept = single_header(h, n, "Sec-WebSocket-Accept");
    if (!accept || accept->value_len != WS_ACCEPT_LEN ||
        memcmp(accept->value, expected, WS_ACCEPT_LEN) != 0)
        return WS_E_HS_BAD_ACCEPT;

    /* Sec-WebSocket-Protocol-Server = token (RFC 6455 section 4.3), in one
     * field: the server chooses one. A field that is empty or holds a list
     * ("chat,") is no token either; section 4.2.2 calls the empty string
     * "not a legal value", so it must not pass for the absent field. */
    const char *protocol = NULL;
    size_t protocol_len = 0;
    size_t protocol_fields = ws_http_count_header(h, n, "Sec-WebSocket-Protocol");
    if (protocol_fields > 1)
        return WS_E_HS_UNOFFERED_PROTOCOL;
    if (protocol_fields == 1) {
        const ws_http_header *p = ws_http_find_header(h, n, "Sec-WebSocket-Protocol", NULL);
        if (!ws_http_is_token(p->value, p->value_len))
            return WS_E_HS_UNOFFERED_PROTOCOL;
        protocol = p->value;
        protocol_len = p->value_len;
    }
    if (protocol) {
        bool offered = false;
        for (size_t i = 0; i < opts->num_protocols && opts->protocols; i++)
            if (opts->protocols[i] && strlen(opts->protocols[i]) == protocol_len &&
                memcmp(opts->protocols[i], protocol, protocol_len) == 0)
                offered = true;
        if (!offered)
            return WS_E_HS_UNOFFERED_PROTOCOL;
    }

    size_t num_extensions = 0;
    ws_field_list list;
    const char *e;
    size_t elen;
    int more;
    ws_field_list_init(&list, h, n, "Sec-WebSocket-Extensions");
    while ((more = ws_field_list_next(&list, &e, &elen)) == 1) {
        ws_extension ext;
        /* Parameters are only validated here (count mode); the name is
         * what the offer is checked against. */
        if (ws_extension_parse_one(e, elen, &ext, NULL, 0) < 0)
            return WS_E_HS_BAD_EXTENSION;
        if (!extension_offered(opts->extensions, ext.name, ext.name_len))
            return WS_E_HS_UNOFFERED_EXTENSION;
        num_extensions++;
    }
    if (more < 0)
        return WS_E_HS_BAD_EXTENSION;

    if (hr) {
        hr->protocol = protocol;
        hr->protocol_len = protocol_len;
        hr->num_extensions = num_extensions;
    }
    return WS_OK;
}
