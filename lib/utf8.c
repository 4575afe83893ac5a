/*
 * utf8.c - UTF-8 validation (RFC 3629 section 4) for text messages and close
 * reasons (RFC 6455 sections 5.6, 8.1), incremental and fail-fast.
 *
 * The core is a DFA over 9 states whose second-byte states already encode
 * the narrowed ranges of RFC 3629's grammar (E0 needs A0-BF, ED needs 80-9F,
 * F0 needs 90-BF, F4 needs 80-8F), so the first byte that cannot continue a
 * valid text is exactly the byte where the DFA enters REJECT: that gives the
 * "fail at the first impossible byte" contract without a second pass.
 *
 * The DFA is "shift-based": for each input byte one 64-bit table entry holds
 * the next state for every current state, 6 bits each, and a state is the
 * bit offset of its own field. One step is
 *
 *     s = table[byte] >> (s & 63)
 *
 * a load that does not depend on the state plus one shift that does, so the
 * loop-carried chain is a single one-cycle shift (x86 shifts ignore the
 * count's upper bits, which the & 63 only makes legal C). No branch depends
 * on the data inside a block: REJECT is absorbing, so a block of 16 bytes is
 * stepped blindly and checked once at its end; only a failing block is
 * stepped again byte by byte to find the failing offset.
 *
 * In front of the DFA, while it is between sequences, a fast path skips a
 * prefix known to be valid: runs of ASCII (the common case in protocols),
 * 8 to 64 bytes at a time, or with AVX2 whole 32-byte blocks of any text
 * (see valid_run_avx2), with AVX-512 64-byte ones (valid_run_avx512), with
 * NEON 16-byte ones, four to a test (valid_run_neon). The
 * portable path is always compiled, and the tests hold every variant
 * against each other and a reference.
 */
#include "utf8.h"
#include "utf8_avx512.h"

#include <string.h>

#include "mask.h"

#if defined(WS_HAVE_SSE2) || defined(WS_HAVE_AVX2)
#include <immintrin.h>
#endif
#ifdef WS_HAVE_NEON
#include <arm_neon.h>
#endif

/* States, by index. S_ACCEPT is 0 so a zeroed ws_utf8 is a fresh one. */
enum {
    S_ACCEPT, /* between sequences */
    S_REJECT, /* absorbing */
    S_CONT1,  /* need one more 80-BF */
    S_CONT2,  /* need two more 80-BF */
    S_CONT3,  /* need three more 80-BF */
    S_E0,     /* after E0: A0-BF, then one (no overlong 3-byte forms) */
    S_ED,     /* after ED: 80-9F, then one (no surrogates) */
    S_F0,     /* after F0: 90-BF, then two (no overlong 4-byte forms) */
    S_F4      /* after F4: 80-8F, then two (nothing above U+10FFFF) */
};

#define FIELD(s) ((s) * 6)
#define ACCEPT_VALUE ((uint64_t)FIELD(S_ACCEPT))
#define REJECT_VALUE ((uint64_t)FIELD(S_REJECT))
#define NEXT(from, to) ((uint64_t)FIELD(to) << FIELD(from))
/* One table entry: the next state from each of the 9 states, in enum order. */
#define ENTRY(acc, rej, c1, c2, c3, e0, ed, f0, f4)                                                \
    (NEXT(S_ACCEPT, acc) | NEXT(S_REJECT, rej) | NEXT(S_CONT1, c1) | NEXT(S_CONT2, c2) |           \
     NEXT(S_CONT3, c3) | NEXT(S_E0, e0) | NEXT(S_ED, ed) | NEXT(S_F0, f0) | NEXT(S_F4, f4))
#define R S_REJECT
#define E_ASCII ENTRY(S_ACCEPT, R, R, R, R, R, R, R, R)
#define E_CONT_80_8F ENTRY(R, R, S_ACCEPT, S_CONT1, S_CONT2, R, S_CONT1, R, S_CONT2)
#define E_CONT_90_9F ENTRY(R, R, S_ACCEPT, S_CONT1, S_CONT2, R, S_CONT1, S_CONT2, R)
#define E_CONT_A0_BF ENTRY(R, R, S_ACCEPT, S_CONT1, S_CONT2, S_CONT1, R, S_CONT2, R)
#define E_NEVER ENTRY(R, R, R, R, R, R, R, R, R)
#define E_LEAD(next) ENTRY(next, R, R, R, R, R, R, R, R)

#define E_OF(b)                                                                                    \
    ((b) < 0x80   ? E_ASCII                                                                        \
     : (b) < 0x90 ? E_CONT_80_8F                                                                   \
     : (b) < 0xA0 ? E_CONT_90_9F                                                                   \
     : (b) < 0xC0 ? E_CONT_A0_BF                                                                   \
     : (b) < 0xC2 ? E_NEVER /* C0, C1: overlong 2-byte forms */                                   \
     : (b) < 0xE0 ? E_LEAD(S_CONT1)                                                                \
     : (b) == 0xE0 ? E_LEAD(S_E0)                                                                  \
     : (b) == 0xED ? E_LEAD(S_ED)                                                                  \
     : (b) < 0xF0  ? E_LEAD(S_CONT2)                                                               \
     : (b) == 0xF0 ? E_LEAD(S_F0)                                                                  \
     : (b) < 0xF4  ? E_LEAD(S_CONT3)                                                               \
     : (b) == 0xF4 ? E_LEAD(S_F4)                                                                  \
                   : E_NEVER /* F5-FF: above U+10FFFF */)
#define E4(b) E_OF(b), E_OF((b) + 1), E_OF((b) + 2), E_OF((b) + 3)
#define E16(b) E4(b), E4((b) + 4), E4((b) + 8), E4((b) + 12)
#define E64(b) E16(b), E16((b) + 16), E16((b) + 32), E16((b) + 48)

static const uint64_t dfa[256] = {E64(0x00), E64(0x40), E64(0x80), E64(0xC0)};

#undef R

#define STEP(s, byte) ((s) = dfa[(byte)] >> ((s) & 63))
#define BLOCK 16

#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Each returns the length of a prefix of p known to be valid and to end
 * between sequences: a run of ASCII rounded down to the stride, or (AVX2)
 * whole blocks of any text. The DFA handles the rest. */
typedef size_t (*valid_run_fn)(const uint8_t *p, size_t len);

#define HIGH_BITS 0x8080808080808080ull

static ALWAYS_INLINE size_t ascii_run_portable(const uint8_t *p, size_t len)
{
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        uint64_t a, b, c, d;
        memcpy(&a, p + i, 8);
        memcpy(&b, p + i + 8, 8);
        memcpy(&c, p + i + 16, 8);
        memcpy(&d, p + i + 24, 8);
        if (((a | b | c | d) & HIGH_BITS) != 0)
            break;
    }
    for (; i + 8 <= len; i += 8) {
        uint64_t a;
        memcpy(&a, p + i, 8);
        if ((a & HIGH_BITS) != 0)
            break;
    }
    return i;
}

/*
 * Text of ASCII and 2-byte sequences (Latin, Greek, Cyrillic, Hebrew,
 * Arabic: U+0000-07FF), 8 bytes to a word with one flag in each byte's
 * bit 7: every lead must be C2-DF, every continuation must follow a lead,
 * and every byte after a lead must be a continuation. About 2.5 operations
 * per byte against the DFA's 4.8 instructions. The run ends before the
 * first 16 bytes holding anything else (a 3- or 4-byte sequence, an
 * error), and before a lead whose continuation is not in it; the DFA goes
 * on from there and finds any error itself.
 */
#define LOW_BITS_1_TO_4 0x1E1E1E1E1E1E1E1Eull

static ALWAYS_INLINE uint64_t two_byte_leads(uint64_t w)
{
    return w & (w << 1) & HIGH_BITS; /* C0-FF */
}

/* Bit 7 of each byte of w that breaks those rules, given its leads and
 * those of the word before (of which only the last byte's counts). */
static ALWAYS_INLINE uint64_t two_byte_errors(uint64_t w, uint64_t lead, uint64_t leads_before)
{
    const uint64_t continuation = (w & HIGH_BITS) ^ lead; /* 80-BF */
    const uint64_t after_lead = (lead << 8) | (leads_before >> 56);
    /* E0-FF have bit 5; C0-C1 have none of bits 1-4, so adding 1E to
     * them leaves bit 5 clear (no byte carries into the next). */
    const uint64_t wrong_lead =
        lead & ((w << 2) | ~(((w & LOW_BITS_1_TO_4) + LOW_BITS_1_TO_4) << 2));
    return (continuation ^ after_lead) | wrong_lead;
}

/* Eight bytes as a little-endian word: the rules above shift a lead's flag
 * onto "the next byte" with << 8, which is only the next byte in memory in
 * little-endian order. Compilers turn this into one load on little-endian
 * machines and a load and byte swap on big-endian ones (s390x, powerpc),
 * with no byte-order macro to get wrong. */
static ALWAYS_INLINE uint64_t load_le64(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
           (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 |
           (uint64_t)p[7] << 56;
}

static ALWAYS_INLINE size_t two_byte_run_portable(const uint8_t *p, size_t len)
{
    size_t i = 0;
    uint64_t leads = 0; /* of the last word that passed */
    if (len >= 16) {
        /* CJK and emoji text comes here after every DFA window: a lead of
         * E0-FF in the first word turns it away for a third of the cost
         * of the block check. */
        const uint64_t w = load_le64(p);
        if ((w & (w << 1) & (w << 2) & HIGH_BITS) != 0)
            return 0;
    }
    for (; i + 16 <= len; i += 16) {
        const uint64_t a = load_le64(p + i), b = load_le64(p + i + 8);
        const uint64_t leads_a = two_byte_leads(a), leads_b = two_byte_leads(b);
        if ((two_byte_errors(a, leads_a, leads) | two_byte_errors(b, leads_b, leads_a)) != 0)
            break;
        leads = leads_b;
    }
    /* A lead in the last byte is left to the DFA with its continuation. */
    return i - (size_t)(leads >> 63);
}

/* Below this a 2-byte run saves less than trying it costs. */
#define TWO_BYTE_RUN_MIN_LEN 64

/* The fast path between sequences: ASCII, then ASCII and 2-byte text. */
static ALWAYS_INLINE size_t valid_run_portable(const uint8_t *p, size_t len)
{
    const size_t i = ascii_run_portable(p, len);
    if (len - i < TWO_BYTE_RUN_MIN_LEN)
        return i;
    return i + two_byte_run_portable(p + i, len - i);
}

/*
 * Two DFAs at once. One DFA is bound by its loop-carried shift (one byte
 * per cycle at best, 2-2.7 GB/s measured); two independent ones interleaved
 * fill the idle issue slots. The window p[0, 2 * dual_bytes + 3) is cut at
 * the first sequence start at or after dual_bytes: the first DFA runs from
 * *state over the bytes before the cut, the second from ACCEPT over the
 * dual_bytes bytes after it. The two agree (the text is valid through the
 * window) only when the first one ends in ACCEPT at the cut.
 *
 * Returns how many bytes of p are known valid, with *state the DFA state
 * after them: the whole window when both agree, else 0. REJECT absorbs, so
 * one check at the end does for every byte; a window that fails holds an
 * error (a REJECT, a sequence cut at the cut, or four continuations in a
 * row), and the caller's one-DFA loop steps through it to the exact
 * failing byte. Only a failing text pays for that second look, once.
 */
#define DUAL_ROUNDS 32
#define DUAL_WINDOW (2 * BLOCK * DUAL_ROUNDS + 3)
/* A short text (a chat message) gets a window of its own size: 125 bytes
 * of mixed text 73 -> 57 ns per message. Long texts keep the long window,
 * whose per-window cost is spread wider (3.5 GB/s, against 2.9 with short
 * windows throughout). */
#define DUAL_ROUNDS_SHORT 3
#define DUAL_WINDOW_SHORT (2 * BLOCK * DUAL_ROUNDS_SHORT + 3)

#define IS_CONTINUATION(b) (((b) & 0xC0u) == 0x80u)

static ALWAYS_INLINE size_t dual_window(uint64_t *state, const uint8_t *p, const size_t rounds)
{
    const size_t dual_bytes = BLOCK * rounds;
    size_t cut = dual_bytes;
    /* A sequence has at most three continuation bytes; a fourth in a row
     * is an error, left to the one-DFA loop. */
    cut += IS_CONTINUATION(p[cut]);
    cut += IS_CONTINUATION(p[cut]) & (cut > dual_bytes);
    cut += IS_CONTINUATION(p[cut]) & (cut > dual_bytes + 1);
    if (IS_CONTINUATION(p[cut]))
        return 0;
    const uint8_t *q = p + cut;
    uint64_t a = *state, b = ACCEPT_VALUE;
    for (size_t r = 0; r < dual_bytes; r += BLOCK) {
        const uint8_t *x = p + r, *y = q + r;
        STEP(a, x[0]);
        STEP(b, y[0]);
        STEP(a, x[1]);
        STEP(b, y[1]);
        STEP(a, x[2]);
        STEP(b, y[2]);
        STEP(a, x[3]);
        STEP(b, y[3]);
        STEP(a, x[4]);
        STEP(b, y[4]);
        STEP(a, x[5]);
        STEP(b, y[5]);
        STEP(a, x[6]);
        STEP(b, y[6]);
        STEP(a, x[7]);
        STEP(b, y[7]);
        STEP(a, x[8]);
        STEP(b, y[8]);
        STEP(a, x[9]);
        STEP(b, y[9]);
        STEP(a, x[10]);
        STEP(b, y[10]);
        STEP(a, x[11]);
        STEP(b, y[11]);
        STEP(a, x[12]);
        STEP(b, y[12]);
        STEP(a, x[13]);
        STEP(b, y[13]);
        STEP(a, x[14]);
        STEP(b, y[14]);
        STEP(a, x[15]);
        STEP(b, y[15]);
    }
    /* The first DFA's last 0-3 bytes, up to the cut. */
    for (size_t k = dual_bytes; k < cut; k++)
        STEP(a, p[k]);
    if (((a & 63) != ACCEPT_VALUE) | ((b & 63) == REJECT_VALUE))
        return 0;
    *state = b;
    return cut + dual_bytes;
}

/* The shared loop; inlined into each variant with its own fast path. */
static ALWAYS_INLINE ws_status feed_with(ws_utf8 *v, const uint8_t *data, size_t len,
                                         size_t *error_at, valid_run_fn valid_run)
{
    uint64_t s = v->state_;
    if (s == REJECT_VALUE) {
        if (error_at != NULL)
            *error_at = 0;
        return WS_E_INVALID_UTF8;
    }
    size_t i = 0, one_dfa_until = 0;
    /* A piece that starts inside a sequence (the previous piece cut it):
     * finish that sequence first, at most three bytes, so the fast path
     * starts at once rather than after a DFA block or window. This is
     * what a text arriving in many reads pays per read. */
    while (i < len && (s & 63) != ACCEPT_VALUE) {
        STEP(s, data[i]);
        if ((s & 63) == REJECT_VALUE) {
            if (error_at != NULL)
                *error_at = i;
            v->state_ = (uint32_t)REJECT_VALUE;
            return WS_E_INVALID_UTF8;
        }
        i++;
    }
    while (i < len) {
        if ((s & 63) == ACCEPT_VALUE) {
            i += valid_run(data + i, len - i);
            if (i == len)
                break;
        }
        if (len - i >= DUAL_WINDOW_SHORT && i >= one_dfa_until) {
            /* The window fits what is left: a short text (a chat message)
             * or the end of a long one. */
            const size_t fit = (len - i - 3) / (2 * BLOCK);
            const size_t done = fit >= DUAL_ROUNDS ? dual_window(&s, data + i, DUAL_ROUNDS)
                                : fit == DUAL_ROUNDS_SHORT
                                    ? dual_window(&s, data + i, DUAL_ROUNDS_SHORT)
                                    : dual_window(&s, data + i, fit);
            if (done > 0) {
                i += done;
                continue;
            }
            /* The error is in there: no second try before it is found. */
            one_dfa_until = i + DUAL_WINDOW;
        }
        const uint8_t *p = data + i;
        const uint64_t start = s;
        size_t n;
        if (len - i >= BLOCK) {
            n = BLOCK;
            STEP(s, p[0]);
            STEP(s, p[1]);
            STEP(s, p[2]);
            STEP(s, p[3]);
            STEP(s, p[4]);
            STEP(s, p[5]);
            STEP(s, p[6]);
            STEP(s, p[7]);
            STEP(s, p[8]);
            STEP(s, p[9]);
            STEP(s, p[10]);
            STEP(s, p[11]);
            STEP(s, p[12]);
            STEP(s, p[13]);
            STEP(s, p[14]);
            STEP(s, p[15]);
        } else {
            n = len - i;
            for (size_t k = 0; k < n; k++)
                STEP(s, p[k]);
        }
        if ((s & 63) == REJECT_VALUE) {
            /* Step again to the byte that entered REJECT. */
            size_t k = 0;
            s = start;
            while ((STEP(s, p[k]) & 63) != REJECT_VALUE)
                k++;
            if (error_at != NULL)
                *error_at = i + k;
            v->state_ = (uint32_t)REJECT_VALUE;
            return WS_E_INVALID_UTF8;
        }
        i += n;
    }
    v->state_ = (uint32_t)(s & 63);
    return WS_OK;
}

ws_status ws_utf8_feed_portable(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at)
{
    return feed_with(v, data, len, error_at, valid_run_portable);
}

#if defined(WS_HAVE_SSE2) || defined(WS_HAVE_AVX2) || defined(WS_HAVE_NEON)
/* The end of a validated prefix p[0, end) may cut a sequence; back up to its
 * lead so the DFA sees it whole. */
static size_t back_to_boundary(const uint8_t *p, size_t end)
{
    for (size_t back = 1; back <= 3 && back <= end; back++) {
        const uint8_t b = p[end - back];
        if (b < 0x80)
            return end;
        if (b >= 0xC0) {
            size_t seq = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
            return back < seq ? end - back : end;
        }
    }
    return end;
}
#endif

#if defined(WS_HAVE_AVX2) || defined(WS_HAVE_NEON)
/* Control for a byte shuffle (_mm_shuffle_epi8, vqtbl1q_u8: both give 0
 * for an index of 0x80): loaded from SHIFT_IN_ZEROS + o, it moves a vector
 * up by 16 - o bytes, zeros coming in below. */
static const uint8_t SHIFT_IN_ZEROS[32] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                           0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                           0,    1,    2,    3,    4,    5,    6,    7,
                                           8,    9,    10,   11,   12,   13,   14,   15};
#endif

#ifdef WS_HAVE_SSE2
static ALWAYS_INLINE size_t ascii_run_sse2(const uint8_t *p, size_t len)
{
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
        if (_mm_movemask_epi8(_mm_or_si128(a, b)) != 0)
            break;
    }
    for (; i + 16 <= len; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        if (_mm_movemask_epi8(a) != 0)
            break;
    }
    return i;
}

/* two_byte_run_portable's rules, 16 bytes to a register, the classes by
 * signed comparison (80-BF are -128..-65, C2-DF -62..-33). */
static ALWAYS_INLINE __m128i two_byte_leads_sse2(__m128i x)
{
    return _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(-63)), _mm_cmplt_epi8(x, _mm_set1_epi8(-32)));
}

static ALWAYS_INLINE __m128i two_byte_errors_sse2(__m128i x, __m128i lead, __m128i leads_before)
{
    const __m128i continuation = _mm_cmplt_epi8(x, _mm_set1_epi8(-64));
    const __m128i ascii = _mm_cmpgt_epi8(x, _mm_set1_epi8(-1));
    const __m128i after_lead = _mm_or_si128(_mm_slli_si128(lead, 1), _mm_srli_si128(leads_before, 15));
    /* C0-C1, E0-FF: in none of the three classes. */
    const __m128i wrong =
        _mm_cmpeq_epi8(_mm_or_si128(_mm_or_si128(ascii, continuation), lead), _mm_setzero_si128());
    return _mm_or_si128(_mm_xor_si128(continuation, after_lead), wrong);
}

static ALWAYS_INLINE size_t two_byte_run_sse2(const uint8_t *p, size_t len)
{
    size_t i = 0;
    __m128i leads = _mm_setzero_si128(); /* of the last block that passed */
    for (; i + 32 <= len; i += 32) {
        const __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
        const __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
        const __m128i leads_a = two_byte_leads_sse2(a), leads_b = two_byte_leads_sse2(b);
        const __m128i errors = _mm_or_si128(two_byte_errors_sse2(a, leads_a, leads),
                                            two_byte_errors_sse2(b, leads_b, leads_a));
        if (_mm_movemask_epi8(errors) != 0)
            break;
        leads = leads_b;
    }
    /* A lead in the last byte is left to the DFA with its continuation. */
    return i - (size_t)((unsigned)_mm_movemask_epi8(leads) >> 15);
}

/*
 * Any text, 16 bytes to a register, with SSE2 alone (no byte shuffle to
 * look classes up, as the AVX2 check does): each byte is compared against
 * what the 1-3 bytes before it require. A continuation must stand exactly
 * where a lead before it asks for one (C0-FF one byte back, E0-FF two,
 * F0-FF three); C0, C1 and F5-FF are never valid; and the second byte
 * after E0, ED, F0 and F4 is narrowed as RFC 3629 says. 3.3 instructions
 * per byte against the DFA's 4.2. The run ends before the first 32 bytes
 * holding an error and before a sequence cut at its end; the DFA goes on
 * from there.
 */
static ALWAYS_INLINE __m128i block_errors_sse2(__m128i x, __m128i back1, __m128i back2,
                                                __m128i back3)
{
    const __m128i continuation = _mm_cmplt_epi8(x, _mm_set1_epi8(-64)); /* 80-BF */
    /* Non-zero where a lead before asks for a continuation here. */
    const __m128i wanted = _mm_or_si128(
        _mm_or_si128(_mm_subs_epu8(back1, _mm_set1_epi8((char)0xBF)),
                     _mm_subs_epu8(back2, _mm_set1_epi8((char)0xDF))),
        _mm_subs_epu8(back3, _mm_set1_epi8((char)0xEF)));
    /* A continuation not wanted, or one wanted and missing. */
    const __m128i misplaced =
        _mm_cmpeq_epi8(continuation, _mm_cmpeq_epi8(wanted, _mm_setzero_si128()));
    const __m128i never = _mm_or_si128(
        _mm_cmpeq_epi8(_mm_and_si128(x, _mm_set1_epi8((char)0xFE)), _mm_set1_epi8((char)0xC0)),
        _mm_subs_epu8(x, _mm_set1_epi8((char)0xF4)));
    /* Signed, 80-8F are -128..-113, 90-9F -112..-97, A0-BF -96..-65. */
    const __m128i e0_low = _mm_and_si128(_mm_cmpeq_epi8(back1, _mm_set1_epi8((char)0xE0)),
                                         _mm_cmplt_epi8(x, _mm_set1_epi8(-96)));
    const __m128i ed_high = _mm_and_si128(_mm_cmpeq_epi8(back1, _mm_set1_epi8((char)0xED)),
                                          _mm_cmpgt_epi8(x, _mm_set1_epi8(-97)));
    const __m128i f0_low = _mm_and_si128(_mm_cmpeq_epi8(back1, _mm_set1_epi8((char)0xF0)),
                                         _mm_cmplt_epi8(x, _mm_set1_epi8(-112)));
    const __m128i f4_high = _mm_and_si128(_mm_cmpeq_epi8(back1, _mm_set1_epi8((char)0xF4)),
                                          _mm_cmpgt_epi8(x, _mm_set1_epi8(-113)));
    return _mm_or_si128(_mm_or_si128(misplaced, never),
                        _mm_or_si128(_mm_or_si128(e0_low, ed_high), _mm_or_si128(f0_low, f4_high)));
}

#define LOAD128(p) _mm_loadu_si128((const __m128i *)(const void *)(p))

static ALWAYS_INLINE size_t any_text_run_sse2(const uint8_t *p, size_t len)
{
    if (len < 32)
        return 0;
    /* The bytes before p are not there or end a sequence: zeros stand
     * for them in the first block, the bytes themselves after it. */
    const __m128i first = LOAD128(p);
    if (_mm_movemask_epi8(_mm_cmpeq_epi8(
            block_errors_sse2(first, _mm_slli_si128(first, 1), _mm_slli_si128(first, 2),
                              _mm_slli_si128(first, 3)),
            _mm_setzero_si128())) != 0xFFFF)
        return 0;
    size_t i = 16;
    for (; i + 32 <= len; i += 32) {
        const __m128i errors =
            _mm_or_si128(block_errors_sse2(LOAD128(p + i), LOAD128(p + i - 1), LOAD128(p + i - 2),
                                           LOAD128(p + i - 3)),
                         block_errors_sse2(LOAD128(p + i + 16), LOAD128(p + i + 15),
                                           LOAD128(p + i + 14), LOAD128(p + i + 13)));
        if (_mm_movemask_epi8(_mm_cmpeq_epi8(errors, _mm_setzero_si128())) != 0xFFFF)
            break;
    }
    return back_to_boundary(p, i);
}

static ALWAYS_INLINE size_t valid_run_sse2(const uint8_t *p, size_t len)
{
    size_t i = ascii_run_sse2(p, len);
    if (len - i < TWO_BYTE_RUN_MIN_LEN)
        return i;
    i += two_byte_run_sse2(p + i, len - i);
    return i + any_text_run_sse2(p + i, len - i);
}

ws_status ws_utf8_feed_sse2(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at)
{
    return feed_with(v, data, len, error_at, valid_run_sse2);
}
#endif

#ifdef WS_HAVE_AVX2
/*
 * AVX2 validates whole 32-byte blocks of any text, not only ASCII, after
 * Keiser and Lemire, "Validating UTF-8 in less than one instruction per
 * byte" (2021). Every rule of RFC 3629 is a property of a byte and the one
 * before it, except "the 2nd/3rd byte after a 3-/4-byte lead must be a
 * continuation". Three 16-entry tables, indexed by the high and low nibble of
 * the previous byte and the high nibble of the current one, each give a set
 * of error kinds that pattern could belong to; a kind present in all three is
 * an error. The continuation rule is checked against the bytes 2 and 3 back.
 *
 * The blocks only say whether there is an error, not where; the exact byte
 * comes from the DFA: this function returns the validated prefix, ending
 * between sequences, and the DFA takes over from there (and finds the error
 * if the next block had one).
 */
/* The kinds of error, K_*: see utf8_avx512.h. */
#define TABLE16(...) _mm256_setr_epi8(__VA_ARGS__, __VA_ARGS__)

/* The bytes n places before each byte of in, reaching into prev. */
#define BYTES_BEFORE(in, prev, n)                                                                  \
    _mm256_alignr_epi8((in), _mm256_permute2x128_si256((prev), (in), 0x21), 16 - (n))

static WS_TARGET_AVX2 ALWAYS_INLINE __m256i block_errors(__m256i in, __m256i prev)
{
    const __m256i by_prev_high = TABLE16(K_BY_PREV_HIGH);
    const __m256i by_prev_low = TABLE16(K_BY_PREV_LOW);
    const __m256i by_this_high = TABLE16(K_BY_THIS_HIGH);
    const __m256i nibble = _mm256_set1_epi8(0x0F);

    const __m256i prev1 = BYTES_BEFORE(in, prev, 1);
    const __m256i kinds = _mm256_and_si256(
        _mm256_and_si256(
            _mm256_shuffle_epi8(by_prev_high, _mm256_and_si256(_mm256_srli_epi16(prev1, 4), nibble)),
            _mm256_shuffle_epi8(by_prev_low, _mm256_and_si256(prev1, nibble))),
        _mm256_shuffle_epi8(by_this_high, _mm256_and_si256(_mm256_srli_epi16(in, 4), nibble)));

    /* High bit set where the byte 2 back is E0+ or the byte 3 back is F0+:
     * this byte must be a continuation after a continuation, which is
     * exactly when K_TWO_CONTS is (legitimately) set. */
    const __m256i third = _mm256_subs_epu8(BYTES_BEFORE(in, prev, 2), _mm256_set1_epi8(0x60));
    const __m256i fourth = _mm256_subs_epu8(BYTES_BEFORE(in, prev, 3), _mm256_set1_epi8(0x70));
    const __m256i must_continue =
        _mm256_and_si256(_mm256_or_si256(third, fourth), _mm256_set1_epi8((char)0x80));
    return _mm256_xor_si256(must_continue, kinds);
}

/* Leading ASCII bytes of p, in multiples of 32. */
static WS_TARGET_AVX2 ALWAYS_INLINE size_t ascii_run_avx2(const uint8_t *p, size_t len)
{
    size_t i = 0;
    for (; i + 64 <= len; i += 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 32));
        if (_mm256_movemask_epi8(_mm256_or_si256(a, b)) != 0)
            break;
    }
    for (; i + 32 <= len; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
        if (_mm256_movemask_epi8(a) != 0)
            break;
    }
    return i;
}

/* The 16 bytes before p + o, 0 <= o < 16, as zeros where they fall before
 * p (ASCII, which is what the validator's state, between sequences, means
 * there), without reading before p. */
static WS_TARGET_AVX2 ALWAYS_INLINE __m128i shift_in_zeros(__m128i first, size_t o)
{
    return _mm_shuffle_epi8(first,
                            _mm_loadu_si128((const __m128i *)(const void *)(SHIFT_IN_ZEROS + o)));
}

static WS_TARGET_AVX2 ALWAYS_INLINE __m128i bytes_before_start(const uint8_t *p, size_t o)
{
    return shift_in_zeros(_mm_loadu_si128((const __m128i *)(const void *)p), o);
}

/*
 * valid_run_avx2 for 16 <= len < 64, too short for whole blocks and an
 * overlapping last one read from memory: two checks, the first bytes and
 * the last, with the bytes before the last block built from the first (see
 * bytes_before_start); a 16-byte block goes through the 32-byte check with
 * zeros after it. An error hands all of p to the DFA, which finds where it
 * is; a sequence cut at the end is left to the DFA as in valid_run_avx2.
 * Mixed texts through ws_utf8_validate, DFA alone -> this: 31 bytes 10.8 ->
 * 8.9 ns, 48 bytes 25 -> 8.9 ns.
 */
static WS_TARGET_AVX2 size_t valid_run_short_avx2(const uint8_t *p, size_t len)
{
    const __m128i zero = _mm_setzero_si128();
    __m256i errors;
    if (len >= 32) {
        const __m256i first = _mm256_loadu_si256((const __m256i *)(const void *)p);
        const __m256i last = _mm256_loadu_si256((const __m256i *)(const void *)(p + len - 32));
        const __m128i before_last =
            len >= 48 ? _mm_loadu_si128((const __m128i *)(const void *)(p + len - 48))
                      : bytes_before_start(p, len - 32);
        errors = _mm256_or_si256(block_errors(first, _mm256_setzero_si256()),
                                 block_errors(last, _mm256_set_m128i(before_last, zero)));
    } else {
        const __m128i first = _mm_loadu_si128((const __m128i *)(const void *)p);
        const __m128i last = _mm_loadu_si128((const __m128i *)(const void *)(p + len - 16));
        errors = _mm256_or_si256(
            block_errors(_mm256_set_m128i(zero, first), _mm256_setzero_si256()),
            block_errors(_mm256_set_m128i(zero, last),
                         _mm256_set_m128i(bytes_before_start(p, len - 16), zero)));
    }
    return _mm256_testz_si256(errors, errors) ? back_to_boundary(p, len) : 0;
}

/* Length of a valid prefix of p that ends between sequences. */
static WS_TARGET_AVX2 ALWAYS_INLINE size_t valid_run_avx2(const uint8_t *p, size_t len)
{
    if (len < 64)
        return len >= 16 ? valid_run_short_avx2(p, len) : 0;
    size_t i = 0;
    __m256i prev = _mm256_setzero_si256();
    bool prev_ascii = true;
    for (;;) {
        if (prev_ascii) {
            /* Runs of ASCII after ASCII cannot hold an error. */
            const size_t run = ascii_run_avx2(p + i, len - i);
            if (run > 0) {
                i += run;
                prev = _mm256_loadu_si256((const __m256i *)(const void *)(p + i - 32));
            }
        }
        if (i + 32 > len) {
            /* The last bytes as one block that overlaps the validated ones
             * (which it finds valid again), so the DFA gets only a
             * sequence cut at the end rather than up to 31 bytes. */
            if (i < len && len >= 64) {
                const __m256i in = _mm256_loadu_si256((const __m256i *)(const void *)(p + len - 32));
                const __m256i before =
                    _mm256_loadu_si256((const __m256i *)(const void *)(p + len - 64));
                const __m256i errors = block_errors(in, before);
                if (_mm256_testz_si256(errors, errors))
                    i = len;
            }
            break;
        }
        if (i + 64 <= len) {
            /* Two blocks to a test: one branch per 64 bytes. An error
             * stops the run before both; the DFA finds it. */
            const __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
            const __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 32));
            const __m256i errors = _mm256_or_si256(block_errors(a, prev), block_errors(b, a));
            if (!_mm256_testz_si256(errors, errors))
                break;
            prev = b;
            prev_ascii = _mm256_movemask_epi8(b) == 0;
            i += 64;
            continue;
        }
        const __m256i in = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
        const __m256i errors = block_errors(in, prev);
        if (!_mm256_testz_si256(errors, errors))
            break;
        prev = in;
        prev_ascii = _mm256_movemask_epi8(in) == 0;
        i += 32;
    }
    return back_to_boundary(p, i);
}

WS_TARGET_AVX2 ws_status ws_utf8_feed_avx2(ws_utf8 *v, const uint8_t *data, size_t len,
                                           size_t *error_at)
{
    return feed_with(v, data, len, error_at, valid_run_avx2);
}

/* Controls for _mm_shuffle_epi8 that place the bytes of a load taken from
 * the end of a text where they belong in a block of its last len bytes,
 * zeros after them: loaded from PLACE_LAST_8 + 24 - len (8 <= len < 16; the
 * load holds the last 8 bytes) or + 20 - len (4 <= len < 8; the last 4), or
 * from PLACE_LAST_16 + 16 - len (1 <= len <= 16; the last 16) or + 32 - len
 * (16 <= len <= 32; the last 16, for the upper half). */
static const uint8_t PLACE_LAST_8[32] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                         0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                         0,    1,    2,    3,    4,    5,    6,    7,
                                         0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};
static const uint8_t PLACE_LAST_16[32] = {0,    1,    2,    3,    4,    5,    6,    7,
                                          8,    9,    10,   11,   12,   13,   14,   15,
                                          0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                          0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80};

/* p[0, len), 4 <= len < 16, as one block with zeros after it, read with
 * two loads that overlap rather than past the end. */
static WS_TARGET_AVX2 ALWAYS_INLINE __m256i short_block(const uint8_t *p, size_t len)
{
    __m128i first, last;
    size_t at;
    if (len >= 8) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + len - 8, 8);
        first = _mm_cvtsi64_si128((long long)a);
        last = _mm_cvtsi64_si128((long long)b);
        at = 24 - len;
    } else {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + len - 4, 4);
        first = _mm_cvtsi32_si128((int)a);
        last = _mm_cvtsi32_si128((int)b);
        at = 20 - len;
    }
    const __m128i place = _mm_loadu_si128((const __m128i *)(const void *)(PLACE_LAST_8 + at));
    /* Where the two loads overlap both hold the same bytes. */
    return _mm256_zextsi128_si256(_mm_or_si128(first, _mm_shuffle_epi8(last, place)));
}

/*
 * A whole text of len bytes, 16 <= len < 32, whose first and last 16 bytes
 * are in registers (the stream parser's small frames unmask them there):
 * checked as one block of the len bytes and zeros, which also end any
 * sequence the text cuts. The bytes the unmasking just stored are not
 * loaded back: such a load spans two stores in flight and waits for both
 * (16-byte frames of mixed text through ws_parser_next on a Zen 3, which
 * has no AVX-512: 15-24 -> 10.4-11.1 ns).
 */
WS_TARGET_AVX2 ws_status ws_utf8_valid_16_to_31_regs_avx2(__m128i first, __m128i last, size_t len)
{
    const __m128i place =
        _mm_loadu_si128((const __m128i *)(const void *)(PLACE_LAST_16 + 32 - len));
    const __m256i text = _mm256_set_m128i(_mm_shuffle_epi8(last, place), first);
    const __m256i errors = block_errors(text, _mm256_setzero_si256());
    return _mm256_testz_si256(errors, errors) ? WS_OK : WS_E_INVALID_UTF8;
}

/* The same for 2 <= len < 16 bytes unmasked into two words (see
 * ws_utf8_valid_2_to_15_words_avx512 for what lo and hi hold). */
WS_TARGET_AVX2 ws_status ws_utf8_valid_2_to_15_words_avx2(uint64_t lo, uint64_t hi, size_t len)
{
    const __m256i text = _mm256_zextsi128_si256(ws_utf8_words_as_xmm(lo, hi, len));
    const __m256i errors = block_errors(text, _mm256_setzero_si256());
    return _mm256_testz_si256(errors, errors) ? WS_OK : WS_E_INVALID_UTF8;
}

/* Subtracted from the last 32 bytes of a text with unsigned saturation:
 * nonzero where a lead byte has too few bytes after it to end its
 * sequence (F0+ 3 from the end, E0+ 2, C0+ 1). */
static const uint8_t CUT_AT_END[32] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                       0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xEF, 0xDF, 0xBF};

/*
 * A whole text, 4 <= len: valid and not cut at the end. No state, no
 * position: the block check over 32-byte blocks, the errors of all of them
 * gathered and tested once. What is left after the last whole block (or a
 * text under 32 bytes) is one more block, padded with zeros, where a
 * sequence cut at the end meets a zero byte and fails the block check
 * itself; only a text of whole blocks needs CUT_AT_END.
 *
 * The loads are 16 bytes at 16-byte steps from the start, plus the last 16
 * bytes: the stores of the SSE2 unmasking loops. In the stream parser a
 * text was unmasked just before, its stores are still in flight, and a
 * load that one store covers whole is forwarded from it while a wider or
 * straddling one waits for them all. 125 bytes of mixed text, unmasked
 * with 16-byte stores then validated: 32-byte loads 19.4 ns, these 16.3 ns
 * (unmasking alone 3.3 ns; validation alone 8.0 and 8.3 ns). Where it
 * matters most, ws_utf8_unmask_whole_avx2 does not reload at all.
 */
WS_TARGET_AVX2 ws_status ws_utf8_whole_valid_avx2(const uint8_t *p, size_t len)
{
    __m256i prev = _mm256_setzero_si256(), errors = prev;
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        const __m256i in = _mm256_loadu2_m128i((const __m128i *)(const void *)(p + i + 16),
                                               (const __m128i *)(const void *)(p + i));
        errors = _mm256_or_si256(errors, block_errors(in, prev));
        prev = in;
    }
    const size_t rest = len - i;
    if (rest == 0) {
        errors = _mm256_or_si256(
            errors,
            _mm256_subs_epu8(prev, _mm256_loadu_si256((const __m256i *)(const void *)CUT_AT_END)));
    } else {
        __m256i tail;
        if (len < 16) {
            tail = short_block(p, len);
        } else {
            const __m128i last = _mm_loadu_si128((const __m128i *)(const void *)(p + len - 16));
            if (rest >= 16) {
                const __m128i place =
                    _mm_loadu_si128((const __m128i *)(const void *)(PLACE_LAST_16 + 32 - rest));
                tail = _mm256_set_m128i(_mm_shuffle_epi8(last, place),
                                        _mm_loadu_si128((const __m128i *)(const void *)(p + i)));
            } else {
                const __m128i place =
                    _mm_loadu_si128((const __m128i *)(const void *)(PLACE_LAST_16 + 16 - rest));
                tail = _mm256_zextsi128_si256(_mm_shuffle_epi8(last, place));
            }
        }
        errors = _mm256_or_si256(errors, block_errors(tail, prev));
    }
    return _mm256_testz_si256(errors, errors) ? WS_OK : WS_E_INVALID_UTF8;
}
#endif

#ifdef WS_HAVE_AVX2
/* A lead byte that leaves the DFA in each state (0 for ACCEPT): as the
 * last byte of the block before, it makes the block check ask of the next
 * bytes exactly what that state asks (S_CONT1 after E1 80 asks what C2
 * does), so a piece that starts inside a sequence is checked in blocks from
 * its first byte, with no bytes stepped one by one first. */
static const uint8_t LEAD_FOR_STATE[9] = {
    [S_CONT1] = 0xC2, [S_CONT2] = 0xE1, [S_CONT3] = 0xF1, [S_E0] = 0xE0,
    [S_ED] = 0xED,    [S_F0] = 0xF0,    [S_F4] = 0xF4,
};

/* The DFA's state after valid text ending with the bytes last[0..2]: they
 * are stepped from ACCEPT with continuation bytes met in ACCEPT skipped
 * (they end a sequence whose lead came before; a valid text has no
 * sequence longer than four bytes, so none that started before last[0] is
 * still open after last[2]). Three table loads and three shifts, no branch
 * on the data: what a piece cut in a sequence costs at its end. */
static inline uint32_t state_after_valid(const uint8_t last[3])
{
    uint64_t s = ACCEPT_VALUE;
    for (int k = 0; k < 3; k++) {
        uint64_t e = dfa[last[k]];
        if ((last[k] & 0xC0) == 0x80)
            e &= ~(uint64_t)63; /* ACCEPT's field: stay in ACCEPT */
        s = e >> (s & 63);
    }
    return (uint32_t)(s & 63);
}

/* The end of a piece of len >= 3 bytes that passed the block check: the
 * state its last bytes leave, or the failure of a last byte that can never
 * lead (C0, C1, F5-FF), which the block check sees only at the byte after
 * it. */
static inline ws_status piece_checked(ws_utf8 *v, const uint8_t *data, size_t len,
                                      size_t *error_at)
{
    v->state_ = state_after_valid(data + len - 3);
    if (v->state_ != REJECT_VALUE)
        return WS_OK;
    if (error_at != NULL)
        *error_at = len - 1;
    return WS_E_INVALID_UTF8;
}

/* Where the DFA takes over in a piece whose block check failed in the
 * block at failed_block: the last sequence boundary in the blocks before,
 * which passed (the DFA then starts from ACCEPT), or the piece's start in
 * the state it came with. */
static inline size_t dfa_restart(ws_utf8 *v, const uint8_t *data, size_t failed_block)
{
    if (failed_block == 0)
        return 0;
    v->state_ = (uint32_t)ACCEPT_VALUE;
    return back_to_boundary(data, failed_block);
}

/*
 * Unmask and validate in one pass: each 32-byte block is XORed, stored and
 * checked while in a register (a run of ASCII blocks only tested for a high
 * bit), so the data goes through the core once (see UNMASK_AVX2_MIN_LEN
 * for what that gains). From any state but REJECT, len >= 64: a piece
 * that starts inside a sequence starts its block check after
 * LEAD_FOR_STATE, and the state a cut at its end leaves comes from its
 * last three bytes (REJECT for a last byte that cannot lead), so a text
 * arriving in many reads pays no byte-by-byte steps at the cuts. The block
 * that holds an error, and all after it, is unmasked the plain way and
 * handed to the DFA, which finds the exact failing byte as always.
 */
static WS_TARGET_AVX2 ws_status unmask_feed_avx2(ws_utf8 *v, uint8_t *data, size_t len,
                                                  const uint8_t key[4], size_t *key_offset,
                                                  size_t *error_at)
{
    const size_t first_offset = *key_offset;
    const __m256i k = _mm256_set1_epi32((int)ws_mask_rotated_key(key, first_offset));
    /* The last 64 bytes, loaded before anything is stored: the last 32
     * are unmasked and stored after the body, over its end (same values
     * where they overlap), and checked after the 32 before them, which
     * are unmasked here too rather than reloaded: a reload would span two
     * of the body's stores, which cannot be forwarded, and wait for both
     * to reach the cache (1460-byte reads of ASCII: 29 -> 22 ns each). */
    const __m256i k_end = _mm256_set1_epi32((int)ws_mask_rotated_key(key, first_offset + len));
    const __m256i last = _mm256_xor_si256(
        _mm256_loadu_si256((const __m256i *)(const void *)(data + len - 32)), k_end);
    const __m256i before_last = _mm256_xor_si256(
        _mm256_loadu_si256((const __m256i *)(const void *)(data + len - 64)), k_end);
    __m256i prev = _mm256_set_epi64x((long long)((uint64_t)LEAD_FOR_STATE[v->state_ / FIELD(1)] << 56),
                                     0, 0, 0);
    size_t i = 0, done = 0; /* done: unmasked so far, when a block failed */
    for (; i + 64 <= len; i += 64) {
        __m256i *at = (__m256i *)(void *)(data + i);
        const __m256i a = _mm256_xor_si256(_mm256_loadu_si256(at), k);
        const __m256i b = _mm256_xor_si256(_mm256_loadu_si256(at + 1), k);
        _mm256_storeu_si256(at, a);
        _mm256_storeu_si256(at + 1, b);
        if (_mm256_movemask_epi8(_mm256_or_si256(_mm256_or_si256(a, b), prev)) != 0) {
            const __m256i errors = _mm256_or_si256(block_errors(a, prev), block_errors(b, a));
            if (!_mm256_testz_si256(errors, errors)) {
                done = i + 64;
                break;
            }
        }
        prev = b;
    }
    for (; done == 0 && i + 32 <= len; i += 32) {
        __m256i *at = (__m256i *)(void *)(data + i);
        const __m256i in = _mm256_xor_si256(_mm256_loadu_si256(at), k);
        _mm256_storeu_si256(at, in);
        const __m256i errors = block_errors(in, prev);
        if (!_mm256_testz_si256(errors, errors)) {
            done = i + 32;
            break;
        }
        prev = in;
    }
    *key_offset = (first_offset + len) & 3;
    if (done == 0) {
        if (i < len) {
            _mm256_storeu_si256((__m256i *)(void *)(data + len - 32), last);
            if (_mm256_movemask_epi8(_mm256_or_si256(last, before_last)) != 0) {
                const __m256i errors = block_errors(last, before_last);
                done = _mm256_testz_si256(errors, errors) ? 0 : len;
            }
        }
        if (done == 0)
            return piece_checked(v, data, len, error_at);
    } else {
        ws_mask(data + done, len - done, key, (first_offset + done) & 3);
    }
    const size_t valid = dfa_restart(v, data, i);
    size_t at = 0;
    const ws_status st = ws_utf8_feed_avx2(v, data + valid, len - valid, &at);
    if (st != WS_OK && error_at != NULL)
        *error_at = valid + at;
    return st;
}

WS_TARGET_AVX2 ws_status ws_utf8_unmask_feed_avx2(ws_utf8 *v, uint8_t *data, size_t len,
                                                  const uint8_t key[4], size_t *key_offset,
                                                  size_t *error_at)
{
    if (len >= 64 && v->state_ != REJECT_VALUE)
        return unmask_feed_avx2(v, data, len, key, key_offset, error_at);
    *key_offset = ws_mask(data, len, key, *key_offset);
    return ws_utf8_feed_avx2(v, data, len, error_at);
}
#endif

#ifdef WS_HAVE_AVX2
/* short_block for a text still masked: the same two loads, unmasked in
 * registers and stored, the block built from the registers. */
static WS_TARGET_AVX2 ALWAYS_INLINE __m256i unmask_short_block(uint8_t *p, size_t len,
                                                               const uint8_t key[4])
{
    const uint32_t k_first = ws_mask_rotated_key(key, 0);
    /* The last 8 or 4 bytes start at a key offset of len mod 4. */
    const uint32_t k_last = ws_mask_rotated_key(key, len);
    __m128i first, last;
    size_t at;
    if (len >= 8) {
        uint64_t a, b;
        memcpy(&a, p, 8);
        memcpy(&b, p + len - 8, 8);
        a ^= (uint64_t)k_first << 32 | k_first;
        b ^= (uint64_t)k_last << 32 | k_last;
        memcpy(p + len - 8, &b, 8);
        memcpy(p, &a, 8);
        first = _mm_cvtsi64_si128((long long)a);
        last = _mm_cvtsi64_si128((long long)b);
        at = 24 - len;
    } else {
        uint32_t a, b;
        memcpy(&a, p, 4);
        memcpy(&b, p + len - 4, 4);
        a ^= k_first;
        b ^= k_last;
        memcpy(p + len - 4, &b, 4);
        memcpy(p, &a, 4);
        first = _mm_cvtsi32_si128((int)a);
        last = _mm_cvtsi32_si128((int)b);
        at = 20 - len;
    }
    const __m128i place = _mm_loadu_si128((const __m128i *)(const void *)(PLACE_LAST_8 + at));
    return _mm256_zextsi128_si256(_mm_or_si128(first, _mm_shuffle_epi8(last, place)));
}

/* What the end of a whole text adds to its blocks' errors: rest = len mod
 * 32 bytes after prev, its last whole block (zeros if none), checked as one
 * block padded with zeros, built from lower (their first 16 bytes, when
 * rest >= 16) and last (the text's last 16); with no such bytes, a
 * sequence that prev cuts at the end. */
static WS_TARGET_AVX2 ALWAYS_INLINE __m256i end_errors(__m256i prev, __m128i lower, __m128i last,
                                                       size_t rest)
{
    if (rest == 0)
        return _mm256_subs_epu8(prev, _mm256_loadu_si256((const __m256i *)(const void *)CUT_AT_END));
    __m256i tail;
    if (rest >= 16) {
        const __m128i place =
            _mm_loadu_si128((const __m128i *)(const void *)(PLACE_LAST_16 + 32 - rest));
        tail = _mm256_set_m128i(_mm_shuffle_epi8(last, place), lower);
    } else {
        const __m128i place =
            _mm_loadu_si128((const __m128i *)(const void *)(PLACE_LAST_16 + 16 - rest));
        tail = _mm256_zextsi128_si256(_mm_shuffle_epi8(last, place));
    }
    return block_errors(tail, prev);
}

/*
 * ws_utf8_whole_valid_avx2 fused with unmasking, for a whole text still
 * masked, len >= 16: each block is loaded masked, unmasked in a register,
 * stored, and checked from the register. Validating after a separate
 * unmasking pass reads back bytes whose stores are still in flight, and a
 * load that no single store covers (one that overlaps the last,
 * overlapping store of an unmasking loop, say) waits for them: 125 bytes of
 * mixed text, unmasked then validated, 3.3 + 7.4 ns apart, 18.5 ns one
 * after the other. Out of line, so that ASCII texts do not set up its
 * tables.
 */
static WS_TARGET_AVX2 __attribute__((noinline)) ws_status unmask_check_blocks(uint8_t *p, size_t len,
                                                                              const uint8_t key[4])
{
    const __m256i k = _mm256_set1_epi32((int)ws_mask_rotated_key(key, 0));
    /* The last 16 bytes start at a key offset of len mod 4; loaded before
     * any store over them. */
    const __m128i last = _mm_xor_si128(
        _mm_loadu_si128((const __m128i *)(const void *)(p + len - 16)),
        _mm_set1_epi32((int)ws_mask_rotated_key(key, len)));
    __m256i prev = _mm256_setzero_si256(), errors = prev;
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        __m256i *block = (__m256i *)(void *)(p + i);
        const __m256i in = _mm256_xor_si256(_mm256_loadu_si256(block), k);
        _mm256_storeu_si256(block, in);
        errors = _mm256_or_si256(errors, block_errors(in, prev));
        prev = in;
    }
    const size_t rest = len - i;
    __m128i lower = _mm_setzero_si128();
    if (rest >= 16) {
        __m128i *half = (__m128i *)(void *)(p + i);
        lower = _mm_xor_si128(_mm_loadu_si128(half), _mm256_castsi256_si128(k));
        _mm_storeu_si128(half, lower);
    }
    if (rest != 0)
        _mm_storeu_si128((__m128i *)(void *)(p + len - 16), last);
    errors = _mm256_or_si256(errors, end_errors(prev, lower, last, rest));
    return _mm256_testz_si256(errors, errors) ? WS_OK : WS_E_INVALID_UTF8;
}

/* The block check of a text of 32 <= len < 128 bytes that
 * unmask_whole_32_to_127 unmasked into registers: a, then b (len >= 64),
 * then c (len >= 96), then the rest after them built from half (its first
 * 16 bytes, when it has 16) and last (the text's last 16 bytes), as
 * unmask_check_blocks builds its tail. Out of line, so that an ASCII text
 * does not set up its tables. */
static WS_TARGET_AVX2 __attribute__((noinline)) ws_status check_32_to_127_regs(__m256i a, __m256i b,
                                                                               __m256i c,
                                                                               __m128i half,
                                                                               __m128i last,
                                                                               size_t len)
{
    __m256i errors = block_errors(a, _mm256_setzero_si256()), prev = a;
    if (len >= 64) {
        errors = _mm256_or_si256(errors, block_errors(b, a));
        prev = b;
        if (len >= 96) {
            errors = _mm256_or_si256(errors, block_errors(c, b));
            prev = c;
        }
    }
    errors = _mm256_or_si256(errors, end_errors(prev, half, last, len & 31));
    const ws_status st = _mm256_testz_si256(errors, errors) ? WS_OK : WS_E_INVALID_UTF8;
    /* gcc leaves the upper halves dirty in a function that takes ymm
     * arguments, and the caller returns through this call to code built
     * without AVX: 125 bytes of mixed text took 135-152 ns per frame
     * without this, 21 before. */
    _mm256_zeroupper();
    return st;
}

/* ws_utf8_unmask_whole_avx2 for 32 <= len < 128 (a small frame's text):
 * one pass that loads, unmasks and stores each block and ORs it into a
 * test for a high bit; a text with one is then checked from the registers
 * the blocks are still in, with no load of the bytes just stored. At most
 * three blocks and two halves, so all stay in registers, and the check's
 * tables are set up behind the call, unlike the unmask-as-you-go loop
 * measured below. Against an ASCII pass then an unmasking pass (or
 * unmask_check_blocks), through ws_parser_next on a Zen 3: 125 bytes of
 * ASCII 167 -> 129 instructions, 11.0-11.5 -> 9.3-9.6 ns per frame; of
 * mixed text 320 -> 268, 20.5-20.7 -> 17.5-18.1 ns. */
static WS_TARGET_AVX2 ALWAYS_INLINE ws_status unmask_whole_32_to_127(uint8_t *p, size_t len,
                                                                     const uint8_t key[4])
{
    const __m256i k = _mm256_set1_epi32((int)ws_mask_rotated_key(key, 0));
    __m128i *last_at = (__m128i *)(void *)(p + len - 16);
    const __m128i last =
        _mm_xor_si128(_mm_loadu_si128(last_at), _mm_set1_epi32((int)ws_mask_rotated_key(key, len)));
    const size_t whole = len & ~(size_t)31;
    __m256i *at = (__m256i *)(void *)p;
    const __m256i a = _mm256_xor_si256(_mm256_loadu_si256(at), k);
    __m256i b = _mm256_setzero_si256(), c = b;
    __m128i half = _mm_setzero_si128();
    _mm256_storeu_si256(at, a);
    if (len >= 64) {
        b = _mm256_xor_si256(_mm256_loadu_si256(at + 1), k);
        _mm256_storeu_si256(at + 1, b);
        if (len >= 96) {
            c = _mm256_xor_si256(_mm256_loadu_si256(at + 2), k);
            _mm256_storeu_si256(at + 2, c);
        }
    }
    if ((len & 31) >= 16) {
        __m128i *half_at = (__m128i *)(void *)(p + whole);
        half = _mm_xor_si128(_mm_loadu_si128(half_at), _mm256_castsi256_si128(k));
        _mm_storeu_si128(half_at, half);
    }
    /* Where it overlaps the stores above, it stores the same bytes. */
    _mm_storeu_si128(last_at, last);
    const __m256i any = _mm256_or_si256(_mm256_or_si256(a, b),
                                        _mm256_or_si256(c, _mm256_zextsi128_si256(_mm_or_si128(half, last))));
    if (_mm256_movemask_epi8(any) == 0)
        return WS_OK;
    return check_32_to_127_regs(a, b, c, half, last, len);
}

/* Past 127 bytes, an ASCII text (the common case) is found with loads
 * alone, then unmasked; any other goes through unmask_check_blocks, its
 * bytes still masked and never stored. Unmasking as it goes in a loop and
 * checking blocks only after a high bit cost more: the tables' set-up and
 * spills for every text (125 bytes of ASCII 101 -> 45 instructions). */
WS_TARGET_AVX2 ws_status ws_utf8_unmask_whole_avx2(uint8_t *p, size_t len, const uint8_t key[4])
{
    if (len < 16) {
        const __m256i text = unmask_short_block(p, len, key);
        if (_mm256_movemask_epi8(text) == 0)
            return WS_OK;
        const __m256i errors = block_errors(text, _mm256_setzero_si256());
        return _mm256_testz_si256(errors, errors) ? WS_OK : WS_E_INVALID_UTF8;
    }
    if (len - 32 < 96)
        return unmask_whole_32_to_127(p, len, key);
    const __m256i k = _mm256_set1_epi32((int)ws_mask_rotated_key(key, 0));
    __m128i *last_at = (__m128i *)(void *)(p + len - 16);
    const __m128i last =
        _mm_xor_si128(_mm_loadu_si128(last_at), _mm_set1_epi32((int)ws_mask_rotated_key(key, len)));
    __m256i any = _mm256_zextsi128_si256(last);
    size_t i = 0;
    for (; i + 32 <= len; i += 32)
        any = _mm256_or_si256(
            any, _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(p + i)), k));
    if (len - i >= 16)
        any = _mm256_or_si256(
            any, _mm256_zextsi128_si256(_mm_xor_si128(
                     _mm_loadu_si128((const __m128i *)(const void *)(p + i)),
                     _mm256_castsi256_si128(k))));
    if (_mm256_movemask_epi8(any) != 0)
        return unmask_check_blocks(p, len, key);
    for (i = 0; i + 32 <= len; i += 32) {
        __m256i *block = (__m256i *)(void *)(p + i);
        _mm256_storeu_si256(block, _mm256_xor_si256(_mm256_loadu_si256(block), k));
    }
    if (len - i >= 16) {
        __m128i *half = (__m128i *)(void *)(p + i);
        _mm_storeu_si128(half, _mm_xor_si128(_mm_loadu_si128(half), _mm256_castsi256_si128(k)));
    }
    /* Where it overlaps the stores above, it stores the same bytes. */
    _mm_storeu_si128(last_at, last);
    return WS_OK;
}
#endif

#ifdef WS_HAVE_AVX512
/*
 * ws_utf8_whole_valid_avx2 on 64-byte blocks: a whole text, 0 <= len <=
 * WS_UTF8_WHOLE_AVX512_MAX_LEN, valid and not cut at the end. An ASCII
 * text is found with loads alone; the tables are set up only for others.
 */
WS_TARGET_AVX512 ws_status ws_utf8_whole_valid_avx512(const uint8_t *p, size_t len)
{
    if (len <= 128) {
        if (len <= 64) {
            const __m512i a = _mm512_maskz_loadu_epi8(ws_utf8_first_bytes_512(len), p);
            if (!ws_utf8_any_high_bit_512(a))
                return WS_OK;
            return ws_utf8_no_errors_512(ws_utf8_last_block_errors_512(a, _mm512_setzero_si512())) ? WS_OK
                                                                               : WS_E_INVALID_UTF8;
        }
        const __m512i a = _mm512_loadu_si512((const void *)p);
        const __m512i b = _mm512_maskz_loadu_epi8(ws_utf8_first_bytes_512(len - 64), p + 64);
        if (!ws_utf8_any_high_bit_512(_mm512_or_si512(a, b)))
            return WS_OK;
        return ws_utf8_no_errors_512(_mm512_or_si512(ws_utf8_block_errors_512(a, _mm512_setzero_si512()),
                                         ws_utf8_last_block_errors_512(b, a)))
                   ? WS_OK
                   : WS_E_INVALID_UTF8;
    }
    __m512i any = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 64 < len; i += 64)
        any = _mm512_or_si512(any, _mm512_loadu_si512((const void *)(p + i)));
    const __m512i last = _mm512_maskz_loadu_epi8(ws_utf8_first_bytes_512(len - i), p + i);
    if (!ws_utf8_any_high_bit_512(_mm512_or_si512(any, last)))
        return WS_OK;
    __m512i prev = _mm512_setzero_si512(), errors = prev;
    for (i = 0; i + 64 < len; i += 64) {
        const __m512i in = _mm512_loadu_si512((const void *)(p + i));
        errors = _mm512_or_si512(errors, ws_utf8_block_errors_512(in, prev));
        prev = in;
    }
    errors = _mm512_or_si512(errors, ws_utf8_last_block_errors_512(last, prev));
    return ws_utf8_no_errors_512(errors) ? WS_OK : WS_E_INVALID_UTF8;
}

/* Non-ASCII blocks of ws_utf8_unmask_whole_avx512 past 128 bytes, unmasked
 * and checked from registers; out of line so that short texts do not pay
 * for its loop. */
static WS_TARGET_AVX512 __attribute__((noinline)) ws_status unmask_check_blocks_512(uint8_t *p,
                                                                                    size_t len,
                                                                                    __m512i k)
{
    __m512i prev = _mm512_setzero_si512(), errors = prev;
    size_t i = 0;
    for (; i + 64 < len; i += 64) {
        const __m512i in = _mm512_xor_si512(_mm512_loadu_si512((const void *)(p + i)), k);
        _mm512_storeu_si512((void *)(p + i), in);
        errors = _mm512_or_si512(errors, ws_utf8_block_errors_512(in, prev));
        prev = in;
    }
    const __mmask64 in_text = ws_utf8_first_bytes_512(len - i);
    const __m512i last = ws_utf8_unmasked_block_512(p + i, in_text, k);
    ws_utf8_store_first_512(p + i, len - i, last);
    errors = _mm512_or_si512(errors, ws_utf8_last_block_errors_512(last, prev));
    return ws_utf8_no_errors_512(errors) ? WS_OK : WS_E_INVALID_UTF8;
}

/*
 * ws_utf8_unmask_whole_avx2 on 64-byte blocks, 0 <= len <=
 * WS_UTF8_WHOLE_AVX512_MAX_LEN: every byte unmasked, each block checked
 * from the register it was unmasked in, never reloaded. A text of one or
 * two blocks (any frame with a 7-bit length) stays in registers; an ASCII
 * one needs only their high bits.
 */
WS_TARGET_AVX512 ws_status ws_utf8_unmask_whole_avx512(uint8_t *p, size_t len, const uint8_t key[4])
{
    if (len <= 128)
        return ws_utf8_unmask_short_avx512(p, len, key);
    uint32_t k4;
    memcpy(&k4, key, 4);
    const __m512i k = _mm512_set1_epi32((int)k4);
    /* Longer: high bits from loads alone, then one pass either way. */
    __m512i any = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 64 < len; i += 64)
        any = _mm512_or_si512(any, _mm512_xor_si512(_mm512_loadu_si512((const void *)(p + i)), k));
    const __mmask64 in_text = ws_utf8_first_bytes_512(len - i);
    any = _mm512_or_si512(any, ws_utf8_unmasked_block_512(p + i, in_text, k));
    if (ws_utf8_any_high_bit_512(any))
        return unmask_check_blocks_512(p, len, k);
    for (i = 0; i + 64 < len; i += 64)
        _mm512_storeu_si512((void *)(p + i),
                            _mm512_xor_si512(_mm512_loadu_si512((const void *)(p + i)), k));
    ws_utf8_store_first_512(p + i, len - i, ws_utf8_unmasked_block_512(p + i, in_text, k));
    return WS_OK;
}

/* valid_run_avx2 on 64-byte blocks: the length of a valid prefix of p that
 * ends between sequences. Pairs of ASCII blocks after ASCII are only tested
 * for a high bit. The last bytes are one masked block whose errors count
 * only inside p: a sequence cut at the end is left to the DFA, as it must
 * be for a piece of a longer text. Any length, so no DFA for short pieces. */
static WS_TARGET_AVX512 ALWAYS_INLINE size_t valid_run_avx512(const uint8_t *p, size_t len)
{
    __m512i prev = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 128 <= len; i += 128) {
        /* ASCII is found with 32-byte loads: streaming from DRAM, 64-byte
         * ones ran slower on Zen 5 (a 16 MiB ASCII scan 61-81 GB/s against
         * 86-92; in L2 they were 3-10% faster). A skipped pair leaves prev
         * as it was, ASCII, which the block check cannot tell from the
         * ASCII bytes it stands for. */
        const __m256i *q = (const __m256i *)(const void *)(p + i);
        const __m256i any = _mm256_or_si256(_mm256_or_si256(_mm256_loadu_si256(q), _mm256_loadu_si256(q + 1)),
                                            _mm256_or_si256(_mm256_loadu_si256(q + 2), _mm256_loadu_si256(q + 3)));
        if (_mm256_movemask_epi8(any) == 0 && !ws_utf8_any_high_bit_512(prev))
            continue;
        /* Loaded again whole, from L1. */
        const __m512i a = _mm512_loadu_si512((const void *)(p + i));
        const __m512i b = _mm512_loadu_si512((const void *)(p + i + 64));
        if (!ws_utf8_no_errors_512(_mm512_or_si512(ws_utf8_block_errors_512(a, prev), ws_utf8_block_errors_512(b, a))))
            return back_to_boundary(p, i);
        prev = b;
    }
    for (; i < len; i += 64) {
        const __mmask64 in_text = ws_utf8_first_bytes_512(len - i);
        const __m512i in = _mm512_maskz_loadu_epi8(in_text, p + i);
        if (ws_utf8_any_high_bit_512(_mm512_or_si512(in, prev))) {
            const __m512i errors = ws_utf8_block_errors_512(in, prev);
            if (_mm512_mask_test_epi8_mask(in_text, errors, errors) != 0)
                return back_to_boundary(p, i);
        }
        prev = in;
    }
    return back_to_boundary(p, len);
}

WS_TARGET_AVX512 ws_status ws_utf8_feed_avx512(ws_utf8 *v, const uint8_t *data, size_t len,
                                               size_t *error_at)
{
    return feed_with(v, data, len, error_at, valid_run_avx512);
}

/* unmask_feed_avx2 on 64-byte blocks, a run of ASCII pairs only tested for
 * a high bit, the last bytes as masked blocks (no scalar or overlapping
 * tail). From any state but REJECT, len >= 3: a piece that starts inside a
 * sequence starts its block check after LEAD_FOR_STATE, and the state a
 * cut at its end leaves comes from its last three bytes (REJECT for a last
 * byte that cannot lead), so a text arriving in many reads pays no
 * byte-by-byte steps at the cuts (1460-byte reads of mixed text, 64 KiB
 * frames: 2795 -> 2404 ns). Only a failing block sends the rest to the
 * DFA, for where. */
static WS_TARGET_AVX512 ws_status unmask_feed_avx512(ws_utf8 *v, uint8_t *data, size_t len,
                                                     const uint8_t key[4], size_t *key_offset,
                                                     size_t *error_at)
{
    const size_t first_offset = *key_offset;
    const __m512i k = _mm512_set1_epi32((int)ws_mask_rotated_key(key, first_offset));
    __m512i prev = _mm512_maskz_set1_epi8((__mmask64)1 << 63,
                                          (char)LEAD_FOR_STATE[v->state_ / FIELD(1)]);
    size_t i = 0, done = 0; /* done: unmasked so far, when a block failed */
    for (; i + 128 <= len; i += 128) {
        void *at = data + i;
        const __m512i a = _mm512_xor_si512(_mm512_loadu_si512(at), k);
        const __m512i b = _mm512_xor_si512(_mm512_loadu_si512((const void *)(data + i + 64)), k);
        _mm512_storeu_si512(at, a);
        _mm512_storeu_si512((void *)(data + i + 64), b);
        if (ws_utf8_any_high_bit_512(_mm512_or_si512(_mm512_or_si512(a, b), prev)) &&
            !ws_utf8_no_errors_512(_mm512_or_si512(ws_utf8_block_errors_512(a, prev), ws_utf8_block_errors_512(b, a)))) {
            done = i + 128;
            break;
        }
        prev = b;
    }
    for (; done == 0 && i < len; i += 64) {
        const __mmask64 in_text = ws_utf8_first_bytes_512(len - i);
        const __m512i in = ws_utf8_unmasked_block_512(data + i, in_text, k);
        ws_utf8_store_first_512(data + i, len - i > 64 ? 64 : len - i, in);
        if (ws_utf8_any_high_bit_512(_mm512_or_si512(in, prev))) {
            const __m512i errors = ws_utf8_block_errors_512(in, prev);
            if (_mm512_mask_test_epi8_mask(in_text, errors, errors) != 0) {
                done = len - i > 64 ? i + 64 : len;
                break;
            }
        }
        prev = in;
    }
    *key_offset = (first_offset + len) & 3;
    if (done == 0)
        return piece_checked(v, data, len, error_at);
    ws_mask(data + done, len - done, key, (first_offset + done) & 3);
    const size_t valid = dfa_restart(v, data, i);
    size_t at = 0;
    const ws_status st = ws_utf8_feed_avx512(v, data + valid, len - valid, &at);
    if (st != WS_OK && error_at != NULL)
        *error_at = valid + at;
    return st;
}

WS_TARGET_AVX512 ws_status ws_utf8_unmask_feed_avx512(ws_utf8 *v, uint8_t *data, size_t len,
                                                      const uint8_t key[4], size_t *key_offset,
                                                      size_t *error_at)
{
    if (len >= 3 && v->state_ != REJECT_VALUE)
        return unmask_feed_avx512(v, data, len, key, key_offset, error_at);
    *key_offset = ws_mask(data, len, key, *key_offset);
    return ws_utf8_feed_avx512(v, data, len, error_at);
}
#endif

#ifdef WS_HAVE_NEON
static ALWAYS_INLINE size_t ascii_run_neon(const uint8_t *p, size_t len)
{
    size_t i = 0;
    for (; i + 32 <= len; i += 32) {
        uint8x16_t a = vld1q_u8(p + i);
        uint8x16_t b = vld1q_u8(p + i + 16);
        if (vmaxvq_u8(vorrq_u8(a, b)) >= 0x80)
            break;
    }
    for (; i + 16 <= len; i += 16) {
        if (vmaxvq_u8(vld1q_u8(p + i)) >= 0x80)
            break;
    }
    return i;
}

/*
 * The block check of block_errors (Keiser and Lemire, see the AVX2 code) on
 * 16-byte NEON registers, so that aarch64 validates multibyte text (CJK,
 * emoji, accented Latin) by blocks too, not only runs of ASCII, with the
 * same design as valid_run_avx2: a prefix of whole blocks known valid,
 * ended between sequences by back_to_boundary, and the DFA for the rest,
 * for the exact byte of an error and for a sequence cut at the end.
 *
 * Not timed on aarch64 hardware (there was none to time it on): it is
 * built by gcc and clang and tested under qemu, and what it saves is
 * counted in instructions executed under qemu (gcc -O2), not in time.
 * 4 KiB of Cyrillic, CJK, emoji or mixed text through ws_utf8_feed:
 * 206-207 instructions per 64 bytes with the ASCII runs and the DFA, 86
 * with this (84 in its 64-byte loop); ASCII 21 either way.
 */
static const int8_t NEON_BY_PREV_HIGH[16] = {K_BY_PREV_HIGH};
static const int8_t NEON_BY_PREV_LOW[16] = {K_BY_PREV_LOW};
static const int8_t NEON_BY_THIS_HIGH[16] = {K_BY_THIS_HIGH};

static ALWAYS_INLINE uint8x16_t block_errors_neon(uint8x16_t in, uint8x16_t prev)
{
    const uint8x16_t by_prev_high = vreinterpretq_u8_s8(vld1q_s8(NEON_BY_PREV_HIGH));
    const uint8x16_t by_prev_low = vreinterpretq_u8_s8(vld1q_s8(NEON_BY_PREV_LOW));
    const uint8x16_t by_this_high = vreinterpretq_u8_s8(vld1q_s8(NEON_BY_THIS_HIGH));

    const uint8x16_t prev1 = vextq_u8(prev, in, 15);
    const uint8x16_t kinds =
        vandq_u8(vandq_u8(vqtbl1q_u8(by_prev_high, vshrq_n_u8(prev1, 4)),
                          vqtbl1q_u8(by_prev_low, vandq_u8(prev1, vdupq_n_u8(0x0F)))),
                 vqtbl1q_u8(by_this_high, vshrq_n_u8(in, 4)));
    /* As in block_errors: the 2nd/3rd byte after a 3-/4-byte lead. */
    const uint8x16_t third = vqsubq_u8(vextq_u8(prev, in, 14), vdupq_n_u8(0x60));
    const uint8x16_t fourth = vqsubq_u8(vextq_u8(prev, in, 13), vdupq_n_u8(0x70));
    const uint8x16_t must_continue = vandq_u8(vorrq_u8(third, fourth), vdupq_n_u8(0x80));
    return veorq_u8(must_continue, kinds);
}

static ALWAYS_INLINE bool any_byte_set_neon(uint8x16_t x) { return vmaxvq_u8(x) != 0; }

/* Length of a valid prefix of p that ends between sequences (the DFA's
 * state before p is ACCEPT, which zeros stand for in the first block). */
static ALWAYS_INLINE size_t valid_run_neon(const uint8_t *p, size_t len)
{
    if (len < 16)
        return 0;
    size_t i = 0;
    uint8x16_t prev = vdupq_n_u8(0);
    for (;;) {
        if (vmaxvq_u8(prev) < 0x80) {
            /* Runs of ASCII after ASCII cannot hold an error. */
            const size_t run = ascii_run_neon(p + i, len - i);
            if (run > 0) {
                i += run;
                prev = vld1q_u8(p + i - 16);
            }
        }
        if (i + 64 > len)
            break;
        /* Four blocks, one test: the loop below finds which one failed. */
        const uint8x16_t a = vld1q_u8(p + i), b = vld1q_u8(p + i + 16);
        const uint8x16_t c = vld1q_u8(p + i + 32), d = vld1q_u8(p + i + 48);
        const uint8x16_t errors =
            vorrq_u8(vorrq_u8(block_errors_neon(a, prev), block_errors_neon(b, a)),
                     vorrq_u8(block_errors_neon(c, b), block_errors_neon(d, c)));
        if (any_byte_set_neon(errors))
            break;
        prev = d;
        i += 64;
    }
    for (; i + 16 <= len; i += 16) {
        const uint8x16_t in = vld1q_u8(p + i);
        if (any_byte_set_neon(block_errors_neon(in, prev)))
            return back_to_boundary(p, i);
        prev = in;
    }
    if (i < len) {
        /* The last bytes as one block that overlaps the validated ones
         * (as in valid_run_avx2), so the DFA gets only a sequence cut at
         * the end rather than up to 15 bytes; the bytes before it that
         * fall before p are zeros, as for the first block. An ASCII one
         * needs no check: it holds the last validated byte, so no
         * sequence is open where the unvalidated bytes start. (24 bytes
         * of ASCII: 163 instructions with the check, 145 with the DFA as
         * before, 130 without the check.) */
        const uint8x16_t last = vld1q_u8(p + len - 16);
        if (vmaxvq_u8(last) < 0x80)
            return len;
        const uint8x16_t before = len >= 32 ? vld1q_u8(p + len - 32)
                                            : vqtbl1q_u8(vld1q_u8(p), vld1q_u8(SHIFT_IN_ZEROS + len - 16));
        if (!any_byte_set_neon(block_errors_neon(last, before)))
            i = len;
    }
    return back_to_boundary(p, i);
}

ws_status ws_utf8_feed_neon(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at)
{
    return feed_with(v, data, len, error_at, valid_run_neon);
}
#endif

/* Below this, AVX2 does not pay for the feature check. */
#define AVX2_MIN_LEN 24
/* The one-shot AVX2 checks' range (see utf8.h). */
#define WHOLE_AVX2_MIN_LEN WS_UTF8_WHOLE_AVX2_MIN_LEN
#define WHOLE_AVX2_MAX_LEN WS_UTF8_WHOLE_AVX2_MAX_LEN
#define WHOLE_AVX512_MAX_LEN WS_UTF8_WHOLE_AVX512_MAX_LEN

WS_API void ws_utf8_init(ws_utf8 *v) { v->state_ = (uint32_t)ACCEPT_VALUE; }

WS_API ws_status ws_utf8_feed(ws_utf8 *v, const uint8_t *data, size_t len, size_t *error_at)
{
#ifdef WS_HAVE_AVX2
    if (len >= AVX2_MIN_LEN || (len >= WHOLE_AVX2_MIN_LEN && v->state_ == ACCEPT_VALUE)) {
        if (ws_cpu_has_avx2()) {
            /* A short piece between sequences (a small frame's payload)
             * that is whole text, as most are, needs no state or
             * position: the one-shot check settles it; anything else is
             * stepped again below. */
            if (v->state_ == ACCEPT_VALUE && len <= WHOLE_AVX2_MAX_LEN &&
                ws_utf8_whole_valid_avx2(data, len) == WS_OK)
                return WS_OK;
            if (len >= AVX2_MIN_LEN) {
#ifdef WS_HAVE_AVX512
                if (ws_cpu_has_avx512())
                    return ws_utf8_feed_avx512(v, data, len, error_at);
#endif
                return ws_utf8_feed_avx2(v, data, len, error_at);
            }
        }
    }
#endif
#if defined(WS_HAVE_SSE2)
    return ws_utf8_feed_sse2(v, data, len, error_at);
#elif defined(WS_HAVE_NEON)
    return ws_utf8_feed_neon(v, data, len, error_at);
#else
    return ws_utf8_feed_portable(v, data, len, error_at);
#endif
}

/* Pieces of this size or more take the one-pass AVX2 path (its least):
 * it beats two passes at every size once neither a reload nor the cuts
 * cost it (1460-byte reads of ASCII were 50 ns in two passes against 55-60
 * fused until then). Function alone on Zen 5, 64 KiB in pieces, two
 * passes -> fused, ns: ASCII 70-byte pieces 15389 -> 6602, 256 2404 ->
 * 1984, 1460 1232 -> 961, 4 KiB 1062 -> 682; mixed text 70 18656 -> 9758,
 * 256 6151 -> 4589, 1460 4398 -> 4188, 4 KiB 4328 -> 4037. Whole frames,
 * two passes -> fused: ASCII 64 KiB 1217-1472 -> 976-1157, 1 MiB 25082 ->
 * 15809-18533, 16 MiB 773562 -> 513199-550049; 2-byte text 64 KiB 5578 ->
 * 4236, 1 MiB 74586 -> 67536 (ranges: repeated runs on a shared machine). */
#define UNMASK_AVX2_MIN_LEN 64
/* Otherwise (no AVX2) unmasking and validation alternate over blocks of
 * this size, so the validator reads from L1 what the unmasking just wrote.
 * Masked ASCII frames, ns/frame, two whole passes -> 4 KiB blocks: 1 MiB
 * 21773 -> 20716, 16 MiB 975217 -> 680278 (16 KiB blocks: 780206). */
#define UNMASK_BLOCK 4096

ws_status ws_utf8_unmask_feed(ws_utf8 *v, uint8_t *data, size_t len, const uint8_t key[4],
                              size_t *key_offset, size_t *error_at)
{
#ifdef WS_HAVE_AVX512
    if (len >= WHOLE_AVX2_MIN_LEN && ws_cpu_has_avx512()) {
        if (len <= WHOLE_AVX512_MAX_LEN && v->state_ == ACCEPT_VALUE) {
            const uint32_t k = ws_mask_rotated_key(key, *key_offset);
            uint8_t from_offset[4];
            memcpy(from_offset, &k, 4);
            *key_offset = (*key_offset + len) & 3;
            if (ws_utf8_unmask_whole_avx512(data, len, from_offset) == WS_OK)
                return WS_OK;
            return ws_utf8_feed_avx512(v, data, len, error_at);
        }
        /* Any other piece: one pass from any state, its tail one masked
         * load and two plain stores. */
        return ws_utf8_unmask_feed_avx512(v, data, len, key, key_offset, error_at);
    }
#endif
#ifdef WS_HAVE_AVX2
    if (len >= WHOLE_AVX2_MIN_LEN && ws_cpu_has_avx2()) {
        if (len <= WHOLE_AVX2_MAX_LEN && v->state_ == ACCEPT_VALUE) {
            /* A small frame's payload: unmasked and checked in one pass,
             * and only a piece that is not whole text (invalid, or cut in
             * a sequence) is stepped again, unmasked now, for where. */
            const uint32_t k = ws_mask_rotated_key(key, *key_offset);
            uint8_t from_offset[4];
            memcpy(from_offset, &k, 4);
            *key_offset = (*key_offset + len) & 3;
            if (ws_utf8_unmask_whole_avx2(data, len, from_offset) == WS_OK)
                return WS_OK;
            return len >= AVX2_MIN_LEN ? ws_utf8_feed_avx2(v, data, len, error_at)
                                       : ws_utf8_feed_sse2(v, data, len, error_at);
        }
        if (len >= UNMASK_AVX2_MIN_LEN)
            return ws_utf8_unmask_feed_avx2(v, data, len, key, key_offset, error_at);
    }
#endif
    return ws_utf8_unmask_feed_two_pass(v, data, len, key, key_offset, error_at);
}

ws_status ws_utf8_unmask_feed_two_pass(ws_utf8 *v, uint8_t *data, size_t len, const uint8_t key[4],
                                       size_t *key_offset, size_t *error_at)
{
    for (size_t off = 0; off < len; off += UNMASK_BLOCK) {
        const size_t m = len - off < UNMASK_BLOCK ? len - off : UNMASK_BLOCK;
        *key_offset = ws_mask(data + off, m, key, *key_offset);
        size_t at = 0;
        if (ws_utf8_feed(v, data + off, m, &at) != WS_OK) {
            if (error_at != NULL)
                *error_at = off + at;
            return WS_E_INVALID_UTF8;
        }
    }
    return WS_OK;
}

ws_status ws_utf8_unmask_validate_stepwise(uint8_t *data, size_t len, const uint8_t key[4])
{
    if (len < WHOLE_AVX2_MIN_LEN) {
        /* A 1-3 byte text: no call is worth it. */
        uint64_t s = ACCEPT_VALUE;
        for (size_t i = 0; i < len; i++) {
            data[i] = (uint8_t)(data[i] ^ key[i]);
            STEP(s, data[i]);
        }
        return (s & 63) == ACCEPT_VALUE ? WS_OK : WS_E_INVALID_UTF8;
    }
    ws_utf8 v;
    ws_utf8_init(&v);
    size_t key_offset = 0;
    if (ws_utf8_unmask_feed(&v, data, len, key, &key_offset, NULL) != WS_OK)
        return WS_E_INVALID_UTF8;
    return ws_utf8_finish(&v);
}

WS_API ws_status ws_utf8_finish(const ws_utf8 *v)
{
    return v->state_ == ACCEPT_VALUE ? WS_OK : WS_E_INVALID_UTF8;
}

/* Below this a whole text goes straight through the DFA: the fast paths'
 * set-up costs more than they skip (a 16-byte mixed text: 17 -> 11 ns per
 * whole-message event). */
#define SMALL_TEXT 24

/* Out of line, so that ws_utf8_validate, which tries the one-shot AVX2
 * check first, saves no registers. */
__attribute__((noinline)) ws_status ws_utf8_validate_stepwise(const uint8_t *data, size_t len)
{
    if (len < SMALL_TEXT) {
        /* REJECT is absorbing: one check at the end. */
        uint64_t s = ACCEPT_VALUE;
        for (size_t i = 0; i < len; i++)
            STEP(s, data[i]);
        return (s & 63) == ACCEPT_VALUE ? WS_OK : WS_E_INVALID_UTF8;
    }
    ws_utf8 v;
    ws_utf8_init(&v);
    if (ws_utf8_feed(&v, data, len, NULL) != WS_OK)
        return WS_E_INVALID_UTF8;
    return ws_utf8_finish(&v);
}

/* 1-3 bytes: no call is worth it. REJECT is absorbing: one check at the
 * end. */
static ALWAYS_INLINE ws_status validate_tiny(const uint8_t *data, size_t len)
{
    uint64_t s = ACCEPT_VALUE;
    for (size_t i = 0; i < len; i++)
        STEP(s, data[i]);
    return (s & 63) == ACCEPT_VALUE ? WS_OK : WS_E_INVALID_UTF8;
}

WS_API ws_status ws_utf8_validate(const uint8_t *data, size_t len)
{
    if (len < WHOLE_AVX2_MIN_LEN)
        return validate_tiny(data, len);
#ifdef WS_HAVE_AVX2
    if (len <= WHOLE_AVX2_MAX_LEN && ws_cpu_has_avx2())
        return ws_utf8_whole_valid_avx2(data, len);
#endif
    return ws_utf8_validate_stepwise(data, len);
}
