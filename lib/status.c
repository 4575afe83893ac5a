/* Statuses: every row of WS_STATUS_TABLE becomes a sentence, a name, a close
 * code and an HTTP status here, so the four can never disagree. */
#include "wsframe.h"

struct status_row {
    int value;
    uint16_t close_code;
    uint16_t http_code;
    const char *name;
    const char *sentence;
};

#define WS_STATUS_ROW_(name, value, close_code, http_code, sentence)                              \
    {(value), (close_code), (http_code), #name, (sentence)},
static const struct status_row status_rows[] = {WS_STATUS_TABLE(WS_STATUS_ROW_)};
#undef WS_STATUS_ROW_

static const struct status_row *find_row(int status)
{
    for (size_t i = 0; i < sizeof status_rows / sizeof status_rows[0]; i++)
        if (status_rows[i].value == status)
            return &status_rows[i];
    return NULL;
}

const char *ws_strerror(int status)
{
    const struct status_row *row = find_row(status);
    if (row)
        return row->sentence;
    return status > 0 ? "Success." : "Unknown libwsframe status.";
}

const char *ws_status_name(int status)
{
    const struct status_row *row = find_row(status);
    /* Skip "WS_" and "WS_E_" so logs read "RESERVED_OPCODE". */
    if (!row)
        return status > 0 ? "OK" : "UNKNOWN"; /* a byte count, as ws_strerror says */
    const char *n = row->name + 3;
    return (n[0] == 'E' && n[1] == '_') ? n + 2 : n;
}

uint16_t ws_status_close_code(int status)
{
    const struct status_row *row = find_row(status);
    return row ? row->close_code : 0;
}

int ws_status_http_code(int status)
{
    const struct status_row *row = find_row(status);
    return row ? row->http_code : 0;
}

const char *ws_version(void) { return WS_VERSION_STRING; }

void ws_limits_default(ws_limits *limits)
{
    limits->max_frame_size = WS_DEFAULT_MAX_FRAME_SIZE;
    limits->max_message_size = WS_DEFAULT_MAX_MESSAGE_SIZE;
    limits->max_fragments = WS_DEFAULT_MAX_FRAGMENTS;
    limits->max_header_bytes = WS_DEFAULT_MAX_HEADER_BYTES;
    limits->max_headers = WS_DEFAULT_MAX_HEADERS;
    limits->max_protocols = WS_DEFAULT_MAX_PROTOCOLS;
    limits->max_extensions = WS_DEFAULT_MAX_EXTENSIONS;
}
