// Switchboard's optional native accelerator (issue 11, DESIGN.md "Performance direction").
//
// sendEach: one call writes a whole turn's output: for each (socket fd, Buffer) pair, one non-blocking
// send(2). Node spends about 2 us of JavaScript per socket.write (stream state, write request,
// libuv bookkeeping); here the turn costs one call into C plus the syscalls themselves.
//
// The caller (src/transport/native-writer.ts) only hands over sockets whose Node write queue is
// empty, so these bytes cannot overtake any queued by Node. What send(2) does not take (a partial
// write, EAGAIN, an error) is reported per pair, and the caller writes the rest through the socket
// as usual, so that Node's own buffering, backpressure and error events take over from there.
//
// unmask: XORs a received WebSocket payload with its masking key in place (RFC 6455 §5.3), eight
// bytes a step (vectorised by the compiler), as `ws` does with `bufferutil`. In JavaScript the
// same costs a typed-array view per payload and a word loop (src/transport/websocket/mask.ts).
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

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
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    void *data;
    size_t length;
    CHECK(napi_get_element(env, argv[1], i, &element));
    CHECK(napi_get_buffer_info(env, element, &data, &length));
    if (length == 0) { result[i] = 0; continue; }
    ssize_t n;
    do {
      n = send(fds[i], data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    result[i] = n < 0 ? -errno : (int32_t)n;
  }
  return NULL;
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

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "sendEach", NAPI_AUTO_LENGTH, SendEach, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "sendEach", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "unmask", NAPI_AUTO_LENGTH, Unmask, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "unmask", fn) != napi_ok) return NULL;
  return exports;
}
