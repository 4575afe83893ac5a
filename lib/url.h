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

/* 80 for ws, 443 for wss. */
uint16_t ws_url_default_port(bool secure);

#endif
