#include "proto.h"

#include <stdio.h>
#include <string.h>

static const options_t *opts;
static uint32_t rng;
static char upgrade_request[512];
static size_t upgrade_len;

void proto_init(const options_t *o, uint32_t seed) {
  opts = o;
  rng = seed ? seed : 0x9e3779b9u;
  const char *path = o->proto == PROTO_EIO ? "/socket.io/?EIO=4&transport=websocket" : "/";
  char host[96];
  if (o->transport == TR_UNIX) snprintf(host, sizeof host, "localhost");
  else snprintf(host, sizeof host, "%s:%d", o->host, o->port);
  /* The key is fixed: servers only hash it into Sec-WebSocket-Accept, which we do not check. */
  upgrade_len = (size_t)snprintf(upgrade_request, sizeof upgrade_request,
                                 "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                                 path, host);
}

static uint32_t next_mask(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}

conn_state_t proto_begin(conn_t *c) {
  /* A kernel-level connect says nothing of the server: a busy Node server accepts only a few
   * sockets per turn of its loop. One echo round trip proves the connection is served. */
  if (opts->proto == PROTO_LEN) return ST_HELLO;
  buf_append(&c->out, upgrade_request, upgrade_len);
  return ST_UPGRADE;
}

/* A client frame: FIN + opcode, masked length, mask key, masked payload (the parts given). */
static void ws_frame(conn_t *c, int opcode, const uint8_t *a, size_t na, const uint8_t *b, size_t nb,
                     const uint8_t *d, size_t nd) {
  size_t n = na + nb + nd;
  size_t head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  uint8_t *f = buf_put(&c->out, head + 4 + n);
  f[0] = (uint8_t)(0x80 | opcode);
  if (n < 126) {
    f[1] = (uint8_t)(0x80 | n);
  } else if (n < 65536) {
    f[1] = 0x80 | 126;
    f[2] = (uint8_t)(n >> 8);
    f[3] = (uint8_t)n;
  } else {
    f[1] = 0x80 | 127;
    for (int i = 0; i < 8; i++) f[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
  }
  uint32_t m = next_mask();
  uint8_t key[4];
  memcpy(key, &m, 4);
  memcpy(f + head, key, 4);
  uint8_t *p = f + head + 4;
  memcpy(p, a, na);
  memcpy(p + na, b, nb);
  memcpy(p + na + nb, d, nd);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t w;
    memcpy(&w, p + i, 4);
    w ^= m;
    memcpy(p + i, &w, 4);
  }
  for (; i < n; i++) p[i] ^= key[i & 3];
}

static void ws_text(conn_t *c, const char *s) { ws_frame(c, 1, (const uint8_t *)s, strlen(s), NULL, 0, NULL, 0); }

void proto_send(conn_t *c, const uint8_t *payload, size_t n) {
  switch (opts->proto) {
  case PROTO_LEN: {
    uint8_t *f = buf_put(&c->out, 4 + n);
    f[0] = (uint8_t)(n >> 24);
    f[1] = (uint8_t)(n >> 16);
    f[2] = (uint8_t)(n >> 8);
    f[3] = (uint8_t)n;
    memcpy(f + 4, payload, n);
    break;
  }
  case PROTO_WS:
    ws_frame(c, 1, payload, n, NULL, 0, NULL, 0);
    break;
  case PROTO_EIO: {
    /* Payloads are plain ASCII without quotes, so they go into the JSON string unescaped. */
    static const char echo[] = "42[\"echo\",\"", bcast[] = "42[\"bcast\",\"", tail[] = "\"]";
    const char *head = payload[0] == 'B' ? bcast : echo;
    ws_frame(c, 1, (const uint8_t *)head, strlen(head), payload, n, (const uint8_t *)tail, 2);
    break;
  }
  }
}

/* An Engine.IO packet inside a text frame. */
static void eio_packet(worker_t *w, conn_t *c, const uint8_t *p, size_t n) {
  if (n == 0) return;
  switch (p[0]) {
  case '0': /* open: join the default namespace */
    if (c->state == ST_EIO_OPEN) {
      ws_text(c, "40");
      c->state = ST_EIO_CONNECT;
    }
    return;
  case '2': /* ping from the server */
    ws_text(c, "3");
    return;
  case '4':
    if (n >= 2 && p[1] == '0' && c->state == ST_EIO_CONNECT) {
      worker_established(w, c);
    } else if (n >= 2 && p[1] == '2') {
      /* 42["event","payload"]: the payload sits between the third quote and the closing "] */
      const uint8_t *q = memchr(p + 2, '"', n - 2);                  /* opens the event name */
      if (q) q = memchr(q + 1, '"', (size_t)(p + n - q - 1));        /* closes it */
      if (q && q + 3 <= p + n - 2 && q[1] == ',' && q[2] == '"' && p[n - 2] == '"' && p[n - 1] == ']')
        worker_payload(w, c, q + 3, (size_t)(p + n - 2 - (q + 3)));
      else
        worker_payload(w, c, p, 0); /* counted as bad */
    } else if (n >= 2 && (p[1] == '1' || p[1] == '4')) {
      worker_lost(w, c); /* disconnected, or connect refused */
    }
    return;
  case '1': /* close */
    worker_lost(w, c);
    return;
  default:
    return;
  }
}

static size_t parse_upgrade(worker_t *w, conn_t *c, const uint8_t *data, size_t len) {
  for (size_t i = 3; i < len; i++) {
    if (data[i] == '\n' && data[i - 1] == '\r' && data[i - 2] == '\n' && data[i - 3] == '\r') {
      if (len < 12 || memcmp(data, "HTTP/1.1 101", 12) != 0) {
        worker_lost(w, c);
        return 0;
      }
      if (opts->proto == PROTO_EIO) c->state = ST_EIO_OPEN;
      else worker_established(w, c);
      return i + 1;
    }
  }
  return 0;
}

static size_t parse_ws(worker_t *w, conn_t *c, const uint8_t *data, size_t len) {
  size_t off = 0;
  while (len - off >= 2 && c->state != ST_DEAD) {
    const uint8_t *f = data + off;
    int opcode = f[0] & 0x0f;
    int masked = f[1] & 0x80;
    uint64_t n = f[1] & 0x7f;
    size_t head = 2;
    if (n == 126) {
      if (len - off < 4) break;
      n = ((uint64_t)f[2] << 8) | f[3];
      head = 4;
    } else if (n == 127) {
      if (len - off < 10) break;
      n = 0;
      for (int i = 0; i < 8; i++) n = (n << 8) | f[2 + i];
      head = 10;
    }
    if (masked) head += 4; /* servers must not mask; tolerate it as long as we skip the key */
    if (len - off < head + n) break;
    const uint8_t *p = f + head;
    switch (opcode) {
    case 1:
    case 2:
      if (opts->proto == PROTO_EIO) eio_packet(w, c, p, (size_t)n);
      else worker_payload(w, c, p, (size_t)n);
      break;
    case 9: /* ping: answer with a pong carrying the same bytes */
      ws_frame(c, 10, p, (size_t)n, NULL, 0, NULL, 0);
      break;
    case 10:
      break;
    case 8:
      worker_lost(w, c);
      break;
    default: /* fragmented messages are not expected from a bench server */
      worker_payload(w, c, p, 0);
      break;
    }
    off += head + (size_t)n;
  }
  return off;
}

static size_t parse_len(worker_t *w, conn_t *c, const uint8_t *data, size_t len) {
  size_t off = 0;
  while (len - off >= 4 && c->state != ST_DEAD) {
    const uint8_t *f = data + off;
    size_t n = ((size_t)f[0] << 24) | ((size_t)f[1] << 16) | ((size_t)f[2] << 8) | f[3];
    if (len - off - 4 < n) break;
    worker_payload(w, c, f + 4, n);
    off += 4 + n;
  }
  return off;
}

size_t proto_parse(worker_t *w, conn_t *c, const uint8_t *data, size_t len) {
  size_t off = 0;
  if (c->state == ST_UPGRADE) {
    off = parse_upgrade(w, c, data, len);
    if (off == 0 || c->state == ST_DEAD) return off;
  }
  if (opts->proto == PROTO_LEN) return off + parse_len(w, c, data + off, len - off);
  return off + parse_ws(w, c, data + off, len - off);
}
