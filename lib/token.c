/* Character classes of HTTP text (RFC 9110 section 5.6.2 tokens, 5.5 field
 * values). Tables would be faster; these run over a few hundred bytes per
 * connection, so clarity wins. */
#include "token.h"

bool ws_is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
        return true;
    default:
        return false;
    }
}

bool ws_is_field_char(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7F);
}

unsigned char ws_ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + ('a' - 'A')) : c;
}

bool ws_ascii_ieq(const char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++)
        if (ws_ascii_lower((unsigned char)a[i]) != ws_ascii_lower((unsigned char)b[i]))
            return false;
    return true;
}
