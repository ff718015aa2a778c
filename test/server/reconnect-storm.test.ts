import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { it } from 'node:test';
import { RawPeer } from '../helpers/raw-peer.js';
import { tcpServer } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';

// RELIABILITY 32: 5,000 clients (re)connecting at once; the server accepts them all and keeps
// answering a client that was there before. No timing is asserted.
it('5,000 clients connecting at once are all served, and an earlier client keeps being answered', { timeout: 60_000 }, async (t) => {
  const { server, port } = await tcpServer({ maxConnections: 10_000 }, t);
  server.on('message', ({ connection, message }) => connection.send(message));
  const probe = new RawPeer({ port }, t);
  await probe.connected();
  const sources = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
  const sockets: Socket[] = [];
  let echoed = 0;
  let probeAnswersDuringStorm = 0;
  for (let i = 0; i < 5000; i++) {
    const socket = connect({ port, host: '127.0.0.1', localAddress: sources[i % sources.length]! });
    socket.on('error', () => undefined);
    socket.on('data', () => echoed++);
    socket.write(RawPeer.frame('x'));
    sockets.push(socket);
    if (i % 500 === 0) probe.socket.write(RawPeer.frame(`probe ${i}`));
  }
  await until(() => echoed >= 5000, 45_000, 'every storm client echoed');
  probeAnswersDuringStorm = probe.frames().length;
  assert.equal(probeAnswersDuringStorm, 10, 'the earlier client was answered throughout');
  assert.equal(server.connectionCount, 5001);
  for (const socket of sockets) socket.destroy();
  probe.socket.destroy();
  await until(() => server.connectionCount === 0, 10_000, 'all closed');
  await server.stop();
});
