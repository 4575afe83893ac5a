/* Unit tests of examples/common/resolve.c: a lookup answers on the loop,
 * a cancelled one never calls back, and resolve_wait_idle leaves no lookup
 * thread behind (under valgrind, one still inside getaddrinfo at exit shows
 * up as glibc's resolver state lost). */
#include <setjmp.h> /* cmocka needs these before cmocka.h */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include "loop.h"
#include "resolve.h"

struct answer {
    loop *l;
    int calls;
    int gai_error;
    int family;
    unsigned port;
    char addr[INET6_ADDRSTRLEN];
};

static void on_resolved(void *arg, const struct addrinfo *res, int gai_error, int errno_value)
{
    (void)errno_value;
    struct answer *a = arg;
    a->calls++;
    a->gai_error = gai_error;
    if (res && res->ai_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)res->ai_addr;
        a->family = AF_INET;
        a->port = ntohs(sin->sin_port);
        inet_ntop(AF_INET, &sin->sin_addr, a->addr, sizeof a->addr);
    }
    loop_stop(a->l);
}

static void on_give_up(loop_timer *t, void *arg)
{
    (void)t;
    loop_stop(arg);
}

static void test_lookup_answers_on_the_loop(void **state)
{
    (void)state;
    struct answer a = {.l = loop_new()};
    loop_timer guard;
    loop_timer_init(&guard, a.l, on_give_up, a.l);
    loop_timer_start(&guard, 10000);
    assert_non_null(resolve_start(a.l, "127.0.0.1", 6379, on_resolved, &a));
    assert_int_equal(loop_run(a.l), 0);
    assert_int_equal(a.calls, 1);
    assert_int_equal(a.gai_error, 0);
    assert_int_equal(a.family, AF_INET);
    assert_string_equal(a.addr, "127.0.0.1");
    assert_int_equal(a.port, 6379);
    loop_timer_stop(&guard);
    assert_true(resolve_wait_idle(10000));
    loop_free(a.l);
}

static void test_a_name_too_long_is_refused_at_once(void **state)
{
    (void)state;
    struct answer a = {.l = loop_new()};
    char host[NI_MAXHOST + 1];
    memset(host, 'a', sizeof host - 1);
    host[sizeof host - 1] = '\0';
    assert_null(resolve_start(a.l, host, 1, on_resolved, &a));
    assert_int_equal(a.calls, 0);
    loop_free(a.l);
}

/* What chat_server does when it stops while looking Redis up: the lookups
 * are cancelled, and their threads must be gone before it exits. */
static void test_cancelled_lookups_never_call_back_and_are_joined(void **state)
{
    (void)state;
    struct answer a = {.l = loop_new()};
    resolve_req *reqs[16];
    for (size_t i = 0; i < 16; i++) {
        reqs[i] = resolve_start(a.l, "localhost", 80, on_resolved, &a);
        assert_non_null(reqs[i]);
    }
    for (size_t i = 0; i < 16; i++)
        resolve_cancel(reqs[i]);
    assert_true(resolve_wait_idle(30000));
    loop_timer settle;
    loop_timer_init(&settle, a.l, on_give_up, a.l);
    loop_timer_start(&settle, 100);
    assert_int_equal(loop_run(a.l), 0);
    assert_int_equal(a.calls, 0);
    loop_free(a.l);
}

static void test_waiting_with_no_lookup_returns_at_once(void **state)
{
    (void)state;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_true(resolve_wait_idle(5000));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(t1.tv_sec - t0.tv_sec < 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup_answers_on_the_loop),
        cmocka_unit_test(test_a_name_too_long_is_refused_at_once),
        cmocka_unit_test(test_cancelled_lookups_never_call_back_and_are_joined),
        cmocka_unit_test(test_waiting_with_no_lookup_returns_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
