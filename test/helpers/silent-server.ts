import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { Client, ManualClock } from '../../src/index.js';
import type { After } from './cleanup.js';
import { tick, until } from './wait.js';

/**
 * A TCP server that accepts and never says a word: a TLS handshake or a WebSocket upgrade to it
 * never completes, so only a connect timeout ends the attempt. It reads (and drops) what it gets,
 * so that it sees the client close. Closed after the test.
 */
export async function silentServer(t: After): Promise<{ port: number; readonly accepted: number; readonly closed: number }> {
  const sockets: Socket[] = [];
  const state = { port: 0, accepted: 0, closed: 0 };
  const server = createServer((socket) => {
    sockets.push(socket);
    state.accepted++;
    socket.on('error', () => undefined);
    socket.on('close', () => state.closed++);
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  state.port = (server.address() as { port: number }).port;
  return state;
}

/**
 * Connects `client` (built with `clock` and `connectTimeout: timeout`) to a silent server and
 * checks that the attempt is pending 1 ms before the deadline and fails with ETIMEDOUT at it.
 */
export async function expectConnectTimeout(client: Client, clock: ManualClock, timeout: number, silent: { readonly accepted: number }): Promise<void> {
  let settled = false;
  const connecting = client.connect().finally(() => (settled = true));
  connecting.catch(() => undefined);
  await until(() => silent.accepted === 1, 2000, 'the attempt to reach the server');
  clock.advance(timeout - 1);
  await tick();
  assert.equal(settled, false, 'still within connectTimeout');
  clock.advance(1);
  await assert.rejects(connecting, { code: 'ERR_CONNECT_FAILED', osCode: 'ETIMEDOUT' });
}
