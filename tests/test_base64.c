/* Base64: RFC 4648 section 10 vectors both ways, and the strictness the
 * Sec-WebSocket-Key check relies on. */
#include "testutil.h"

#include <string.h>

#include "base64.h"

static const struct {
    const char *plain;
    const char *encoded;
} rfc4648[] = {
    {"", ""},          {"f", "Zg=="},         {"fo", "Zm8="},         {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

static void test_rfc4648_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        const char *p = rfc4648[i].plain, *e = rfc4648[i].encoded;
        char enc[16];
        size_t n = ws_base64_encode((const uint8_t *)p, strlen(p), enc);
        assert_int_equal(n, strlen(e));
        assert_int_equal(n, WS_BASE64_ENCODED_LEN(strlen(p)));
        assert_memory_equal(enc, e, n);

        uint8_t *guarded = ws_test_guard_copy(e, strlen(e));
        uint8_t dec[16];
        int d = ws_base64_decode((const char *)guarded, strlen(e), dec, sizeof dec);
        assert_int_equal(d, (int)strlen(p));
        assert_memory_equal(dec, p, strlen(p));
        ws_test_guard_free(guarded, strlen(e));
    }
}

static void test_rfc6455_key_is_16_bytes(void **state)
{
    (void)state;
    uint8_t dec[32];
    assert_int_equal(ws_base64_decode("dGhlIHNhbXBsZSBub25jZQ==", 24, dec, sizeof dec), 16);
    assert_memory_equal(dec, "the sample nonce", 16);
    /* Section 4.1's example: the nonce 01 02 ... 10, written with the two
     * bits after the last byte set (canonical would end "EA=="). */
    static const uint8_t nonce[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    assert_int_equal(ws_base64_decode("AQIDBAUGBwgJCgsMDQ4PEC==", 24, dec, sizeof dec), 16);
    assert_memory_equal(dec, nonce, 16);
}

/* RFC 4648 section 3.5: the bits the padding leaves over are ignored, so
 * texts that differ only there decode alike. */
static void test_padding_bits_ignored(void **state)
{
    (void)state;
    uint8_t dec[4];
    assert_int_equal(ws_base64_decode("Zh==", 4, dec, sizeof dec), 1);
    assert_int_equal(dec[0], 'f');
    assert_int_equal(ws_base64_decode("Zm9=", 4, dec, sizeof dec), 2);
    assert_memory_equal(dec, "fo", 2);
}

static void test_strict_rejects(void **state)
{
    (void)state;
    static const char *bad[] = {
        "Zg",       /* missing padding */
        "Zg=",      /* short padding */
        "Z===",     /* three '=' */
        "====",     /* only padding */
        "Zg==Zg==", /* padding in the middle */
        "Z=g=",     /* data after '=' */
        "Zm9v\n",   /* whitespace */
        "Zm 9v",    /* space */
        "Zm9-",     /* URL-safe alphabet */
        "Zm9_",
    };
    uint8_t dec[16];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int d = ws_base64_decode(bad[i], strlen(bad[i]), dec, sizeof dec);
        if (d != -1)
            fail_msg("\"%s\" decoded to %d bytes", bad[i], d);
    }
}

static void test_capacity(void **state)
{
    (void)state;
    uint8_t dec[16];
    assert_int_equal(ws_base64_decode("Zm9vYmFy", 8, dec, 5), -1);
    assert_int_equal(ws_base64_decode("Zm9vYmFy", 8, dec, 6), 6);
}

/* Every byte string of a few lengths survives a round trip. */
static void test_round_trip_random(void **state)
{
    (void)state;
    ws_test_rng rng;
    ws_test_rng_seed(&rng, 6455);
    for (int iter = 0; iter < 2000; iter++) {
        uint8_t in[40], dec[40];
        char enc[WS_BASE64_ENCODED_LEN(40)];
        size_t len = (size_t)ws_test_rng_below(&rng, sizeof in + 1);
        ws_test_rng_fill(&rng, in, len);
        size_t n = ws_base64_encode(in, len, enc);
        assert_int_equal(ws_base64_decode(enc, n, dec, sizeof dec), (int)len);
        assert_memory_equal(dec, in, len);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc4648_vectors),
        cmocka_unit_test(test_rfc6455_key_is_16_bytes),
        cmocka_unit_test(test_strict_rejects),
        cmocka_unit_test(test_padding_bits_ignored),
        cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_round_trip_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
