/* Internal part of the URL module shared with the handshake builder.
 * Not installed. */
#ifndef WS_URL_H
#define WS_URL_H

#include <stdbool.h>

#include "textbuf.h"
#include "wsframe.h"

/* host, bracketed when IPv6, then ":port" when with_default_port is true
 * or the port is not the scheme's default: what a Host field or a URL's
 * authority holds. */
void ws_url_put_authority(ws_textbuf *t, const ws_url *url, bool with_default_port);

/* The authority of s[0..len): uri-host [":" port] with no userinfo
 * (RFC 3986 section 3.2.2-3.2.3, RFC 6455 section 3), as a URL holds it
 * after "ws://" and a Host field holds it (RFC 9112 section 3.2). Fills
 * u's host, host_len, ipv6, port (u->secure's default when none is given)
 * and port_explicit; returns WS_OK, WS_E_URL_SYNTAX, WS_E_URL_USERINFO,
 * WS_E_URL_HOST or WS_E_URL_PORT. */
ws_status ws_url_parse_authority(const char *s, size_t len, ws_url *u);

/* 80 for ws, 443 for wss. */
uint16_t ws_url_default_port(bool secure);

#endif
