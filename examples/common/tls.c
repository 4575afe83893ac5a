/*
 * OpenSSL under ws_client.c (see tls.h). The socket stays non-blocking
 * throughout; only the handshake waits, with poll, up to a deadline.
 */
#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"

/* The most plaintext one TLS record carries (RFC 8446 section 5.1). */
#define TLS_RECORD_MAX 16384

struct tls_conn {
    SSL_CTX *ctx;
    SSL *ssl;
    /* Why the last tls_read / tls_write said EAGAIN: TLS may have to send
     * while reading (a key update's answer) or receive while writing (a
     * renegotiation), and then waits on the other direction. */
    bool read_needs_write, write_needs_read;
    bool broken; /* a fatal error: no close_notify may follow */
    char error[256];
    uint8_t stage[TLS_RECORD_MAX]; /* small buffers packed into one record */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* OpenSSL's queued errors as one sentence (the first is the cause). */
static void take_error(char *out, size_t cap, const char *fallback)
{
    unsigned long e = ERR_get_error();
    if (e == 0) {
        snprintf(out, cap, "%s", fallback);
        return;
    }
    const char *reason = ERR_reason_error_string(e);
    if (reason)
        snprintf(out, cap, "%s", reason);
    else
        ERR_error_string_n(e, out, cap);
    ERR_clear_error();
}

/* Map SSL_get_error to the recv/send convention of tls.h. */
static ssize_t io_result(tls_conn *t, int r, bool reading)
{
    bool *crossed = reading ? &t->read_needs_write : &t->write_needs_read;
    *crossed = false;
    if (r > 0)
        return r;
    const int saved_errno = errno;
    switch (SSL_get_error(t->ssl, r)) {
    case SSL_ERROR_WANT_READ:
        *crossed = !reading;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        *crossed = reading;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN: /* the server's close_notify */
        return 0;
    case SSL_ERROR_SYSCALL:
        t->broken = true;
        ERR_clear_error();
        /* The TCP close without close_notify (OpenSSL before 3.0). */
        if (reading && saved_errno == 0)
            return 0;
        errno = saved_errno ? saved_errno : EPIPE;
        return -1;
    default:
        t->broken = true;
        take_error(t->error, sizeof t->error, "TLS error");
        errno = EPROTO;
        return -1;
    }
}

ssize_t tls_read(tls_conn *t, void *buf, size_t len)
{
    ERR_clear_error();
    errno = 0;
    return io_result(t, SSL_read(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len), true);
}

ssize_t tls_write(tls_conn *t, const void *buf, size_t len)
{
    if (len == 0)
        return 0;
    /* A TLS 1.2 renegotiation the server started is left to reads. A write
     * would drive the handshake too, and OpenSSL fails the connection
     * ("unexpected record") when the server's application data, which may
     * come before its ServerHello, arrives during a handshake driven by a
     * write; a read hands that data out. The write waits for the reads that
     * finish the handshake (as after WANT_READ). */
    if (SSL_in_init(t->ssl) && SSL_version(t->ssl) <= TLS1_2_VERSION) {
        t->write_needs_read = true;
        errno = EAGAIN;
        return -1;
    }
    ERR_clear_error();
    errno = 0;
    return io_result(t, SSL_write(t->ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len), false);
}

/* Gather the buffers from byte skip of iov[first] on into stage, up to
 * one record's worth. The same queue front always gathers the same leading
 * bytes, which is what OpenSSL asks of a write retried after WANT_*: the
 * queue only grows at its back, so a retry's stage is the old one or
 * longer. */
static size_t gather(uint8_t *stage, const struct iovec *iov, int n, int first, size_t skip)
{
    size_t len = 0;
    for (int i = first; i < n && len < TLS_RECORD_MAX; i++, skip = 0) {
        size_t take = iov[i].iov_len - skip;
        if (take > TLS_RECORD_MAX - len)
            take = TLS_RECORD_MAX - len;
        memcpy(stage + len, (const uint8_t *)iov[i].iov_base + skip, take);
        len += take;
    }
    return len;
}

ssize_t tls_writev(tls_conn *t, const struct iovec *iov, int n)
{
    size_t total = 0;
    int i = 0;
    size_t skip = 0; /* bytes of iov[i] already taken */
    while (i < n) {
        /* Small frames (a line each, from a pasted burst or a pipe) are
         * packed into full records: one record per frame costs a syscall
         * and ~29 bytes of TLS overhead each, and as much again in the
         * server's decryption. A buffer that fills a record by itself goes
         * out without the copy. */
        const bool direct = iov[i].iov_len - skip >= TLS_RECORD_MAX;
        const uint8_t *src = (const uint8_t *)iov[i].iov_base + skip;
        const size_t len = direct ? iov[i].iov_len - skip : gather(t->stage, iov, n, i, skip);
        const ssize_t w = tls_write(t, direct ? src : t->stage, len);
        if (w < 0)
            return total > 0 && errno == EAGAIN ? (ssize_t)total : -1;
        if (w == 0) /* the server's close_notify: stop, the reader sees it */
            break;
        total += (size_t)w;
        for (size_t left = (size_t)w; left > 0;) {
            const size_t rest = iov[i].iov_len - skip;
            if (left < rest) {
                skip += left;
                break;
            }
            left -= rest;
            i++;
            skip = 0;
        }
    }
    return (ssize_t)total;
}

size_t tls_pending(const tls_conn *t) { return (size_t)SSL_pending(t->ssl); }

bool tls_read_needs_write(const tls_conn *t) { return t->read_needs_write; }

bool tls_write_needs_read(const tls_conn *t) { return t->write_needs_read; }

const char *tls_error(const tls_conn *t) { return t->error; }

void tls_free(tls_conn *t)
{
    if (!t)
        return;
    if (t->ssl && !t->broken && SSL_is_init_finished(t->ssl)) {
        ERR_clear_error();
        SSL_shutdown(t->ssl); /* one try; the socket is non-blocking */
    }
    SSL_free(t->ssl);
    SSL_CTX_free(t->ctx);
    ERR_clear_error();
    free(t);
}

static bool setup(tls_conn *t, int fd, const char *host, const tls_options *o, char *err,
                  size_t err_cap)
{
    t->ctx = SSL_CTX_new(TLS_client_method());
    if (!t->ctx || !SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION)) {
        take_error(t->error, sizeof t->error, "out of memory");
        snprintf(err, err_cap, "TLS setup failed: %s", t->error);
        return false;
    }
    if (!o->insecure) {
        const int loaded = o->ca_file ? SSL_CTX_load_verify_locations(t->ctx, o->ca_file, NULL)
                                      : SSL_CTX_set_default_verify_paths(t->ctx);
        if (!loaded) {
            take_error(t->error, sizeof t->error, "unreadable");
            snprintf(err, err_cap, "cannot load the CA certificates%s%s: %s",
                     o->ca_file ? " from " : "", o->ca_file ? o->ca_file : "", t->error);
            return false;
        }
        SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
    }
    /* A sendq retries a partial write from where it stopped: the same
     * bytes, but maybe not the same buffer address. */
    SSL_CTX_set_mode(t->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
    /* A TCP close without close_notify reads as the end of the stream, as
     * a plain socket's does: many servers end that way, and the WebSocket
     * close handshake, not TLS, tells a complete conversation from a cut
     * one (1006). */
    SSL_CTX_set_options(t->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
    t->ssl = SSL_new(t->ctx);
    if (!t->ssl || !SSL_set_fd(t->ssl, fd)) {
        take_error(t->error, sizeof t->error, "out of memory");
        snprintf(err, err_cap, "TLS setup failed: %s", t->error);
        return false;
    }
    const bool address = net_is_address(host);
    /* RFC 6066 section 3: no SNI for an address. */
    if (!address && !SSL_set_tlsext_host_name(t->ssl, host)) {
        take_error(t->error, sizeof t->error, "bad host name");
        snprintf(err, err_cap, "TLS setup failed: %s", t->error);
        return false;
    }
    if (!o->insecure) {
        X509_VERIFY_PARAM *param = SSL_get0_param(t->ssl);
        const int set = address ? X509_VERIFY_PARAM_set1_ip_asc(param, host)
                                : X509_VERIFY_PARAM_set1_host(param, host, 0);
        if (!set) {
            take_error(t->error, sizeof t->error, "bad host name");
            snprintf(err, err_cap, "TLS setup failed: %s", t->error);
            return false;
        }
    }
    return true;
}

tls_conn *tls_connect(int fd, const char *host, const tls_options *o, int timeout_ms, char *err,
                      size_t err_cap)
{
    tls_conn *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    if (!setup(t, fd, host, o, err, err_cap)) {
        t->broken = true;
        tls_free(t);
        return NULL;
    }
    const int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        ERR_clear_error();
        errno = 0;
        const int r = SSL_connect(t->ssl);
        if (r == 1)
            return t;
        const int saved_errno = errno;
        const int e = SSL_get_error(t->ssl, r);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
            int64_t left = deadline - now_ms();
            struct pollfd p = {.fd = fd, .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT};
            int w = left > 0 ? poll(&p, 1, (int)left) : 0;
            if (w > 0 || (w < 0 && errno == EINTR))
                continue;
            snprintf(err, err_cap, "TLS handshake failed: %s",
                     w == 0 ? "no answer from the server in time" : strerror(errno));
        } else if (SSL_get_verify_result(t->ssl) != X509_V_OK) {
            snprintf(err, err_cap,
                     "TLS handshake failed: certificate verify failed: %s (--cacert FILE "
                     "trusts another CA; -k skips the check)",
                     X509_verify_cert_error_string(SSL_get_verify_result(t->ssl)));
        } else if (e == SSL_ERROR_SYSCALL) {
            snprintf(err, err_cap, "TLS handshake failed: %s",
                     saved_errno ? strerror(saved_errno)
                                 : "the server closed the connection (is it a TLS port?)");
        } else {
            take_error(t->error, sizeof t->error, "protocol error");
            snprintf(err, err_cap, "TLS handshake failed: %s", t->error);
        }
        t->broken = true;
        tls_free(t);
        return NULL;
    }
}
