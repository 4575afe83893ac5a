/*
 * tls.h - a TLS client layer for ws_client.c (wss://), over OpenSSL.
 *
 * libwsframe never touches a socket, so TLS is only a different pipe for
 * the same bytes: the handshake and the frames go through tls_read and
 * tls_write instead of recv and send. Built only when OpenSSL is found
 * (WS_WITH_OPENSSL); without it, ws_client.c refuses wss:// URLs.
 */
#ifndef EXAMPLES_TLS_H
#define EXAMPLES_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

typedef struct tls_conn tls_conn;

typedef struct tls_options {
    const char *ca_file; /* PEM file of trusted CAs; NULL: the system's store */
    bool insecure;       /* skip the certificate and host name checks (-k) */
} tls_options;

/*
 * Run the TLS handshake over fd, a connected non-blocking TCP socket, as a
 * client of host (sent as SNI unless it is an address, and checked against
 * the certificate: a DNS name or an IP address in subjectAltName). Blocks
 * up to timeout_ms. Returns the connection, or NULL with a sentence in err
 * ("certificate verify failed: self-signed certificate", ...). Does not
 * close fd.
 */
tls_conn *tls_connect(int fd, const char *host, const tls_options *o, int timeout_ms, char *err,
                      size_t err_cap);

/* Like recv/send on a non-blocking socket: > 0 bytes, 0 for the end of the
 * stream (tls_read), or -1 with errno: EAGAIN when the socket must become
 * ready first (usually readable for tls_read and writable for tls_write;
 * the two functions below say when it is the other way round), EPROTO for
 * a TLS error (tls_error says which), or the socket's own errno. */
ssize_t tls_read(tls_conn *t, void *buf, size_t len);
ssize_t tls_write(tls_conn *t, const void *buf, size_t len);

/* tls_write for a sendq: the buffers in order, small ones packed into
 * full records, until the socket is full. Returns the bytes written, or -1
 * as tls_write. After EAGAIN, call again with the same buffers in front
 * (more may follow them), as OpenSSL requires of a retried write. */
ssize_t tls_writev(tls_conn *t, const struct iovec *iov, int n);

/* Decrypted bytes waiting inside the TLS layer: the socket will not say
 * readable for them, so read again while this is not 0. */
size_t tls_pending(const tls_conn *t);

/* The last tls_read's EAGAIN waits for writability (TLS must send first),
 * the last tls_write's for readability (TLS must receive first). */
bool tls_read_needs_write(const tls_conn *t);
bool tls_write_needs_read(const tls_conn *t);

/* The last TLS error as a sentence. */
const char *tls_error(const tls_conn *t);

/* Send close_notify if the connection is still healthy (without waiting
 * for the server's), then free. NULL is ignored. */
void tls_free(tls_conn *t);

#endif
