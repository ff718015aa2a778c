import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { it } from 'node:test';
import { RawPeer } from '../helpers/raw-peer.js';
import { tcpServer } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';

// RELIABILITY 32: 5,000 clients (re)connecting at once; the server accepts them all and keeps
// answering a client that was there before. No timing is asserted: the storm comes in ten waves
// of 500, and the earlier client must get its answer in the middle of each wave (its probe is
// written right after the wave's 500 connects, which are then still in flight) before the next
// wave starts, so it is answered throughout the storm, not once the storm is over.
it('5,000 clients connecting at once are all served, and an earlier client keeps being answered', { timeout: 60_000 }, async (t) => {
  const { server, port } = await tcpServer({ maxConnections: 10_000 }, t);
  server.on('message', ({ connection, message }) => connection.send(message));
  const probe = new RawPeer({ port }, t);
  await probe.connected();
  const sources = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
  const sockets: Socket[] = [];
  t.after(() => {
    for (const socket of sockets) socket.destroy();
  });
  let echoed = 0;
  const waves = 10;
  const perWave = 500;
  const stormLeftAtAnswer: number[] = [];
  for (let wave = 0; wave < waves; wave++) {
    for (let i = 0; i < perWave; i++) {
      const socket = connect({ port, host: '127.0.0.1', localAddress: sources[sockets.length % sources.length]! });
      socket.on('error', () => undefined);
      socket.on('data', () => echoed++);
      socket.write(RawPeer.frame('x'));
      sockets.push(socket);
    }
    probe.socket.write(RawPeer.frame(`probe ${wave}`));
    await until(() => probe.frames().length === wave + 1, 20_000, `the answer to probe ${wave}`);
    stormLeftAtAnswer.push(waves * perWave - echoed);
  }
  assert.deepEqual(probe.frames(), Array.from({ length: waves }, (_, wave) => `probe ${wave}`));
  // Every answer came while storm clients were still unanswered (later waves not even started).
  assert.ok(stormLeftAtAnswer.slice(0, -1).every((left) => left >= perWave), `storm clients left at each answer: ${stormLeftAtAnswer}`);
  await until(() => echoed >= waves * perWave, 45_000, 'every storm client echoed');
  assert.equal(echoed, waves * perWave);
  assert.equal(server.connectionCount, waves * perWave + 1);
  for (const socket of sockets) socket.destroy();
  probe.socket.destroy();
  await until(() => server.connectionCount === 0, 10_000, 'all closed');
});
