// Switchboard's optional native accelerator (issue 11, DESIGN.md "Performance direction").
//
// One call writes a whole turn's output: for each (socket fd, Buffer) pair, one non-blocking
// send(2). Node spends about 2 us of JavaScript per socket.write (stream state, write request,
// libuv bookkeeping); here the turn costs one call into C plus the syscalls themselves.
//
// The caller (src/transport/native-writer.ts) only hands over sockets whose Node write queue is
// empty, so these bytes cannot overtake any queued by Node. What send(2) does not take (a partial
// write, EAGAIN, an error) is reported per pair, and the caller writes the rest through the socket
// as usual, so that Node's own buffering, backpressure and error events take over from there.
#define NAPI_VERSION 8
#include <node_api.h>
#include <errno.h>
#include <stdint.h>
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

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "sendEach", NAPI_AUTO_LENGTH, SendEach, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "sendEach", fn) != napi_ok) return NULL;
  return exports;
}
