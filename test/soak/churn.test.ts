import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { it } from 'node:test';
import { Registry } from '../../src/index.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { tcpServer } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';

const activeHandles = (): number => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;

// RELIABILITY 34, bounded: steady churn must leave nothing behind. Counts, not timings.
it('churn of hundreds of connections leaves handles, listeners and registry entries flat', async (t) => {
  const { server, port } = await tcpServer({ heartbeat: { timeout: 60_000, interval: 10_000 } }, t);
  const registry = new Registry(server);
  server.on('establish', ({ connection }) => {
    void registry.join(connection, ['all', `room-${Number.parseInt(connection.id, 36) % 7}`]);
    void registry.bind(connection, `user-${Number.parseInt(connection.id, 36) % 50}`);
  });
  server.on('message', ({ connection, message }) => connection.send(message));
  const serverListeners = (): number => server.eventNames().reduce((n, name) => n + server.listenerCount(name), 0);

  async function round(count: number): Promise<void> {
    const sockets: Socket[] = [];
    let echoed = 0;
    for (let i = 0; i < count; i++) {
      const socket = connect(port, '127.0.0.1');
      socket.on('data', () => echoed++);
      socket.on('error', () => undefined);
      socket.write(RawPeer.frame(`hello ${i}`));
      sockets.push(socket);
    }
    await until(() => echoed >= count, 10_000, 'echoes');
    for (const socket of sockets) socket.destroy();
    await until(() => server.connectionCount === 0, 10_000, 'connections to close');
  }

  await round(200); // warm up: lazily created handles, JIT
  const baseline = { handles: activeHandles(), listeners: serverListeners() };
  for (let i = 0; i < 10; i++) await round(200);
  await until(() => activeHandles() <= baseline.handles, 5000, 'handles to settle');
  assert.equal(serverListeners(), baseline.listeners, 'no listener left behind on the server');
  assert.equal(await registry.connectionCount(), 0);
  assert.deepEqual(await registry.groups(), [], 'no empty groups left behind');
  assert.equal(await registry.flagExists('user-1'), false);
  await server.stop();
});
