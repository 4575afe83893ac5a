/* failmalloc.c - an LD_PRELOAD shim that makes allocations fail on demand,
 * so the example programs' "out of memory" paths can be run (tests/interop/
 * audit/oom.py). A test-only tool: it is never linked into a program.
 *
 * WS_FAILMALLOC selects which allocations fail once armed (they return NULL
 * with errno ENOMEM):
 *   after=N              every one after the first N
 *   every=K              every K-th
 *   random=P[,seed=S]    each with probability P (0..1)
 * WS_FAILMALLOC_ARM_MS=T arms it T ms after the first allocation; without
 * it the shim starts disarmed and SIGUSR2 toggles it (armed, disarmed, ...),
 * so a test arms it exactly once the program has started, and disarms it to
 * see the program still serves. None of the examples use SIGUSR2; its
 * handler only flips a flag and is installed with SA_RESTART.
 * At exit it writes "failmalloc: F of A allocations failed" to stderr (A
 * counts those made while armed), so a test can tell failures happened.
 *
 * malloc, calloc, realloc, posix_memalign, aligned_alloc and memalign are
 * covered; free never fails, and is wrapped only for this: dlsym itself may
 * call calloc before the real one is known, those few come from a static
 * buffer, and free ignores a pointer into it rather than hand it to the
 * real free.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum mode { MODE_NONE, MODE_AFTER, MODE_EVERY, MODE_RANDOM };

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);

static enum mode mode;
static unsigned long long param_n;  /* after=N, every=K */
static uint64_t threshold;          /* random: fail when the next number < this */
static _Atomic uint64_t rng_state = 0x9E3779B97F4A7C15u;
static atomic_bool armed;
static atomic_bool configured;
static long long arm_at_ms = -1; /* from WS_FAILMALLOC_ARM_MS, relative to the first call */
static _Atomic long long start_ms = -1;
static _Atomic unsigned long long armed_calls, failed_calls;

/* For dlsym's own allocations before the real functions are known. */
static _Alignas(max_align_t) unsigned char bootstrap[4096];
static size_t bootstrap_used;
static _Thread_local int resolving;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *bootstrap_alloc(size_t n)
{
    size_t a = _Alignof(max_align_t);
    size_t at = (bootstrap_used + a - 1) / a * a;
    if (at + n > sizeof bootstrap)
        return NULL;
    bootstrap_used = at + n;
    memset(bootstrap + at, 0, n);
    return bootstrap + at;
}

static int from_bootstrap(const void *p)
{
    return (const unsigned char *)p >= bootstrap &&
           (const unsigned char *)p < bootstrap + sizeof bootstrap;
}

static void on_sigusr2(int signo)
{
    (void)signo;
    atomic_store(&armed, !atomic_load(&armed));
}

/* ISO C has no cast from dlsym's object pointer to a function pointer;
 * POSIX guarantees the representation is the same, so copy it. */
#define RESOLVE(fn, name)                                                     \
    do {                                                                      \
        void *sym_ = dlsym(RTLD_NEXT, name);                                  \
        memcpy(&(fn), &sym_, sizeof(fn));                                     \
    } while (0)

static void resolve(void)
{
    if (real_malloc || resolving)
        return;
    resolving = 1;
    RESOLVE(real_calloc, "calloc");
    RESOLVE(real_malloc, "malloc");
    RESOLVE(real_realloc, "realloc");
    RESOLVE(real_free, "free");
    RESOLVE(real_posix_memalign, "posix_memalign");
    RESOLVE(real_aligned_alloc, "aligned_alloc");
    RESOLVE(real_memalign, "memalign");
    resolving = 0;
}

/* Reads the environment once; getenv does not allocate. */
static void configure(void)
{
    if (atomic_load(&configured))
        return;
    const char *spec = getenv("WS_FAILMALLOC");
    if (spec) {
        const char *p;
        if ((p = strstr(spec, "after=")) != NULL) {
            mode = MODE_AFTER;
            param_n = strtoull(p + 6, NULL, 10);
        } else if ((p = strstr(spec, "every=")) != NULL) {
            mode = MODE_EVERY;
            param_n = strtoull(p + 6, NULL, 10);
            if (param_n == 0)
                param_n = 1;
        } else if ((p = strstr(spec, "random=")) != NULL) {
            mode = MODE_RANDOM;
            double prob = strtod(p + 7, NULL);
            prob = prob < 0 ? 0 : prob > 1 ? 1 : prob;
            threshold = prob >= 1 ? UINT64_MAX : (uint64_t)(prob * 18446744073709551616.0);
            const char *s = strstr(spec, "seed=");
            if (s)
                atomic_store(&rng_state, strtoull(s + 5, NULL, 10) * 0x9E3779B97F4A7C15u + 1);
        }
    }
    const char *arm = getenv("WS_FAILMALLOC_ARM_MS");
    if (arm && *arm)
        arm_at_ms = strtoll(arm, NULL, 10);
    atomic_store(&configured, 1);
}

__attribute__((constructor)) static void failmalloc_init(void)
{
    resolve();
    configure();
    if (mode != MODE_NONE && arm_at_ms < 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_sigusr2;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR2, &sa, NULL);
    }
}

__attribute__((destructor)) static void failmalloc_report(void)
{
    if (mode == MODE_NONE)
        return;
    char line[128];
    int n = snprintf(line, sizeof line, "failmalloc: %llu of %llu allocations failed\n",
                     (unsigned long long)atomic_load(&failed_calls),
                     (unsigned long long)atomic_load(&armed_calls));
    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
}

static uint64_t next_random(void)
{
    /* splitmix64 */
    uint64_t z = atomic_fetch_add(&rng_state, 0x9E3779B97F4A7C15u) + 0x9E3779B97F4A7C15u;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

/* Whether this allocation is to fail. */
static int should_fail(void)
{
    if (mode == MODE_NONE)
        return 0;
    if (arm_at_ms >= 0) {
        long long start = atomic_load(&start_ms);
        if (start < 0) {
            long long expected = -1;
            start = now_ms();
            atomic_compare_exchange_strong(&start_ms, &expected, start);
            start = atomic_load(&start_ms);
        }
        if (!atomic_load(&armed) && now_ms() - start >= arm_at_ms)
            atomic_store(&armed, 1);
    }
    if (!atomic_load(&armed))
        return 0;
    unsigned long long i = atomic_fetch_add(&armed_calls, 1) + 1; /* 1-based */
    int fail = 0;
    switch (mode) {
    case MODE_AFTER: fail = i > param_n; break;
    case MODE_EVERY: fail = i % param_n == 0; break;
    case MODE_RANDOM: fail = next_random() < threshold; break;
    case MODE_NONE: break;
    }
    if (fail)
        atomic_fetch_add(&failed_calls, 1);
    return fail;
}

void *malloc(size_t n)
{
    resolve();
    if (!real_malloc)
        return bootstrap_alloc(n);
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return real_malloc(n);
}

void *calloc(size_t n, size_t size)
{
    resolve();
    if (!real_calloc) {
        if (size && n > SIZE_MAX / size)
            return NULL;
        return bootstrap_alloc(n * size);
    }
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return real_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
    resolve();
    if (from_bootstrap(p)) {
        /* Never happens in practice; keep the old bytes if it does. */
        void *q = malloc(n);
        if (q)
            memcpy(q, p, n < sizeof bootstrap ? n : sizeof bootstrap);
        return q;
    }
    /* realloc(p, 0) frees: that is not an allocation to fail. */
    if (n != 0 && should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return real_realloc(p, n);
}

void free(void *p)
{
    if (!p || from_bootstrap(p))
        return;
    resolve();
    real_free(p);
}

int posix_memalign(void **out, size_t align, size_t n)
{
    resolve();
    if (should_fail())
        return ENOMEM;
    return real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
    resolve();
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return real_aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n)
{
    resolve();
    if (should_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    return real_memalign(align, n);
}
