/*
 * mask.h - the masking implementations behind ws_mask / ws_mask_copy.
 * Internal; not installed. Every variant has the contract of ws_mask_copy
 * (dst may equal src, must not otherwise overlap it) and returns the next key
 * offset. They are exposed so the tests can hold each one against a
 * byte-at-a-time reference, whichever one the dispatcher would pick here.
 */
#ifndef WS_MASK_H
#define WS_MASK_H

#include <stddef.h>
#include <stdint.h>

#include "cpu.h"

/* Word at a time (uint64_t via memcpy); always compiled. */
size_t ws_mask_portable(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                        size_t key_offset);

#ifdef WS_HAVE_SSE2
size_t ws_mask_sse2(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                    size_t key_offset);
#endif
#ifdef WS_HAVE_AVX2
/* Only call when ws_cpu_has_avx2(). */
size_t ws_mask_avx2(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                    size_t key_offset);
#endif
#ifdef WS_HAVE_NEON
size_t ws_mask_neon(uint8_t *dst, const uint8_t *src, size_t len, const uint8_t key[4],
                    size_t key_offset);
#endif

#endif
