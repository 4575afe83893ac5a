/*
 * frame.h - frame.c's internals for the tests. Internal; not installed.
 */
#ifndef WS_FRAME_H
#define WS_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "wsframe.h"

/* ws_frame_write without its AVX2 path for unmasked frames of 33-125
 * payload bytes, so the tests hold the SSE2 / portable one to the same
 * bytes on any machine. */
ptrdiff_t ws_frame_write_no_avx2(const ws_frame *frame, const void *payload, size_t payload_len,
                                 uint8_t *out, size_t cap);

/* On a cache line of its own: a small frame costs 2 ns, and the same
 * ws_frame_write took 2.0 or 2.8 ns per 2-byte frame depending only on
 * where the linker happened to put it. */
#define HOT_ENTRY __attribute__((aligned(64)))

/* ws_frame_write's path for a frame its caller has already checked: an
 * unmasked frame with first header byte b0 (a defined opcode, FIN set if a
 * control frame, no RSV bit outside WS_RSV1|WS_RSV2|WS_RSV3), payload_len
 * <= 125, payload not NULL and not overlapping out, and room for
 * 2 + payload_len bytes at out. Writes the same bytes as ws_frame_write
 * and returns 2 + payload_len. For ws_message_write, which knows all this
 * already and so skips the frame struct and its checks. */
ptrdiff_t ws_frame_write_short_unmasked(uint8_t b0, const void *payload, size_t payload_len,
                                        uint8_t *out);

#endif
