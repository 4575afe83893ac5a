/* Base64 (RFC 4648 section 4). Decoding is strict because RFC 6455 asks
 * for a key that "when decoded, is 16 bytes in length": a lenient decoder
 * would accept keys that other servers reject. */
#include "base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t ws_base64_encode(const uint8_t *in, size_t len, char *out)
{
    size_t o = 0, i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = '=';
        out[o++] = '=';
    } else if (len - i == 2) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8);
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = '=';
    }
    return o;
}

/* The 6-bit value of an alphabet character, or -1. */
static int sextet(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int ws_base64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
    if (len % 4 != 0)
        return -1;
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        int last_group = (i + 4 == len);
        int s[4];
        int pad = 0;
        for (int j = 0; j < 4; j++) {
            unsigned char c = (unsigned char)in[i + (size_t)j];
            if (c == '=' && last_group && j >= 2) {
                s[j] = 0;
                pad++;
                continue;
            }
            if (pad > 0) /* data after padding: "ab=c" */
                return -1;
            s[j] = sextet(c);
            if (s[j] < 0)
                return -1;
        }
        size_t bytes = 3u - (size_t)pad;
        uint32_t v = ((uint32_t)s[0] << 18) | ((uint32_t)s[1] << 12) | ((uint32_t)s[2] << 6) | (uint32_t)s[3];
        if (o + bytes > cap)
            return -1;
        out[o++] = (uint8_t)(v >> 16);
        if (bytes > 1)
            out[o++] = (uint8_t)(v >> 8);
        if (bytes > 2)
            out[o++] = (uint8_t)v;
    }
    return (int)o;
}
