/* An out-of-tree program built against the installed libwsframe: it must
 * compile with the installed header, link with the installed library and
 * decode the RFC 6455 section 5.7 masked "Hello" frame. */
#include <stdio.h>
#include <string.h>

#include <wsframe.h>

int main(void)
{
    uint8_t frame[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    ws_frame f;
    int n = ws_frame_parse(frame, sizeof frame, WS_ROLE_SERVER, 0, &f);
    if (n != 6 || !f.fin || f.opcode != WS_OP_TEXT || f.payload_len != 5) {
        fprintf(stderr, "ws_frame_parse: %d (%s)\n", n, ws_strerror(n));
        return 1;
    }
    ws_mask(frame + n, (size_t)f.payload_len, f.mask, 0);
    if (memcmp(frame + n, "Hello", 5) != 0) {
        fprintf(stderr, "unmasked payload is not Hello\n");
        return 1;
    }
    printf("libwsframe %s: parsed a %llu-byte text frame: Hello\n", ws_version(),
           (unsigned long long)f.payload_len);
    return 0;
}
