/* WebSocket URLs (RFC 6455 section 3): what parses, into what, and what is
 * refused with which status; every input from a guard-page copy. */
#include "testutil.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *url;
    bool secure;
    const char *host;
    bool ipv6;
    unsigned port;
    bool port_explicit;
    const char *target;
    const char *written; /* ws_url_write() of the result; NULL: same as url */
} good[] = {
    {"ws://example.com", false, "example.com", false, 80, false, "/", "ws://example.com/"},
    {"wss://example.com", true, "example.com", false, 443, false, "/", "wss://example.com/"},
    {"ws://example.com/", false, "example.com", false, 80, false, "/", NULL},
    {"WS://Example.COM/Chat", false, "Example.COM", false, 80, false, "/Chat",
     "ws://Example.COM/Chat"},
    {"WsS://a/", true, "a", false, 443, false, "/", "wss://a/"},
    {"ws://example.com:8080/chat?room=1&x=%20y", false, "example.com", false, 8080, true,
     "/chat?room=1&x=%20y", NULL},
    {"ws://example.com:80/", false, "example.com", false, 80, true, "/", NULL},
    {"wss://example.com:80/", true, "example.com", false, 80, true, "/", NULL},
    {"ws://127.0.0.1:1/", false, "127.0.0.1", false, 1, true, "/", NULL},
    {"ws://h:65535", false, "h", false, 65535, true, "/", "ws://h:65535/"},
    {"ws://[::1]:9000/x", false, "::1", true, 9000, true, "/x", NULL},
    {"ws://[::1]", false, "::1", true, 80, false, "/", "ws://[::1]/"},
    {"wss://[2001:db8::7]/", true, "2001:db8::7", true, 443, false, "/", NULL},
    {"ws://[1:2:3:4:5:6:7:8]/", false, "1:2:3:4:5:6:7:8", true, 80, false, "/", NULL},
    {"ws://[::ffff:192.0.2.1]/", false, "::ffff:192.0.2.1", true, 80, false, "/", NULL},
    /* RFC 3986 section 3.2.2: "::" may stand for a single piece, at
     * either end too. */
    {"ws://[::1:2:3:4:5:6:7]/", false, "::1:2:3:4:5:6:7", true, 80, false, "/", NULL},
    {"ws://[1:2:3:4:5:6:7::]/", false, "1:2:3:4:5:6:7::", true, 80, false, "/", NULL},
    {"ws://[1:2:3::5:6:7:8]/", false, "1:2:3::5:6:7:8", true, 80, false, "/", NULL},
    {"ws://[::]/", false, "::", true, 80, false, "/", NULL},
    {"ws://[1:2:3:4:5:6:255.0.10.0]/", false, "1:2:3:4:5:6:255.0.10.0", true, 80, false, "/", NULL},
    {"ws://[::1.2.3.4]/", false, "::1.2.3.4", true, 80, false, "/", NULL},
    {"ws://h?q=1", false, "h", false, 80, false, "?q=1", NULL},
    {"ws://h/a/b;c=d@e:f?g/h?i", false, "h", false, 80, false, "/a/b;c=d@e:f?g/h?i", NULL},
    {"ws://my-host.example_x~/", false, "my-host.example_x~", false, 80, false, "/", NULL},
    {"ws://xn--bcher-kva.example/", false, "xn--bcher-kva.example", false, 80, false, "/", NULL},
    /* RFC 3986 section 3.2.3: an empty port is the scheme's default. */
    {"ws://h:/", false, "h", false, 80, false, "/", "ws://h/"},
    {"wss://h:?q", true, "h", false, 443, false, "?q", "wss://h?q"},
    {"ws://[::1]:/", false, "::1", true, 80, false, "/", "ws://[::1]/"},
};

static void test_good_urls(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const char *s = good[i].url;
        size_t len = strlen(s);
        uint8_t *g = ws_test_guard_copy(s, len);
        ws_url u;
        ws_status st = ws_url_parse((const char *)g, len, &u);
        if (st != WS_OK)
            fail_msg("%s: %s", s, ws_status_name(st));
        assert_int_equal(u.secure, good[i].secure);
        assert_int_equal(u.ipv6, good[i].ipv6);
        assert_int_equal(u.port, good[i].port);
        assert_int_equal(u.port_explicit, good[i].port_explicit);
        assert_int_equal(u.host_len, strlen(good[i].host));
        assert_memory_equal(u.host, good[i].host, u.host_len);
        assert_true(u.host >= (const char *)g && u.host + u.host_len <= (const char *)g + len);
        assert_int_equal(u.target_len, strlen(good[i].target));
        assert_memory_equal(u.target, good[i].target, u.target_len);

        char out[128];
        int n = ws_url_write(&u, out, sizeof out);
        const char *expect = good[i].written ? good[i].written : s;
        assert_int_equal(n, (int)strlen(expect));
        assert_string_equal(out, expect);
        assert_int_equal(ws_url_write(&u, out, (size_t)n - 1), WS_E_BUFFER_TOO_SMALL);
        ws_test_guard_free(g, len);
    }
}

static const struct {
    const char *url;
    ws_status expect;
} bad[] = {
    {"", WS_E_URL_SCHEME},
    {"ws", WS_E_URL_SCHEME},
    {"ws:/", WS_E_URL_SCHEME},
    {"ws:/example.com/", WS_E_URL_SCHEME},
    {"http://example.com/", WS_E_URL_SCHEME},
    {"https://example.com/", WS_E_URL_SCHEME},
    {"wsx://example.com/", WS_E_URL_SCHEME},
    {" ws://example.com/", WS_E_URL_SCHEME},
    {"ws://", WS_E_URL_HOST},
    {"ws:///path", WS_E_URL_HOST},
    {"ws://:80/", WS_E_URL_HOST},
    {"ws://?q", WS_E_URL_HOST},
    {"ws://user:pw@example.com/", WS_E_URL_USERINFO},
    {"ws://user@example.com/", WS_E_URL_USERINFO},
    {"ws://[::1/", WS_E_URL_HOST},
    {"ws://[]/", WS_E_URL_HOST},
    {"ws://[::1]x/", WS_E_URL_HOST},
    {"ws://[1:2]/", WS_E_URL_HOST},
    {"ws://[1::2::3]/", WS_E_URL_HOST},
    {"ws://[12345::]/", WS_E_URL_HOST},
    {"ws://[g::1]/", WS_E_URL_HOST},
    {"ws://[fe80::1%25eth0]/", WS_E_URL_HOST},
    {"ws://[1:2:3:4:5:6:7]/", WS_E_URL_HOST},
    {"ws://[1:2:3:4:5:6:7:8:9]/", WS_E_URL_HOST},
    {"ws://[::1:2:3:4:5:6:7:8]/", WS_E_URL_HOST},
    {"ws://[1:2:3:4:5:6:7:8::]/", WS_E_URL_HOST},
    {"ws://[1:2:3:4::5:6:7:8]/", WS_E_URL_HOST},
    {"ws://[1:::2]/", WS_E_URL_HOST},
    {"ws://[:1::2]/", WS_E_URL_HOST},
    {"ws://[1::2:]/", WS_E_URL_HOST},
    {"ws://[1:2:3:4:5:6:7:1.2.3.4]/", WS_E_URL_HOST},
    {"ws://[1.2.3.4::]/", WS_E_URL_HOST},
    {"ws://[::1.2.3]/", WS_E_URL_HOST},
    {"ws://[::1.2.3.4.5]/", WS_E_URL_HOST},
    {"ws://[::1.2.3.256]/", WS_E_URL_HOST},
    {"ws://[::01.2.3.4]/", WS_E_URL_HOST},
    {"ws://[::1..3.4]/", WS_E_URL_HOST},
    {"ws://[::1.2.3.4:5]/", WS_E_URL_HOST},
    {"ws://a]b/", WS_E_URL_HOST},
    {"ws://h:0/", WS_E_URL_PORT},
    {"ws://h:65536/", WS_E_URL_PORT},
    {"ws://h:99999999999999999999/", WS_E_URL_PORT},
    {"ws://h:8a/", WS_E_URL_PORT},
    {"ws://h:-1/", WS_E_URL_PORT},
    {"ws://h:80:81/", WS_E_URL_PORT},
    {"ws://h/#frag", WS_E_URL_FRAGMENT},
    {"ws://h#", WS_E_URL_FRAGMENT},
    {"wss://h/a?b#c", WS_E_URL_FRAGMENT},
    {"ws://h/a b", WS_E_URL_SYNTAX},
    {"ws://h /", WS_E_URL_SYNTAX},
    {"ws://h/\x01", WS_E_URL_SYNTAX},
    {"ws://h/\x7f", WS_E_URL_SYNTAX},
    {"ws://h/\xc3\xa9", WS_E_URL_SYNTAX},
    /* RFC 6455 section 11.1: a host outside ASCII must be converted (IDNA,
     * "xn--") by whoever writes the URL; raw UTF-8 is refused, not sent. */
    {"ws://b\xc3\xbc" "cher.example/", WS_E_URL_SYNTAX},
    {"ws://h/a\\b", WS_E_URL_SYNTAX},
    {"ws://h/<x>", WS_E_URL_SYNTAX},
    {"ws://h/%", WS_E_URL_SYNTAX},
    {"ws://h/%4", WS_E_URL_SYNTAX},
    {"ws://h/%zz", WS_E_URL_SYNTAX},
    {"ws://h%zz/", WS_E_URL_SYNTAX},
    {"ws://h\r\n/", WS_E_URL_SYNTAX},
    {"ws://h/\r\nHost: evil", WS_E_URL_SYNTAX},
};

static void test_bad_urls(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *s = bad[i].url;
        size_t len = strlen(s);
        uint8_t *g = ws_test_guard_copy(s, len);
        ws_url u;
        ws_status st = ws_url_parse((const char *)g, len, &u);
        if (st != bad[i].expect)
            fail_msg("\"%s\": got %s, want %s", s, ws_status_name(st), ws_status_name(bad[i].expect));
        ws_test_guard_free(g, len);
    }
    /* A NUL inside the given length is a control character, not an end. */
    ws_url u;
    assert_int_equal(ws_url_parse("ws://h/\0x", 9, &u), WS_E_URL_SYNTAX);
    assert_int_equal(ws_url_parse(NULL, 0, &u), WS_E_URL_SCHEME);
}

/* Bracketed hosts against the C library's own IPv6 parser: every string of
 * up to ten pieces from a small alphabet (hex groups of 1-5 digits, empty
 * groups, IPv4 tails good and bad) is accepted by ws_url_parse exactly when
 * inet_pton(AF_INET6) accepts it (glibc follows RFC 4291 section 2.2, the
 * grammar RFC 3986 section 3.2.2 spells out). */
static uint32_t lcg_next(uint64_t *state)
{
    *state = *state * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(*state >> 33);
}

static void test_ipv6_hosts_match_inet_pton(void **state)
{
    (void)state;
    static const char *const pieces[] = {"", "0", "1", "ab", "fff", "ffff", "12345", "g",
                                         "1.2.3.4", "255.255.255.255", "1.2.3", "01.2.3.4",
                                         "256.1.1.1", "1.2.3.4.5"};
    const size_t npieces = sizeof pieces / sizeof pieces[0];
    uint64_t seed = 0x9e3779b97f4a7c15u;
    unsigned accepted = 0, checked = 0;
    for (int round = 0; round < 200000; round++) {
        char host[128] = "";
        size_t n = 0;
        int count = 2 + (int)(lcg_next(&seed) % 9);
        for (int i = 0; i < count; i++) {
            /* Mostly short hex groups (pieces 1-5) and some empty ones
             * ("::"), so that valid addresses are common. */
            uint32_t r = lcg_next(&seed), pick = r % 8;
            const char *p = pieces[pick == 0 ? 0 : pick == 1 ? (r / 8) % npieces : 1 + (r / 8) % 5];
            n += (size_t)snprintf(host + n, sizeof host - n, "%s%s", i ? ":" : "", p);
        }
        char url[160];
        int len = snprintf(url, sizeof url, "ws://[%s]/", host);
        struct in6_addr addr;
        bool want = inet_pton(AF_INET6, host, &addr) == 1;
        ws_url u;
        ws_status st = ws_url_parse(url, (size_t)len, &u);
        if ((st == WS_OK) != want)
            fail_msg("\"%s\": ws_url_parse %s, inet_pton %s", url, ws_status_name(st),
                     want ? "accepts" : "rejects");
        accepted += want;
        checked++;
    }
    /* The generator must reach both sides, or the comparison says little. */
    assert_true(accepted > checked / 20);
    assert_true(accepted < checked - checked / 20);
    print_message("%u of %u hosts valid\n", accepted, checked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_urls),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_ipv6_hosts_match_inet_pton),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
