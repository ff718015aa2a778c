// The optional native accelerator (native/, issue 11): chosen automatically when built, never
// required, and the pure-JavaScript path kept: the last test runs the write-path suites again with
// SWITCHBOARD_NATIVE=0 (and Node's own reads, SWITCHBOARD_NODE_READS=1) in a child process, so
// every run covers both ways.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { nativeWriter, NATIVE_ENV } from '../../src/transport/native-writer.js';
import { NODE_READS_ENV } from '../../src/transport/read-slab.js';
import { directWrites } from '../../src/transport/write-batch.js';
import { Server } from '../../src/index.js';
import { stopAfter } from '../helpers/cleanup.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { tcpServer } from '../helpers/servers.js';
import { runNode } from '../helpers/node-child.js';
import { until } from '../helpers/wait.js';
import { RawWebSocket } from '../websocket/raw-websocket.js';

const ADDON = fileURLToPath(new URL('../../../native/build/switchboard-native.node', import.meta.url));
const DIST_TEST = fileURLToPath(new URL('../', import.meta.url));

describe('the native accelerator', () => {
  it('is used when it is built and not turned off, and not otherwise', () => {
    const expected = existsSync(ADDON) && process.env[NATIVE_ENV] !== '0' && process.platform !== 'win32';
    assert.equal(nativeWriter !== undefined, expected);
  });

  it('a turn larger than the socket buffer, to a peer that is not reading, arrives whole and in order', async (t) => {
    const { server, port } = await tcpServer({ limits: { maxSendBufferSize: 64 * 1024 * 1024 } }, t);
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    peer.socket.pause();
    await until(() => server.connectionCount === 1, 5000, 'the connection');
    const connection = [...server.connections()][0]!;
    const before = directWrites.writes;
    // Turns of 40 1 KiB messages, each written as one Buffer (one run of the output slab), until
    // the kernel takes no more: the last native send is then partial (or refused), and Node must
    // take the rest.
    const frames: Buffer[] = [];
    for (let turn = 0; connection.sendQueueBytes === 0; turn++) {
      assert.ok(turn < 10_000, 'the socket never filled');
      for (let i = 0; i < 40; i++) {
        const message = Buffer.alloc(1020, (turn + i) & 0xff);
        frames.push(RawPeer.frame(message));
        connection.send(message);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const expected = Buffer.concat(frames);
    peer.socket.resume();
    await until(() => peer.received.length >= expected.length, 20_000, 'every byte');
    assert.ok(peer.received.equals(expected));
    if (nativeWriter !== undefined) assert.ok(directWrites.writes > before, 'the write went through the accelerator');
  });

  it('a turn of one frame per connection (a WebSocket broadcast) goes through the accelerator too', async (t) => {
    if (nativeWriter === undefined) return t.skip('the accelerator is not built or is turned off');
    const server = new Server({ endpoints: [{ transport: 'ws', host: '127.0.0.1', port: 0, path: '/' }] });
    stopAfter(t, server);
    await server.start();
    const port = (server.addresses()[0] as { port: number }).port;
    const peers = await Promise.all([1, 2, 3].map(() => RawWebSocket.open(port)));
    t.after(() => peers.forEach((peer) => peer.socket.destroy()));
    await until(() => server.connectionCount === 3, 5000, 'the connections');
    const before = directWrites.writes;
    // A server WebSocket frame is one Buffer (header and payload): one frame this turn per connection.
    for (const connection of server.connections()) connection.send('one frame this turn');
    for (const peer of peers) assert.equal((await peer.nextFrame()).payload.toString(), 'one frame this turn');
    assert.equal(directWrites.writes - before, 3, 'one native send per connection, no socket.write');
  });

  it('a peer gone before the turn is flushed: the connection closes as with the JavaScript path, nothing thrown', async (t) => {
    const { server, port } = await tcpServer({}, t);
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    await until(() => server.connectionCount === 1, 5000, 'the connection');
    const connection = [...server.connections()][0]!;
    const closed = new Promise<string>((resolve) => connection.once('close', (event) => resolve(event.reason)));
    peer.socket.resetAndDestroy();
    // Keep sending until the reset is seen: sends to a reset socket fail with EPIPE/ECONNRESET.
    for (let i = 0; i < 200 && connection.state === 'open'; i++) {
      connection.send(Buffer.alloc(512, 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(['peer', 'error'].includes(await closed));
  });

  it('the read and write path suites pass on plain Node (SWITCHBOARD_NATIVE=0, SWITCHBOARD_NODE_READS=1)', { timeout: 240_000 }, async () => {
    // Without the accelerator and with Node's own reads (data events, see read-slab.ts): the path
    // of a machine without a compiler, or of a Node whose sockets the read slab cannot take.
    const suites = [
      'connection/connection.test.js',
      'connection/write-path.test.js',
      'connection/read-slab.test.js',
      'websocket/connection.test.js',
      'websocket/frame-receiver.test.js',
      'registry/broadcast.test.js',
      'native/native-reader.test.js',
    ];
    const { code, output } = await runNode(
      ['--test', '--test-timeout=60000', '--test-force-exit', ...suites.map((s) => DIST_TEST + s)],
      { [NATIVE_ENV]: '0', [NODE_READS_ENV]: '1' },
      220_000,
    );
    assert.equal(code, 0, `the pure-JavaScript run failed:\n${output.slice(-4000)}`);
    assert.match(output, /# pass [1-9]/);
    assert.match(output, /# fail 0/);
  });
});
