/* Byte streams under the protocols: TCP, TLS (OpenSSL) or Unix socket, all non-blocking; and UDP,
 * a connected datagram socket carrying one len frame per datagram. */
#ifndef LOADGEN_TRANSPORT_H
#define LOADGEN_TRANSPORT_H

#include <sys/types.h>

#include "conn.h"
#include "options.h"

#define TR_AGAIN (-2) /* would block: wait for the next epoll edge */
#define TR_ERROR (-1)

/* Resolves the target and, for TLS, builds the client context. Call once per process. */
int tr_init(const options_t *o);
/* Starts a non-blocking connect; 0 when under way, TR_AGAIN when the target's backlog is
 * full (Unix sockets say so at once: retry later), TR_ERROR otherwise. */
int tr_open(conn_t *c);
/* After the socket turned writable: 0 if the connect succeeded, TR_ERROR if not. */
int tr_connected(conn_t *c);
/* Advances the TLS handshake: 1 done, 0 waiting, TR_ERROR failed. */
int tr_tls_step(conn_t *c);
/* Bytes read (> 0), 0 at end of stream, TR_AGAIN or TR_ERROR. */
ssize_t tr_read(conn_t *c, void *buf, size_t len);
/* Bytes written (> 0), TR_AGAIN or TR_ERROR. */
ssize_t tr_write(conn_t *c, const void *buf, size_t len);
void tr_close(conn_t *c);
/* Whether a short read means the socket is drained (not true of TLS, which buffers records). */
int tr_short_read_drains(void);

#endif
