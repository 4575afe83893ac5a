/* Parsing one element of a Sec-WebSocket-Extensions list (RFC 6455
 * section 9.1). Internal, not installed. */
#ifndef WS_EXTENSIONS_H
#define WS_EXTENSIONS_H

#include <stddef.h>

#include "wsframe.h"

/*
 * Parse elem[0..len) ("permessage-deflate; client_max_window_bits=10"), one
 * element of the comma-separated list, already split and trimmed.
 * ext:    filled when not NULL; ext->params = params.
 * params, max_params: where the parameters go; when params is NULL they are
 *         only counted.
 * Returns the number of parameters, WS_E_HS_BAD_EXTENSION, or
 * WS_E_HS_TOO_MANY_EXTENSIONS when params is given and too small.
 */
int ws_extension_parse_one(const char *elem, size_t len, ws_extension *ext,
                           ws_extension_param *params, size_t max_params);

#endif
