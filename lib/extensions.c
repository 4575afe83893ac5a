/* Sec-WebSocket-Extensions (RFC 6455 section 9.1):
 *   extension-list  = 1#extension
 *   extension       = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" (token | quoted-string) ]
 * with optional whitespace around ";" and "=", and a quoted-string value
 * that must still be a token once unescaped. */
#include "extensions.h"

#include "http.h"
#include "token.h"

static size_t skip_ows(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

static size_t skip_token(const char *s, size_t len, size_t i)
{
    while (i < len && ws_is_tchar((unsigned char)s[i]))
        i++;
    return i;
}

int ws_extension_parse_one(const char *elem, size_t len, ws_extension *ext,
                           ws_extension_param *params, size_t max_params)
{
    size_t i = skip_token(elem, len, 0);
    if (i == 0)
        return WS_E_HS_BAD_EXTENSION;
    if (ext) {
        ext->name = elem;
        ext->name_len = i;
        ext->params = params;
        ext->num_params = 0;
    }
    size_t n = 0;
    i = skip_ows(elem, len, i);
    while (i < len) {
        if (elem[i] != ';')
            return WS_E_HS_BAD_EXTENSION;
        i = skip_ows(elem, len, i + 1);
        size_t name = i;
        i = skip_token(elem, len, i);
        if (i == name)
            return WS_E_HS_BAD_EXTENSION;
        ws_extension_param param = {elem + name, i - name, NULL, 0, false};
        i = skip_ows(elem, len, i);
        if (i < len && elem[i] == '=') {
            i = skip_ows(elem, len, i + 1);
            if (i < len && elem[i] == '"') {
                size_t start = ++i;
                size_t unescaped = 0;
                for (;;) {
                    if (i >= len)
                        return WS_E_HS_BAD_EXTENSION;
                    if (elem[i] == '"')
                        break;
                    if (elem[i] == '\\' && ++i >= len)
                        return WS_E_HS_BAD_EXTENSION;
                    if (!ws_is_tchar((unsigned char)elem[i]))
                        return WS_E_HS_BAD_EXTENSION;
                    unescaped++;
                    i++;
                }
                if (unescaped == 0)
                    return WS_E_HS_BAD_EXTENSION;
                param.value = elem + start;
                param.value_len = i - start;
                param.quoted = true;
                i++;
            } else {
                size_t start = i;
                i = skip_token(elem, len, i);
                if (i == start)
                    return WS_E_HS_BAD_EXTENSION;
                param.value = elem + start;
                param.value_len = i - start;
            }
            i = skip_ows(elem, len, i);
        }
        if (params) {
            if (n >= max_params)
                return WS_E_HS_TOO_MANY_EXTENSIONS;
            params[n] = param;
        }
        n++;
        if (n > (size_t)INT32_MAX)
            return WS_E_HS_TOO_MANY_EXTENSIONS;
    }
    if (ext) {
        ext->num_params = n;
        if (n == 0)
            ext->params = NULL;
    }
    return (int)n;
}

int ws_handshake_parse_extensions(const ws_http_header *headers, size_t num_headers,
                                  const ws_limits *limits, ws_extension *exts, size_t max_exts,
                                  ws_extension_param *params, size_t max_params)
{
    if ((!headers && num_headers) || (!exts && max_exts) || (!params && max_params))
        return WS_E_INVALID_ARGUMENT;
    ws_limits l = ws_http_limits(limits);
    size_t count = 0, used_params = 0;
    ws_field_list list;
    const char *e;
    size_t elen;
    int more;
    ws_field_list_init(&list, headers, num_headers, "Sec-WebSocket-Extensions");
    while ((more = ws_field_list_next(&list, &e, &elen)) == 1) {
        if (l.max_extensions != 0 && count >= l.max_extensions)
            return WS_E_HS_TOO_MANY_EXTENSIONS;
        ws_extension *ext = NULL;
        /* When storing, an exhausted or absent params array must fail
         * rather than switch to counting. */
        ws_extension_param no_params[1];
        ws_extension_param *dst = NULL;
        size_t room = 0;
        if (exts) {
            if (count >= max_exts)
                return WS_E_HS_TOO_MANY_EXTENSIONS;
            ext = &exts[count];
            dst = params ? params + used_params : no_params;
            room = params ? max_params - used_params : 0;
        }
        int n = ws_extension_parse_one(e, elen, ext, dst, room);
        if (n < 0)
            return n;
        if (l.max_extensions != 0 && (size_t)n > l.max_extensions)
            return WS_E_HS_TOO_MANY_EXTENSIONS;
        used_params += (size_t)n;
        count++;
    }
    if (more < 0)
        return WS_E_HS_BAD_EXTENSION;
    return (int)count;
}
