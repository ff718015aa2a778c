/* One client connection and its byte buffers. */
#ifndef LOADGEN_CONN_H
#define LOADGEN_CONN_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  ST_IDLE,        /* not opened yet */
  ST_CONNECTING,  /* non-blocking connect() in progress */
  ST_TLS,         /* TLS handshake in progress */
  ST_HELLO,       /* len: one echo sent, waiting for it (proves the server accepted us) */
  ST_UPGRADE,     /* HTTP upgrade sent, waiting for 101 */
  ST_EIO_OPEN,    /* socket.io: waiting for the Engine.IO open packet "0{...}" */
  ST_EIO_CONNECT, /* socket.io: sent "40", waiting for "40{...}" */
  ST_READY,       /* established: carries the workload */
  ST_DEAD
} conn_state_t;

typedef struct {
  uint8_t *data;
  size_t off; /* start of unconsumed bytes */
  size_t len; /* end of bytes */
  size_t cap;
} buf_t;

typedef struct conn {
  int fd;
  conn_state_t state;
  void *ssl;        /* SSL *, when the transport is TLS */
  int index;        /* global index across workers */
  int sender;       /* broadcast sender id, or -1 */
  int waiting;      /* sender: its broadcast is in flight */
  uint32_t seq;     /* sender: sequence number of its current broadcast */
  int64_t sent_at;  /* sender: when the current broadcast was sent */
  buf_t in;         /* an incomplete frame carried over between reads */
  buf_t out;        /* bytes queued for the socket */
} conn_t;

/* Room for n more bytes at the end; returns where they go and counts them as written. */
uint8_t *buf_put(buf_t *b, size_t n);
void buf_append(buf_t *b, const void *p, size_t n);
/* Drops consumed bytes so the buffer can be reused. */
void buf_compact(buf_t *b);
void buf_free(buf_t *b);

#endif
