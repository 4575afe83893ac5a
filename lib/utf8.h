/*
 * utf8.h - the implementations behind ws_utf8_feed. Internal; not installed.
 *
 * All variants share one DFA and differ only in how they skip runs of ASCII;
 * they are exposed so the tests can hold each one against the others and
 * against a plain reference, whichever the dispatcher would pick here.
 * Each has the contract of ws_utf8_feed.
 */
#ifndef WS_UTF8_H
#define WS_UTF8_H

#include "cpu.h"
#include "wsframe.h"

/* 8/16 bytes at a time in plain C; always compiled. */
ws_status ws_utf8_feed_portable(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);

#ifdef WS_HAVE_SSE2
ws_status ws_utf8_feed_sse2(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);
#endif
#ifdef WS_HAVE_AVX2
/* Only call when ws_cpu_has_avx2(). */
ws_status ws_utf8_feed_avx2(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);
#endif
#ifdef WS_HAVE_NEON
ws_status ws_utf8_feed_neon(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at);
#endif

#endif
