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

#endif
