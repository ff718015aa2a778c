// Switchboard's optional native accelerator (issue 11, DESIGN.md "Performance direction").
//
// sendEach: one call writes a whole turn's output: for each (socket fd, Buffer) pair, one non-blocking
// send. Node spends about 2 us of JavaScript per socket.write (stream state, write request,
// libuv bookkeeping); here the turn costs one call into C plus the sends themselves, and on Linux
// the sends of a turn enter the kernel once, through io_uring (the send ring, below), instead of
// once each.
//
// The caller (src/transport/native-writer.ts) only hands over sockets whose Node write queue is
// empty, so these bytes cannot overtake any queued by Node. What send(2) does not take (a partial
// write, EAGAIN, an error) is reported per pair, and the caller writes the rest through the socket
// as usual, so that Node's own buffering, backpressure and error events take over from there.
//
// unmask: XORs a received WebSocket payload with its masking key in place (RFC 6455 §5.3), eight
// bytes a step (vectorised by the compiler), as `ws` does with `bufferutil`. In JavaScript the
// same costs a typed-array view per payload and a word loop (src/transport/websocket/mask.ts).
//
// reader* (Linux): reads of many plain sockets, one call into JavaScript per batch. Node calls
// into JavaScript once per read of each socket (its C++ callback machinery, then onStreamRead,
// about 0.5 us a read: with 100 connections each echoing one small message at a time, a third of
// the server's user time). Here the sockets handed over (src/transport/native-reader.ts) sit in an
// epoll set of our own, itself watched by one uv_poll_t on Node's loop; when it is readable, every
// ready socket is read with recv(2) straight into the JavaScript slab of received bytes, and
// JavaScript is called once with the list (id, offset, length). Anything but data (the peer's
// FIN, an error, a hang-up) is not read: the socket is taken out of the set and reported with a
// length of -1, and JavaScript hands it back to Node's own reading, which then sees it as usual.
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/epoll.h>
#include <uv.h>
#if __has_include(<linux/io_uring.h>) && !defined(SWITCHBOARD_NO_IO_URING)  // the latter: to build the path without
#include <linux/io_uring.h>
#ifdef IORING_FEAT_CUR_PERSONALITY  // headers of Linux 5.6 or later, which has IORING_OP_SEND
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#define HAVE_SEND_RING 1
#ifndef IORING_SETUP_SUBMIT_ALL
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#endif
#endif
#endif
#endif

typedef struct reader reader_t;
typedef struct send_ring send_ring_t;

// What the addon keeps per env (the main thread and each worker thread have their own): the
// native reader once opened, the send ring once tried.
typedef struct {
  reader_t *reader;
  send_ring_t *ring;
  int ring_tried;
} addon_state_t;

static addon_state_t *addon_state(napi_env env) {
  addon_state_t *state = NULL;
  napi_get_instance_data(env, (void **)&state);
  return state;
}

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, "ERR_NATIVE_WRITE", "bad arguments to sendEach"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

// A sendEach result the send ring has not written (a send it never made).
#define RING_NOT_SENT INT32_MIN

// One non-blocking send(2): the bytes the kernel took, or -errno.
static int32_t send_one(int fd, const void *data, size_t length) {
  if (length == 0) return 0;
  ssize_t n;
  do {
    n = send(fd, data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  return n < 0 ? -errno : (int32_t)n;
}

#ifdef HAVE_SEND_RING
// ---- send ring (Linux io_uring) -----------------------------------------------------------
//
// A turn's sends in one kernel entry: each is queued as an IORING_OP_SEND and one io_uring_enter
// runs them all, in order, in this thread, before it returns. A send(2) per socket costs its own
// entry into the kernel and its way out; measured on loopback with 32-byte sends to 64 sockets,
// the batch takes 15% less CPU per send (3.4 against 4.0 us, including the receiving side's
// processing that loopback runs in the sender), and the echo and broadcast cells send little else.
//
// Every send carries MSG_DONTWAIT, so a full socket completes at once with -EAGAIN (the kernel
// marks such a request no-wait and never parks it to retry later): no send is ever left running
// after the call, whose Buffers JavaScript may then free or reuse. If one still were, the ring is
// given up (ring_send_queued) after cancelling and reaping it.
//
// By hand rather than with liburing: liburing is a system library that an npm install cannot count
// on, and these few calls (setup, two mmaps, enter) are the kernel's stable ABI.
// SWITCHBOARD_IO_URING=0 in the environment keeps send(2) (for comparison, or a kernel that
// misbehaves); where io_uring is missing or forbidden (old kernels, seccomp), send(2) is used.

#define RING_ENTRIES 256u
// A single send goes out through send(2): one syscall either way, and send(2) has less to set up.
#define RING_MIN_BATCH 2u

struct send_ring {
  int fd;
  unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
  unsigned *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
  void *sq_map, *cq_map, *sqe_map;
  size_t sq_size, cq_size, sqe_size;
  unsigned queued;  // sends written to the submission ring, not yet entered
  int send_flags;   // MSG_NOSIGNAL | MSG_DONTWAIT, but for the test of the cancel path (ring_open)
};

static void ring_free(send_ring_t *ring) {
  if (ring->sqe_map != NULL && ring->sqe_map != MAP_FAILED) munmap(ring->sqe_map, ring->sqe_size);
  if (ring->cq_map != NULL && ring->cq_map != MAP_FAILED && ring->cq_map != ring->sq_map) munmap(ring->cq_map, ring->cq_size);
  if (ring->sq_map != NULL && ring->sq_map != MAP_FAILED) munmap(ring->sq_map, ring->sq_size);
  if (ring->fd >= 0) close(ring->fd);
  free(ring);
}

static int ring_enter(int fd, unsigned submit, unsigned wait, unsigned flags) {
  int r;
  do {
    r = (int)syscall(__NR_io_uring_enter, fd, submit, wait, flags, NULL, 0);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

static send_ring_t *ring_open(void) {
  const char *choice = getenv("SWITCHBOARD_IO_URING");
  if (choice != NULL && strcmp(choice, "0") == 0) return NULL;
  struct io_uring_params params;
  // SUBMIT_ALL: a send that fails to start still lets the rest go (5.18); then without flags.
  static const unsigned flag_sets[] = {IORING_SETUP_SUBMIT_ALL, 0};
  int fd = -1;
  for (size_t i = 0; i < sizeof flag_sets / sizeof flag_sets[0] && fd < 0; i++) {
    memset(&params, 0, sizeof params);
    params.flags = flag_sets[i];
    fd = (int)syscall(__NR_io_uring_setup, RING_ENTRIES, &params);
  }
  if (fd < 0) return NULL;
  send_ring_t *ring = (send_ring_t *)calloc(1, sizeof(send_ring_t));
  if (ring == NULL) { close(fd); return NULL; }
  ring->fd = fd;
  // For test/native/send-ring.test.ts only: sends without MSG_DONTWAIT, so that the kernel parks
  // a full socket's send and the cancel path of ring_send_queued runs for real.
  const int parked_test = choice != NULL && strcmp(choice, "test-parked-sends") == 0;
  ring->send_flags = parked_test ? MSG_NOSIGNAL : MSG_NOSIGNAL | MSG_DONTWAIT;
  ring->sq_size = params.sq_off.array + params.sq_entries * sizeof(unsigned);
  ring->cq_size = params.cq_off.cqes + params.cq_entries * sizeof(struct io_uring_cqe);
  const int single = (params.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single && ring->cq_size > ring->sq_size) ring->sq_size = ring->cq_size;
  ring->sq_map = mmap(NULL, ring->sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  ring->cq_map = single ? ring->sq_map : mmap(NULL, ring->cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
  ring->sqe_size = params.sq_entries * sizeof(struct io_uring_sqe);
  ring->sqe_map = mmap(NULL, ring->sqe_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (ring->sq_map == MAP_FAILED || ring->cq_map == MAP_FAILED || ring->sqe_map == MAP_FAILED || params.sq_entries < RING_ENTRIES ||
      params.cq_entries < RING_ENTRIES) {
    ring_free(ring);
    return NULL;
  }
  uint8_t *sq = (uint8_t *)ring->sq_map, *cq = (uint8_t *)ring->cq_map;
  ring->sq_head = (unsigned *)(sq + params.sq_off.head);
  ring->sq_tail = (unsigned *)(sq + params.sq_off.tail);
  ring->sq_mask = (unsigned *)(sq + params.sq_off.ring_mask);
  ring->sq_array = (unsigned *)(sq + params.sq_off.array);
  ring->cq_head = (unsigned *)(cq + params.cq_off.head);
  ring->cq_tail = (unsigned *)(cq + params.cq_off.tail);
  ring->cq_mask = (unsigned *)(cq + params.cq_off.ring_mask);
  ring->cqes = (struct io_uring_cqe *)(cq + params.cq_off.cqes);
  ring->sqes = (struct io_uring_sqe *)ring->sqe_map;
  return ring;
}

static send_ring_t *send_ring_of(napi_env env) {
  addon_state_t *state = addon_state(env);
  if (state == NULL) return NULL;
  if (!state->ring_tried) {
    state->ring_tried = 1;
    state->ring = ring_open();
  }
  return state->ring;
}

static void ring_close(napi_env env) {
  addon_state_t *state = addon_state(env);
  if (state == NULL || state->ring == NULL) return;
  ring_free(state->ring);
  state->ring = NULL;
}

// Writes a send into the submission ring (not yet given to the kernel). Room is certain: the
// caller queues at most RING_ENTRIES between two ring_send_queued.
static void ring_queue_send(send_ring_t *ring, int fd, const void *data, size_t length, uint32_t index) {
  const unsigned tail = *ring->sq_tail + ring->queued;
  const unsigned slot = tail & *ring->sq_mask;
  struct io_uring_sqe *sqe = &ring->sqes[slot];
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = IORING_OP_SEND;
  sqe->fd = fd;
  sqe->addr = (uint64_t)(uintptr_t)data;
  sqe->len = (uint32_t)length;
  sqe->msg_flags = (uint32_t)ring->send_flags;
  sqe->user_data = index;
  ring->sq_array[slot] = slot;
  ring->queued++;
}

// Reaps completions into result[user_data]; returns how many sends completed (a cancel's own
// completion, user_data UINT64_MAX, is not one).
static unsigned ring_reap(send_ring_t *ring, int32_t *result) {
  unsigned head = *ring->cq_head, seen = 0;
  const unsigned tail = atomic_load_explicit((_Atomic unsigned *)ring->cq_tail, memory_order_acquire);
  for (; head != tail; head++) {
    const struct io_uring_cqe *cqe = &ring->cqes[head & *ring->cq_mask];
    if (cqe->user_data == UINT64_MAX) continue;
    result[cqe->user_data] = cqe->res;
    seen++;
  }
  atomic_store_explicit((_Atomic unsigned *)ring->cq_head, head, memory_order_release);
  return seen;
}

// Sends what is queued; every queued send's result is written (bytes taken or -errno), the
// others' left at RING_NOT_SENT. 0 if the ring failed: the caller sends the rest with send(2).
static int ring_send_queued(send_ring_t *ring, int32_t *result) {
  const unsigned queued = ring->queued;
  ring->queued = 0;
  if (queued == 0) return 1;
  const unsigned first = *ring->sq_tail;
  for (unsigned i = 0; i < queued; i++) result[ring->sqes[(first + i) & *ring->sq_mask].user_data] = RING_NOT_SENT;
  atomic_store_explicit((_Atomic unsigned *)ring->sq_tail, first + queued, memory_order_release);
  unsigned submitted = 0, completed = 0;
  while (submitted < queued) {
    const int r = ring_enter(ring->fd, queued - submitted, 0, 0);
    if (r <= 0) break;
    submitted += (unsigned)r;
  }
  completed += ring_reap(ring, result);
  if (submitted < queued) {
    // Not taken by the kernel (a ring-wide error such as -EBUSY): withdrawn, never to be
    // submitted later with Buffers that may be gone by then.
    atomic_store_explicit((_Atomic unsigned *)ring->sq_tail, *ring->sq_head, memory_order_release);
  }
  if (completed < submitted) {
    // A send left running (not expected with MSG_DONTWAIT): each is cancelled by its user_data
    // (a cancel every kernel with IORING_OP_SEND has), then the completions are waited for, so
    // that none touches its Buffer after this call. The running ones are listed first: their
    // submission slots may be written over by the cancels.
    uint64_t running[RING_ENTRIES];
    unsigned count = 0;
    for (unsigned i = 0; i < submitted; i++) {
      const uint64_t index = ring->sqes[(first + i) & *ring->sq_mask].user_data;
      if (result[index] == RING_NOT_SENT) running[count++] = index;
    }
    const unsigned tail = *ring->sq_tail;
    for (unsigned i = 0; i < count; i++) {
      const unsigned slot = (tail + i) & *ring->sq_mask;
      struct io_uring_sqe *sqe = &ring->sqes[slot];
      memset(sqe, 0, sizeof *sqe);
      sqe->opcode = IORING_OP_ASYNC_CANCEL;
      sqe->addr = running[i];
      sqe->user_data = UINT64_MAX;
      ring->sq_array[slot] = slot;
    }
    atomic_store_explicit((_Atomic unsigned *)ring->sq_tail, tail + count, memory_order_release);
    ring_enter(ring->fd, count, 0, 0);
    while (completed < submitted) {
      if (ring_enter(ring->fd, 0, 1, IORING_ENTER_GETEVENTS) < 0) break;
      completed += ring_reap(ring, result);
    }
    return 0;
  }
  return submitted == queued;
}
#endif

// The Buffer at `index` of a JavaScript array: its bytes and length.
static napi_status buffer_at(napi_env env, napi_value array, uint32_t index, void **data, size_t *length) {
  napi_value element;
  napi_status status = napi_get_element(env, array, index, &element);
  return status != napi_ok ? status : napi_get_buffer_info(env, element, data, length);
}

// sendEach(fds: Int32Array, buffers: Buffer[], count: number, result: Int32Array): void
// result[i] = bytes taken by the kernel (may be fewer than the Buffer's), or -errno.
static napi_value SendEach(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4) {
    napi_throw_error(env, "ERR_NATIVE_WRITE", "sendEach needs 4 arguments");
    return NULL;
  }
  napi_typedarray_type type;
  size_t fd_count, result_count;
  void *fd_data, *result_data;
  CHECK(napi_get_typedarray_info(env, argv[0], &type, &fd_count, &fd_data, NULL, NULL));
  if (type != napi_int32_array) { napi_throw_type_error(env, "ERR_NATIVE_WRITE", "fds must be an Int32Array"); return NULL; }
  CHECK(napi_get_typedarray_info(env, argv[3], &type, &result_count, &result_data, NULL, NULL));
  if (type != napi_int32_array) { napi_throw_type_error(env, "ERR_NATIVE_WRITE", "result must be an Int32Array"); return NULL; }
  uint32_t count;
  CHECK(napi_get_value_uint32(env, argv[2], &count));
  if (count > fd_count || count > result_count) {
    napi_throw_range_error(env, "ERR_NATIVE_WRITE", "count exceeds the arrays");
    return NULL;
  }
  const int32_t *fds = (const int32_t *)fd_data;
  int32_t *result = (int32_t *)result_data;
  // Pairs from `from` on are sent with send(2) below; of those before `reported`, only the ones
  // the ring left at RING_NOT_SENT.
  uint32_t from = 0, reported = 0;
#ifdef HAVE_SEND_RING
  send_ring_t *ring = count >= RING_MIN_BATCH ? send_ring_of(env) : NULL;
  if (ring != NULL) {
    // In chunks of the ring's size: each chunk's Buffers are looked up, queued and sent in one
    // io_uring_enter, and every one of its sends has completed when the call returns.
    from = count;
    for (uint32_t start = 0; start < count; start += RING_ENTRIES) {
      const uint32_t end = count - start < RING_ENTRIES ? count : start + RING_ENTRIES;
      for (uint32_t i = start; i < end; i++) {
        void *data;
        size_t length;
        CHECK(buffer_at(env, argv[1], i, &data, &length));
        ring_queue_send(ring, fds[i], data, length, i);
      }
      if (!ring_send_queued(ring, result)) {
        // The ring failed as a whole (not a send: those report their own errors): this env goes
        // back to send(2) for good, from the first send the ring did not report.
        ring_close(env);
        from = start;
        reported = end;
        break;
      }
    }
  }
#endif
  for (uint32_t i = from; i < count; i++) {
    if (i < reported && result[i] != RING_NOT_SENT) continue;
    void *data;
    size_t length;
    CHECK(buffer_at(env, argv[1], i, &data, &length));
    result[i] = send_one(fds[i], data, length);
  }
  return NULL;
}

// sendPath(): 'io_uring' | 'send': how sendEach sends batches in this env (the ring is tried here
// if it was not yet).
static napi_value SendPath(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value path;
#ifdef HAVE_SEND_RING
  const char *name = send_ring_of(env) != NULL ? "io_uring" : "send";
#else
  const char *name = "send";
#endif
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &path);
  return path;
}

// unmask(data: Buffer, key: number): void; key = the 4 key bytes as a big-endian 32-bit number.
static napi_value Unmask(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_error(env, "ERR_NATIVE_MASK", "unmask needs a Buffer and a key");
    return NULL;
  }
  void *data;
  size_t length;
  uint32_t key;
  if (napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok || napi_get_value_uint32(env, argv[1], &key) != napi_ok) {
    napi_throw_type_error(env, "ERR_NATIVE_MASK", "unmask needs a Buffer and a key");
    return NULL;
  }
  uint8_t *bytes = (uint8_t *)data;
  const uint8_t k[4] = {(uint8_t)(key >> 24), (uint8_t)(key >> 16), (uint8_t)(key >> 8), (uint8_t)key};
  // 32 bytes a step as two 16-byte vectors (GCC and Clang vector extensions: SSE2 on x86-64,
  // NEON on arm64), then 8 bytes a step; memcpy for unaligned loads and stores.
  typedef uint64_t pair __attribute__((vector_size(16)));
  uint8_t pattern[8] = {k[0], k[1], k[2], k[3], k[0], k[1], k[2], k[3]};
  uint64_t word;
  memcpy(&word, pattern, 8);
  pair words = {word, word};
  size_t i = 0;
  for (; i + 32 <= length; i += 32) {
    pair a, b;
    memcpy(&a, bytes + i, 16);
    memcpy(&b, bytes + i + 16, 16);
    a ^= words;
    b ^= words;
    memcpy(bytes + i, &a, 16);
    memcpy(bytes + i + 16, &b, 16);
  }
  for (; i + 8 <= length; i += 8) {
    uint64_t chunk;
    memcpy(&chunk, bytes + i, 8);
    chunk ^= word;
    memcpy(bytes + i, &chunk, 8);
  }
  for (; i < length; i++) bytes[i] ^= k[i & 3];
  return NULL;
}

#ifdef __linux__
// ---- reader -------------------------------------------------------------------------------

#define READER_EVENTS 256
// A read takes at most this much of the slab; the rest of the socket's bytes wait for the next round.
#define READ_MAX (64 * 1024)
// Below this much room left in the slab, reading stops until JavaScript gives a new one.
#define MIN_ROOM 2048

struct reader {
  napi_env env;
  int epfd;
  uv_poll_t poll;
  int polling;
  napi_ref on_batch;
  napi_async_context async;
  napi_ref entries_ref;  // Int32Array: (id, offset, length) per entry
  int32_t *entries;
  uint32_t capacity;     // entries it holds
  napi_ref state_ref;    // Int32Array: [0] slab bytes used (both sides), [1] slab length
  int32_t *state;
  napi_ref slab_ref;
  uint8_t *slab;
  // Sockets in the set. Node's handle of a socket it does not read is inactive and does not keep
  // the loop alive, so the watcher does while any socket is in the set.
  uint32_t watched;
};

static void reader_count(reader_t *r, int delta) {
  if (delta > 0 && r->watched++ == 0) uv_ref((uv_handle_t *)&r->poll);
  if (delta < 0 && r->watched > 0 && --r->watched == 0) uv_unref((uv_handle_t *)&r->poll);
}

static void reader_call(reader_t *r, uint32_t count) {
  napi_env env = r->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, arg, result;
  if (napi_get_reference_value(env, r->on_batch, &fn) == napi_ok && napi_get_global(env, &recv) == napi_ok &&
      napi_create_uint32(env, count, &arg) == napi_ok) {
    // make_callback: nextTicks and microtasks run after it, as after any callback from Node's loop.
    if (napi_make_callback(env, r->async, recv, fn, 1, &arg, &result) == napi_pending_exception) {
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
}

// Takes a socket out of the set and writes its entry as given back (-1): Node reads it from now.
static void reader_give_up(reader_t *r, int32_t id, int fd, int32_t *entry) {
  if (epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL) == 0) reader_count(r, -1);
  entry[0] = id; entry[1] = 0; entry[2] = -1;
}

// Reads every ready socket into the slab and hands the list to JavaScript. A slab that fills
// ends a round, not the turn: once JavaScript has given a new one, the set is asked again (a
// fresh epoll_wait, never the rest of the old list, whose sockets a listener may have closed
// meanwhile, their fd numbers free for reuse) and the sockets not read yet are read in the same
// turn. Cut after one slab, a 1 KiB echo on 100 connections read a third of them per turn and
// ran three turns of loop overhead where uWebSockets.js runs one.
static void reader_on_poll(uv_poll_t *handle, int status, int events) {
  reader_t *r = (reader_t *)handle->data;
  (void)status;
  (void)events;
  struct epoll_event ready[READER_EVENTS];
  int budget = READER_EVENTS;  // sockets read this turn, at most: a flood must not hold the loop
  while (budget > 0 && r->slab != NULL) {
    int n = epoll_wait(r->epfd, ready, budget, 0);
    if (n <= 0) return;
    uint32_t count = 0;
    int full = 0;
    int32_t used = r->state[0];
    const int32_t length = r->state[1];
    for (int i = 0; i < n && count < r->capacity; i++) {
      const int32_t id = (int32_t)(ready[i].data.u64 >> 32);
      const int fd = (int)(uint32_t)ready[i].data.u64;
      int32_t *entry = r->entries + 3 * count;
      if (ready[i].events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
        reader_give_up(r, id, fd, entry);
        count++;
        continue;
      }
      const int32_t room = length - used;
      if (room < MIN_ROOM) {  // level-triggered: the rest are reported again
        full = 1;
        break;
      }
      ssize_t got;
      do {
        got = recv(fd, r->slab + used, room < READ_MAX ? (size_t)room : READ_MAX, MSG_DONTWAIT);
      } while (got < 0 && errno == EINTR);
      if (got > 0) {
        entry[0] = id; entry[1] = used; entry[2] = (int32_t)got;
        used += (int32_t)got;
        count++;
      } else if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
        // The end or an error after all (no event said so yet): Node's read will meet it again.
        reader_give_up(r, id, fd, entry);
        count++;
      }
    }
    r->state[0] = used;
    budget -= (int)count;
    if (count > 0) reader_call(r, count);
    // Another round only where this one stopped for room and JavaScript has given a new slab.
    if (!full || r->state[1] - r->state[0] < MIN_ROOM) return;
  }
}

static reader_t *reader_of(napi_env env) {
  addon_state_t *state = addon_state(env);
  return state == NULL ? NULL : state->reader;
}

static void reader_close_fd(uv_handle_t *handle) {
  reader_t *r = (reader_t *)handle->data;
  close(r->epfd);
  free(r);
}

static void reader_cleanup(void *data) {
  reader_t *r = (reader_t *)data;
  addon_state_t *state = addon_state(r->env);
  if (state != NULL) state->reader = NULL;
  if (r->polling) {
    uv_poll_stop(&r->poll);
    uv_close((uv_handle_t *)&r->poll, reader_close_fd);
  } else {
    close(r->epfd);
    free(r);
  }
}

static int typed_int32(napi_env env, napi_value value, int32_t **data, size_t *length) {
  napi_typedarray_type type;
  void *raw;
  if (napi_get_typedarray_info(env, value, &type, length, &raw, NULL, NULL) != napi_ok || type != napi_int32_array) return 0;
  *data = (int32_t *)raw;
  return 1;
}

// readerOpen(onBatch(count), entries: Int32Array, state: Int32Array): boolean
static napi_value ReaderOpen(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], yes, no;
  napi_get_boolean(env, 1, &yes);
  napi_get_boolean(env, 0, &no);
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || reader_of(env) != NULL) return no;
  int32_t *entries, *state;
  size_t entries_length, state_length;
  if (!typed_int32(env, argv[1], &entries, &entries_length) || !typed_int32(env, argv[2], &state, &state_length) || state_length < 2 || entries_length < 3) return no;
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return no;
  reader_t *r = (reader_t *)calloc(1, sizeof(reader_t));
  if (r == NULL) return no;
  r->env = env;
  r->epfd = epoll_create1(EPOLL_CLOEXEC);
  if (r->epfd < 0) { free(r); return no; }
  r->entries = entries;
  r->capacity = (uint32_t)(entries_length / 3);
  r->state = state;
  napi_value name, resource;
  napi_create_string_utf8(env, "switchboard.read", NAPI_AUTO_LENGTH, &name);
  napi_create_object(env, &resource);
  if (napi_create_reference(env, argv[0], 1, &r->on_batch) != napi_ok || napi_create_reference(env, argv[1], 1, &r->entries_ref) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &r->state_ref) != napi_ok || napi_async_init(env, resource, name, &r->async) != napi_ok ||
      uv_poll_init(loop, &r->poll, r->epfd) != 0) {
    close(r->epfd);
    free(r);
    return no;
  }
  r->poll.data = r;
  uv_poll_start(&r->poll, UV_READABLE, reader_on_poll);
  uv_unref((uv_handle_t *)&r->poll);  // until a socket is in the set (reader_count)
  r->polling = 1;
  addon_state(env)->reader = r;
  napi_add_env_cleanup_hook(env, reader_cleanup, r);
  return yes;
}

// readerSlab(slab: Buffer): the memory reads land in, from state[0] to state[1] (its length).
static napi_value ReaderSlab(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  reader_t *r = reader_of(env);
  void *data;
  size_t length;
  if (r == NULL || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_buffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, "ERR_NATIVE_READ", "readerSlab needs an open reader and a Buffer");
    return NULL;
  }
  if (r->slab_ref != NULL) napi_delete_reference(env, r->slab_ref);
  napi_create_reference(env, argv[0], 1, &r->slab_ref);
  r->slab = (uint8_t *)data;
  r->state[0] = 0;
  r->state[1] = (int32_t)length;
  return NULL;
}

// readerWatch(id, fd, on): boolean. on: read the socket from now (epoll ADD), off: stop (DEL);
// fd -1 with off: a socket of the set was closed (its fd left the set with it): counted out.
static napi_value ReaderWatch(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  reader_t *r = reader_of(env);
  int32_t id, fd;
  bool on;
  if (r == NULL || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || napi_get_value_int32(env, argv[0], &id) != napi_ok ||
      napi_get_value_int32(env, argv[1], &fd) != napi_ok || napi_get_value_bool(env, argv[2], &on) != napi_ok || (fd < 0 && on)) {
    napi_get_boolean(env, 0, &result);
    return result;
  }
  int ok;
  if (fd < 0) {
    reader_count(r, -1);
    ok = 1;
  } else if (on) {
    struct epoll_event event;
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.u64 = ((uint64_t)(uint32_t)id << 32) | (uint32_t)fd;
    ok = epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &event) == 0;
    if (ok) reader_count(r, 1);
  } else {
    ok = epoll_ctl(r->epfd, EPOLL_CTL_DEL, fd, NULL) == 0;
    if (ok) reader_count(r, -1);
  }
  napi_get_boolean(env, ok, &result);
  return result;
}
#endif

static void addon_state_free(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  addon_state_t *state = (addon_state_t *)data;
#ifdef HAVE_SEND_RING
  if (state->ring != NULL) ring_free(state->ring);
#endif
  free(state);  // the reader, if any, was freed by its own cleanup hook
}

NAPI_MODULE_INIT() {
  napi_value fn;
  addon_state_t *state = (addon_state_t *)calloc(1, sizeof(addon_state_t));
  if (state == NULL || napi_set_instance_data(env, state, addon_state_free, NULL) != napi_ok) {
    free(state);
    return NULL;
  }
  if (napi_create_function(env, "sendEach", NAPI_AUTO_LENGTH, SendEach, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "sendEach", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "sendPath", NAPI_AUTO_LENGTH, SendPath, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "sendPath", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "unmask", NAPI_AUTO_LENGTH, Unmask, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "unmask", fn) != napi_ok) return NULL;
#ifdef __linux__
  if (napi_create_function(env, "readerOpen", NAPI_AUTO_LENGTH, ReaderOpen, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "readerOpen", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "readerSlab", NAPI_AUTO_LENGTH, ReaderSlab, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "readerSlab", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "readerWatch", NAPI_AUTO_LENGTH, ReaderWatch, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "readerWatch", fn) != napi_ok) return NULL;
#endif
  return exports;
}
