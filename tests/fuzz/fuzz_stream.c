/* libFuzzer target for the stream parser (lib/stream.c).
 *
 * Input: byte 0 picks the role (bit 0), tight limits (bit 1) and the
 * largest read size (bits 2-7); the rest is the byte stream. Invariants:
 *   - the parser never breaks its contract (event data inside the buffer it
 *     was given, no empty DATA, START/END paired, never consuming more than
 *     it was given, never stuck with a full WS_PARSER_MIN_BUFFER buffer);
 *   - the events are the same whole, one byte at a time, and in reads of
 *     random sizes (seeded from the input);
 *   - the stream, sent as a binary message through the writer (client role,
 *     fragmented), parses back to exactly that message.
 * Inputs of the stream sit at the end of a mapping followed by a PROT_NONE
 * page, so an over-read faults even without ASan. */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../stream_harness.h"

static void check(bool ok, const char *what, const sh_log *a, const sh_log *b)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_stream: %s\n  a: %s%s%s\n  b: %s%s%s\n", what, a->text,
            a->broken ? " BROKEN: " : "", a->broken ? a->broken : "", b ? b->text : "",
            b && b->broken ? " BROKEN: " : "", b && b->broken ? b->broken : "");
    abort();
}

static void next_key(void *ctx, uint8_t key[4])
{
    uint32_t *n = ctx;
    sh_key((*n)++, key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 16)
        return 0;
    uint8_t cfg_byte = data[0];
    const uint8_t *stream = data + 1;
    size_t len = size - 1;

    ws_limits limits;
    ws_limits_default(&limits);
    if (cfg_byte & 2) {
        limits.max_frame_size = 64;
        limits.max_message_size = 200;
        limits.max_fragments = 5;
    }
    sh_config cfg = {(cfg_byte & 1) ? WS_ROLE_CLIENT : WS_ROLE_SERVER, &limits};

    static sh_log whole, other;
    sh_parse_whole(&cfg, stream, len, &whole);
    check(whole.broken == NULL, "contract broken (whole)", &whole, NULL);

    sh_feed(&cfg, stream, len, WS_PARSER_MIN_BUFFER, sh_chunk_one, NULL, &other);
    check(sh_same_log(&whole, &other), "one byte at a time differs", &whole, &other);

    uint64_t seed = sh_fnv(SH_FNV_INIT, data, size);
    sh_random_chunks rc = {seed | 1, 1 + (size_t)(cfg_byte >> 2) * 4};
    sh_feed(&cfg, stream, len, WS_PARSER_MIN_BUFFER + (size_t)(seed % 64), sh_chunk_random, &rc,
            &other);
    check(sh_same_log(&whole, &other), "random reads differ", &whole, &other);

    /* WS_PARSER_WHOLE_MESSAGES has its own fast paths for frames found
     * whole; it must tell the same story, and fail at the same byte, at
     * every cut. */
    static sh_log whole_mode;
    char why[4096];
    if (!sh_check_invariance_with(&cfg, WS_PARSER_WHOLE_MESSAGES, stream, len, 64, seed,
                                  &whole_mode, why, sizeof why)) {
        fprintf(stderr, "WS_PARSER_WHOLE_MESSAGES: %s\n", why);
        abort();
    }
    check(sh_same_log(&whole, &whole_mode), "WS_PARSER_WHOLE_MESSAGES differs", &whole, &whole_mode);

    /* Writer round trip. */
    static uint8_t out[1 << 18];
    uint32_t keys = 0;
    ws_writer w;
    ws_writer_init(&w, WS_ROLE_CLIENT, (size_t)(cfg_byte >> 2) * 97, next_key, &keys);
    ptrdiff_t n = ws_message_write(&w, WS_OP_BINARY, stream, len, out, sizeof out);
    check(n == (ptrdiff_t)ws_message_size(&w, len), "writer size", &whole, NULL);
    sh_config server = {WS_ROLE_SERVER, NULL};
    sh_parse_whole(&server, out, (size_t)n, &other);
    char expected[64];
    snprintf(expected, sizeof expected, "B(%zu:%016" PRIx64 ") ", len,
             sh_fnv(SH_FNV_INIT, stream, len));
    check(!other.broken && other.error == 0 && strcmp(other.text, expected) == 0,
          "writer round trip", &other, NULL);
    return 0;
}
