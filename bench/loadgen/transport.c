#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef LOADGEN_NO_TLS
#include <openssl/err.h>
#include <openssl/ssl.h>
static SSL_CTX *ssl_ctx;
#endif

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

static const options_t *opts;
static struct sockaddr_in targets_in[MAX_PORTS];
static int ntargets;
static struct sockaddr_un target_un;
static struct sockaddr_in sources[MAX_SRC];
static int nsources;

int tr_init(const options_t *o) {
  opts = o;
  if (o->transport == TR_UNIX) {
    target_un.sun_family = AF_UNIX;
    if (strlen(o->path) >= sizeof target_un.sun_path) {
      fprintf(stderr, "loadgen: unix path too long\n");
      return TR_ERROR;
    }
    strcpy(target_un.sun_path, o->path);
  } else {
    ntargets = o->nports;
    for (int i = 0; i < ntargets; i++) {
      targets_in[i].sin_family = AF_INET;
      targets_in[i].sin_port = htons((uint16_t)o->ports[i]);
      if (inet_pton(AF_INET, o->host, &targets_in[i].sin_addr) != 1) {
        fprintf(stderr, "loadgen: --host must be an IPv4 address: %s\n", o->host);
        return TR_ERROR;
      }
    }
    for (int i = 0; i < o->nsrc; i++) {
      sources[i].sin_family = AF_INET;
      if (inet_pton(AF_INET, o->src[i], &sources[i].sin_addr) != 1) {
        fprintf(stderr, "loadgen: bad --src address: %s\n", o->src[i]);
        return TR_ERROR;
      }
    }
    nsources = o->nsrc;
  }
  if (o->transport == TR_TLS) {
#ifdef LOADGEN_NO_TLS
    fprintf(stderr, "loadgen: built without OpenSSL, TLS unavailable\n");
    return TR_ERROR;
#else
    ssl_ctx = SSL_CTX_new(TLS_client_method());
    if (!ssl_ctx) return TR_ERROR;
    SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL); /* the bench servers use a throwaway self-signed cert */
    SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
#endif
  }
  return 0;
}

int tr_open(conn_t *c) {
  int unix_socket = opts->transport == TR_UNIX;
  int udp = opts->transport == TR_UDP;
  int fd = socket(unix_socket ? AF_UNIX : AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return TR_ERROR;
  int r;
  const struct sockaddr_in *target_in = unix_socket ? NULL : &targets_in[c->index % ntargets];
  if (udp) {
    /* connect() on a datagram socket only fixes the peer: it succeeds at once, and the socket
     * then hears the server's datagrams only (and ECONNREFUSED if nothing listens). */
    if (nsources > 0) {
      struct sockaddr_in src = sources[c->index % nsources];
      src.sin_port = 0;
      if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
        close(fd);
        return TR_ERROR;
      }
    }
    r = connect(fd, (const struct sockaddr *)target_in, sizeof *target_in);
  } else if (unix_socket) {
    r = connect(fd, (struct sockaddr *)&target_un, sizeof target_un);
  } else {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (nsources > 0) {
      /* Extra loopback source addresses give more than one ephemeral port range per target;
       * NO_PORT defers the port choice to connect(), which may share ports across targets. */
      setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      struct sockaddr_in *src = &sources[c->index % nsources];
      if (bind(fd, (struct sockaddr *)src, sizeof *src) < 0) {
        close(fd);
        return TR_ERROR;
      }
    }
    r = connect(fd, (const struct sockaddr *)target_in, sizeof *target_in);
  }
  if (r < 0 && errno != EINPROGRESS) {
    int again = errno == EAGAIN;
    close(fd);
    return again ? TR_AGAIN : TR_ERROR;
  }
  c->fd = fd;
  return 0;
}

int tr_connected(conn_t *c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) return TR_ERROR;
  return 0;
}

int tr_tls_step(conn_t *c) {
#ifdef LOADGEN_NO_TLS
  (void)c;
  return TR_ERROR;
#else
  if (!c->ssl) {
    SSL *ssl = SSL_new(ssl_ctx);
    if (!ssl) return TR_ERROR;
    SSL_set_fd(ssl, c->fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    c->ssl = ssl;
  }
  int r = SSL_connect(c->ssl);
  if (r == 1) return 1;
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
  return TR_ERROR;
#endif
}

ssize_t tr_read(conn_t *c, void *buf, size_t len) {
#ifndef LOADGEN_NO_TLS
  if (c->ssl) {
    int r = SSL_read(c->ssl, buf, (int)len);
    if (r > 0) return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return TR_AGAIN;
    if (e == SSL_ERROR_ZERO_RETURN) return 0;
    ERR_clear_error();
    return TR_ERROR;
  }
#endif
  ssize_t r = read(c->fd, buf, len);
  if (r >= 0) return r;
  return errno == EAGAIN || errno == EINTR ? TR_AGAIN : TR_ERROR;
}

/* The queued bytes are whole len frames (4-byte big-endian length, then the payload): each goes
 * as its own datagram, since a datagram is one message. Returns the bytes of the frames sent. */
static ssize_t udp_write(conn_t *c, const void *buf, size_t len) {
  const uint8_t *p = buf;
  size_t done = 0;
  while (len - done >= 4) {
    size_t frame = 4 + ((size_t)p[done] << 24 | (size_t)p[done + 1] << 16 | (size_t)p[done + 2] << 8 | p[done + 3]);
    if (frame > len - done) break; /* the rest of a frame is not queued yet */
    ssize_t r = send(c->fd, p + done, frame, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      return TR_ERROR;
    }
    done += frame;
  }
  return done > 0 ? (ssize_t)done : TR_AGAIN;
}

ssize_t tr_write(conn_t *c, const void *buf, size_t len) {
#ifndef LOADGEN_NO_TLS
  if (c->ssl) {
    int r = SSL_write(c->ssl, buf, (int)len);
    if (r > 0) return r;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return TR_AGAIN;
    ERR_clear_error();
    return TR_ERROR;
  }
#endif
  if (opts->transport == TR_UDP) return udp_write(c, buf, len);
  ssize_t r = send(c->fd, buf, len, MSG_NOSIGNAL);
  if (r >= 0) return r;
  return errno == EAGAIN || errno == EINTR ? TR_AGAIN : TR_ERROR;
}

void tr_close(conn_t *c) {
#ifndef LOADGEN_NO_TLS
  if (c->ssl) SSL_free(c->ssl);
#endif
  c->ssl = NULL;
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
}

/* A datagram read is always short of the buffer: only EAGAIN says the socket is drained. */
int tr_short_read_drains(void) { return opts->transport != TR_TLS && opts->transport != TR_UDP; }
