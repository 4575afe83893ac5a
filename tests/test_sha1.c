/* SHA-1 against the FIPS 180 example vectors, whole and fed in pieces. */
#include "testutil.h"

#include <string.h>

#include "sha1.h"

static void hex_digest(const uint8_t d[WS_SHA1_DIGEST_LEN], char out[41])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < WS_SHA1_DIGEST_LEN; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[40] = '\0';
}

static void check(const char *msg, size_t len, const char *expect)
{
    uint8_t d[WS_SHA1_DIGEST_LEN];
    char got[41];
    ws_sha1 s;
    ws_sha1_init(&s);
    ws_sha1_update(&s, msg, len);
    ws_sha1_final(&s, d);
    hex_digest(d, got);
    assert_string_equal(got, expect);

    /* Same digest when fed one byte at a time: block boundaries inside
     * update() must not matter. */
    ws_sha1_init(&s);
    for (size_t i = 0; i < len; i++)
        ws_sha1_update(&s, msg + i, 1);
    ws_sha1_final(&s, d);
    hex_digest(d, got);
    assert_string_equal(got, expect);
}

static void test_fips_vectors(void **state)
{
    (void)state;
    check("abc", 3, "a9993e364706816aba3e25717850c26c9cd0d89d");
    check("", 0, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check(m448, strlen(m448), "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                       "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    check(m896, strlen(m896), "a49b2446a02c645bf419f995b67091253a04a259");
}

static void test_million_a(void **state)
{
    (void)state;
    char chunk[1000];
    memset(chunk, 'a', sizeof chunk);
    ws_sha1 s;
    ws_sha1_init(&s);
    for (int i = 0; i < 1000; i++)
        ws_sha1_update(&s, chunk, sizeof chunk);
    uint8_t d[WS_SHA1_DIGEST_LEN];
    char got[41];
    ws_sha1_final(&s, d);
    hex_digest(d, got);
    assert_string_equal(got, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* Lengths around the padding boundary (55, 56, 63, 64, 65 bytes) where the
 * length field spills into a second block. Reference digests computed
 * with sha1sum. */
static void test_padding_boundaries(void **state)
{
    (void)state;
    static const struct {
        size_t len;
        const char *digest;
    } cases[] = {
        {55, "c1c8bbdc22796e28c0e15163d20899b65621d65a"},
        {56, "c2db330f6083854c99d4b5bfb6e8f29f201be699"},
        {63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5"},
        {64, "0098ba824b5c16427bd7a1122a5a442a25ec644d"},
        {65, "11655326c708d70319be2610e8a57d9a5b959d3b"},
    };
    char msg[65];
    memset(msg, 'a', sizeof msg);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check(msg, cases[i].len, cases[i].digest);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_vectors),
        cmocka_unit_test(test_million_a),
        cmocka_unit_test(test_padding_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
