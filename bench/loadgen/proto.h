/* The wire protocols a bench server speaks:
 *   len  4-byte big-endian length, then the payload (TCP, TLS, Unix)
 *   ws   WebSocket text frames on path "/", masked as a client must
 *   eio  socket.io: Engine.IO v4 over WebSocket, events 42["echo",".."] and 42["bcast",".."]
 */
#ifndef LOADGEN_PROTO_H
#define LOADGEN_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "options.h"
#include "worker.h"

void proto_init(const options_t *o, uint32_t seed);
/* Once the byte stream is up: queues any handshake, returns the state to wait in (ST_HELLO:
 * the caller sends one echo message and waits for it). */
conn_state_t proto_begin(conn_t *c);
/* Queues one message carrying the payload; a payload starting with 'B' is a broadcast. */
void proto_send(conn_t *c, const uint8_t *payload, size_t n);
/* Consumes whole frames from data, calling back into the worker; returns bytes consumed.
 * Stops early if the connection died in a callback. */
size_t proto_parse(worker_t *w, conn_t *c, const uint8_t *data, size_t len);

#endif
