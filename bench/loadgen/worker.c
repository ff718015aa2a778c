#include "worker.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "clock.h"
#include "procstat.h"
#include "proto.h"
#include "transport.h"

#define READ_BUF (256 * 1024)
#define MAX_EVENTS 1024

/* Payload layout, all ASCII so it can travel in WebSocket text frames and JSON strings:
 *   [0] 'E' echo | 'B' broadcast   [1..16] send time, hex ns   [17..20] sender, hex
 *   [21..28] broadcast sequence, hex   [29..] 'x' filler up to --size */
#define PAYLOAD_MIN 29

struct worker {
  const options_t *o;
  shared_t *sh;
  worker_result_t *res;
  int id;
  int ep;
  conn_t *conns;
  int nconns;
  int next_open;  /* next connection to open */
  int pending;    /* opened, not yet established */
  int connect_done;
  int64_t connect_deadline;
  int started;
  int measuring;
  int64_t t_measure, t_end;
  uint32_t total_connected;
  int64_t now;
  double cpu_at_measure;
  uint8_t *rbuf;
  uint8_t *payload;
  uint32_t *deliveries;  /* per sender: deliveries counted locally, not yet published */
  int *touched;          /* senders with deliveries to publish */
  int ntouched;
  conn_t **senders;      /* this worker's broadcast senders */
  int nsenders;
};

static void flush_out(worker_t *w, conn_t *c);

static inline int counting(const worker_t *w) {
  return w->started && w->now >= w->t_measure && w->now < w->t_end;
}

static void put_hex(uint8_t *p, uint64_t v, int digits) {
  static const char hex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; i--, v >>= 4) p[i] = (uint8_t)hex[v & 15];
}

static uint64_t get_hex(const uint8_t *p, int digits) {
  uint64_t v = 0;
  for (int i = 0; i < digits; i++) {
    uint8_t ch = p[i];
    v = (v << 4) | (uint64_t)(ch <= '9' ? ch - '0' : ch - 'a' + 10);
  }
  return v;
}

static void open_more(worker_t *w) {
  while (!w->connect_done && w->pending < w->o->max_pending && w->next_open < w->nconns) {
    conn_t *c = &w->conns[w->next_open];
    int r = tr_open(c);
    if (r == TR_AGAIN) return; /* backlog full: the main loop retries shortly */
    w->next_open++;
    if (r < 0) {
      c->state = ST_DEAD;
      w->res->failed++;
      continue;
    }
    c->state = ST_CONNECTING;
    w->pending++;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(w->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) worker_lost(w, c);
  }
}

void worker_lost(worker_t *w, conn_t *c) {
  if (c->state == ST_DEAD) return;
  if (c->state == ST_READY) {
    w->res->closed++;
  } else {
    w->res->failed++;
    w->pending--;
  }
  c->state = ST_DEAD;
  tr_close(c);
  buf_free(&c->in);
  buf_free(&c->out);
  open_more(w);
}

void worker_established(worker_t *w, conn_t *c) {
  c->state = ST_READY;
  w->pending--;
  w->res->connected++;
  open_more(w);
}

static void send_payload(worker_t *w, conn_t *c, uint8_t kind) {
  uint8_t *p = w->payload;
  p[0] = kind;
  put_hex(p + 1, (uint64_t)w->now, 16);
  if (kind == 'B') {
    put_hex(p + 17, (uint64_t)c->sender, 4);
    put_hex(p + 21, c->seq, 8);
  }
  proto_send(c, p, (size_t)w->o->size);
  if (counting(w)) w->res->sent++;
}

static void send_broadcast(worker_t *w, conn_t *c) {
  sender_slot_t *slot = &w->sh->slots[c->sender];
  c->seq++;
  atomic_store(&slot->seq, c->seq);
  atomic_store(&slot->delivered, 0);
  c->sent_at = w->now;
  c->waiting = 1;
  send_payload(w, c, 'B');
}

void worker_payload(worker_t *w, conn_t *c, const uint8_t *p, size_t n) {
  if (c->state == ST_HELLO) {
    worker_established(w, c);
    return;
  }
  if (n != (size_t)w->o->size || (p[0] != 'E' && p[0] != 'B')) {
    w->res->bad++;
    return;
  }
  if (counting(w)) {
    int64_t sent = (int64_t)get_hex(p + 1, 16);
    w->res->received++;
    w->res->bytes += n;
    hist_record(&w->res->latency, w->now > sent ? (uint64_t)(w->now - sent) : 0);
  }
  if (p[0] == 'E') {
    /* Closed loop: every echo that comes back sends the next message. */
    if (w->o->workload == WL_ECHO && w->started && w->now < w->t_end) send_payload(w, c, 'E');
    return;
  }
  uint32_t sender = (uint32_t)get_hex(p + 17, 4);
  uint32_t seq = (uint32_t)get_hex(p + 21, 8);
  if (sender < (uint32_t)w->o->senders &&
      seq == atomic_load_explicit(&w->sh->slots[sender].seq, memory_order_relaxed)) {
    if (w->deliveries[sender]++ == 0) w->touched[w->ntouched++] = (int)sender;
  }
}

/* Deliveries are counted locally during a batch of events and published once per batch, to
 * keep the shared cache lines quiet; the worker owning a sender is woken when its broadcast
 * has reached every connection. */
static void publish_deliveries(worker_t *w) {
  for (int i = 0; i < w->ntouched; i++) {
    int s = w->touched[i];
    uint32_t d = w->deliveries[s];
    w->deliveries[s] = 0;
    uint32_t before = atomic_fetch_add(&w->sh->slots[s].delivered, d);
    if (before < w->total_connected && before + d >= w->total_connected) {
      int owner = s % w->o->procs;
      if (owner != w->id) {
        uint64_t one = 1;
        if (write(w->sh->efd[owner], &one, sizeof one) < 0 && errno != EAGAIN) perror("loadgen: eventfd");
      }
    }
  }
  w->ntouched = 0;
}

static void check_senders(worker_t *w) {
  int64_t stall_ns = (int64_t)(w->o->stall * 1e9);
  for (int i = 0; i < w->nsenders; i++) {
    conn_t *c = w->senders[i];
    if (c->state != ST_READY || !c->waiting) continue;
    uint32_t d = atomic_load(&w->sh->slots[c->sender].delivered);
    int complete = d >= w->total_connected;
    if (!complete && w->now - c->sent_at < stall_ns) continue;
    if (!complete) w->res->stalls++;
    c->waiting = 0;
    if (w->now < w->t_end) {
      send_broadcast(w, c);
      flush_out(w, c);
    }
  }
}

static void start_load(worker_t *w) {
  for (int i = 0; i < w->nconns; i++) {
    conn_t *c = &w->conns[i];
    if (c->state != ST_READY) continue;
    if (w->o->workload == WL_ECHO) {
      for (int k = 0; k < w->o->inflight; k++) send_payload(w, c, 'E');
    } else if (w->o->workload == WL_BCAST && c->sender >= 0) {
      send_broadcast(w, c);
    }
    flush_out(w, c);
  }
}

static void flush_out(worker_t *w, conn_t *c) {
  while (c->out.off < c->out.len) {
    ssize_t n = tr_write(c, c->out.data + c->out.off, c->out.len - c->out.off);
    if (n > 0) {
      c->out.off += (size_t)n;
    } else if (n == TR_AGAIN) {
      return; /* EPOLLOUT edge comes when there is room */
    } else {
      worker_lost(w, c);
      return;
    }
  }
  c->out.off = c->out.len = 0;
}

static void feed(worker_t *w, conn_t *c, const uint8_t *data, size_t n) {
  if (c->in.len > c->in.off) {
    /* An incomplete frame is carried over: join only in that case. */
    buf_append(&c->in, data, n);
    size_t used = proto_parse(w, c, c->in.data + c->in.off, c->in.len - c->in.off);
    if (c->state == ST_DEAD) return;
    c->in.off += used;
    if (c->in.off == c->in.len) c->in.off = c->in.len = 0;
  } else {
    size_t used = proto_parse(w, c, data, n);
    if (c->state == ST_DEAD) return;
    if (used < n) {
      c->in.off = c->in.len = 0;
      buf_append(&c->in, data + used, n - used);
    }
  }
}

static void read_all(worker_t *w, conn_t *c) {
  for (;;) {
    ssize_t n = tr_read(c, w->rbuf, READ_BUF);
    if (n > 0) {
      feed(w, c, w->rbuf, (size_t)n);
      if (c->state == ST_DEAD) return;
      /* Edge-triggered: a short read drained the socket, so skip the EAGAIN round trip. */
      if ((size_t)n < READ_BUF && tr_short_read_drains()) return;
    } else if (n == TR_AGAIN) {
      return;
    } else {
      worker_lost(w, c);
      return;
    }
  }
}

static void begin_protocol(worker_t *w, conn_t *c) {
  c->state = proto_begin(c);
  if (c->state == ST_HELLO) send_payload(w, c, 'E');
}

/* Edge-triggered: whatever the event says, advance the handshake, read to the end, write what is queued. */
static void handle(worker_t *w, conn_t *c) {
  if (c->state == ST_DEAD) return;
  w->now = mono_ns();
  if (c->state == ST_CONNECTING) {
    if (tr_connected(c) < 0) {
      worker_lost(w, c);
      return;
    }
    if (w->o->transport == TR_TLS) c->state = ST_TLS;
    else begin_protocol(w, c);
  }
  if (c->state == ST_TLS) {
    int r = tr_tls_step(c);
    if (r < 0) worker_lost(w, c);
    if (r <= 0) return;
    begin_protocol(w, c);
  }
  read_all(w, c);
  if (c->state != ST_DEAD) flush_out(w, c);
}

static void finish_connecting(worker_t *w) {
  w->connect_done = 1;
  for (int i = 0; i < w->nconns; i++) {
    conn_t *c = &w->conns[i];
    if (c->state == ST_IDLE) {
      c->state = ST_DEAD;
      w->res->failed++;
    } else if (c->state != ST_READY && c->state != ST_DEAD) {
      worker_lost(w, c);
    }
  }
  atomic_fetch_add(&w->sh->total_connected, w->res->connected);
  atomic_fetch_add(&w->sh->workers_connected, 1);
}

static int timeout_ms(const worker_t *w) {
  if (!w->started) return 1;
  int64_t until = w->now < w->t_measure ? w->t_measure : w->t_end;
  int64_t ms = (until - w->now + 999999) / 1000000;
  return ms < 0 ? 0 : ms > 10 ? 10 : (int)ms;
}

int worker_run(const options_t *o, shared_t *sh, int id) {
  worker_t wk = {0}, *w = &wk;
  w->o = o;
  w->sh = sh;
  w->id = id;
  w->res = &sh->results[id];
  w->ep = epoll_create1(EPOLL_CLOEXEC);
  w->nconns = (o->conns - id + o->procs - 1) / o->procs;
  w->conns = calloc((size_t)w->nconns, sizeof(conn_t));
  w->rbuf = malloc(READ_BUF);
  w->payload = malloc((size_t)o->size);
  w->deliveries = calloc(MAX_SENDERS, sizeof(uint32_t));
  w->touched = calloc(MAX_SENDERS, sizeof(int));
  w->senders = calloc((size_t)w->nconns, sizeof(conn_t *));
  if (w->ep < 0 || !w->conns || !w->rbuf || !w->payload || !w->deliveries || !w->touched || !w->senders) {
    perror("loadgen: worker setup");
    return 1;
  }
  memset(w->payload, 'x', (size_t)o->size);
  if (tr_init(o) < 0) return 1;
  proto_init(o, (uint32_t)(id + 1) * 2654435761u);

  /* Connection i of the whole run belongs to worker i % procs; the first --senders broadcast. */
  for (int i = 0; i < w->nconns; i++) {
    conn_t *c = &w->conns[i];
    c->fd = -1;
    c->index = i * o->procs + id;
    c->sender = o->workload == WL_BCAST && c->index < o->senders ? c->index : -1;
    if (c->sender >= 0) w->senders[w->nsenders++] = c;
  }
  struct epoll_event wake = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(w->ep, EPOLL_CTL_ADD, sh->efd[id], &wake);

  struct epoll_event events[MAX_EVENTS];
  w->now = mono_ns();
  w->connect_deadline = w->now + (int64_t)(o->connect_timeout * 1e9);
  open_more(w);
  for (;;) {
    w->now = mono_ns();
    if (!w->connect_done) {
      open_more(w);
      if ((w->next_open == w->nconns && w->pending == 0) || w->now >= w->connect_deadline) finish_connecting(w);
    }
    if (!w->started && atomic_load(&sh->t_start) != 0) {
      w->t_measure = sh->t_measure;
      w->t_end = sh->t_end;
      w->total_connected = (uint32_t)atomic_load(&sh->total_connected);
      w->started = 1;
      start_load(w);
    }
    if (w->started) {
      if (!w->measuring && w->now >= w->t_measure) {
        w->measuring = 1;
        w->cpu_at_measure = proc_cpu_seconds(getpid());
      }
      if (o->workload == WL_IDLE) w->t_end = atomic_load(&sh->t_end); /* may end early */
      if (w->now >= w->t_end) break;
    }
    int n = epoll_wait(w->ep, events, MAX_EVENTS, timeout_ms(w));
    if (n < 0 && errno != EINTR) {
      perror("loadgen: epoll_wait");
      return 1;
    }
    w->now = mono_ns();
    for (int i = 0; i < n; i++) {
      conn_t *c = events[i].data.ptr;
      if (c) {
        handle(w, c);
      } else {
        uint64_t v;
        if (read(sh->efd[id], &v, sizeof v) < 0 && errno != EAGAIN) perror("loadgen: eventfd");
      }
    }
    publish_deliveries(w);
    if (w->started && o->workload == WL_BCAST) check_senders(w);
  }
  w->res->cpu_s = w->measuring ? proc_cpu_seconds(getpid()) - w->cpu_at_measure : 0;
  return 0;
}
