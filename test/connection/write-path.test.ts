// The hot write path (issue 11): a body passed through is written as a view beside its header,
// never copied, while small frames are still joined into one write per turn.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import fc from 'fast-check';
import WebSocket from 'ws';
import { LengthFieldCodec, Server, type Connection } from '../../src/index.js';
import { linkOf } from '../../src/connection/internal.js';
import { VIEW_MIN_BYTES } from '../../src/transport/socket-events.js';
import { SLAB_BYTES } from '../../src/transport/output-slab.js';
import { writeFrame, writeFrameInto, writeFrameParts } from '../../src/transport/websocket/frame-writer.js';
import { stopAfter } from '../helpers/cleanup.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { makeTlsMaterial } from '../helpers/tls-material.js';
import { tcpServer } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { wsServer } from '../websocket/fixtures.js';

/** Every Buffer handed to the connection's socket from now on. */
function recordWrites(connection: Connection): Buffer[] {
  const socket = (connection[linkOf] as unknown as { socket: { write: (chunk: Buffer, ...rest: unknown[]) => boolean } }).socket;
  const written: Buffer[] = [];
  const write = socket.write.bind(socket);
  socket.write = (chunk: Buffer, ...rest: unknown[]) => {
    written.push(chunk);
    return write(chunk, ...rest);
  };
  return written;
}

/** A body whose bytes say where they are, so that a piece out of place shows. */
function body(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (seed * 31 + i) & 0xff;
  return out;
}

/**
 * `turns` turns of 40 sends to each connection, sizes mixed around the slab's limits, two event
 * loop turns apart; returns the frames each connection was sent, in order.
 */
async function sendMixedTurns(connections: Connection[], turns: number): Promise<Map<Connection, Buffer[]>> {
  const sent = new Map<Connection, Buffer[]>(connections.map((connection) => [connection, []]));
  let seed = 0;
  for (let turn = 0; turn < turns; turn++) {
    for (const connection of connections) {
      for (let i = 0; i < 40; i++) {
        const message = body([3, 40, 7000, 12_000, 16_000][seed % 5]!, seed++);
        assert.notEqual(connection.send(message), false);
        sent.get(connection)!.push(RawPeer.frame(message));
      }
    }
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }
  return sent;
}

describe('the write path', () => {
  it('length-field encodeParts: a header of its own, then the body itself; the same bytes as encode', () => {
    const codec = new LengthFieldCodec();
    const message = body(100, 1);
    const out: Buffer[] = [];
    assert.equal(codec.encodeParts(message, out), 104);
    assert.equal(out.length, 2);
    assert.equal(out[1], message, 'the body is the caller’s Buffer, not a copy');
    assert.deepEqual(Buffer.concat(out), codec.encode(message));
    // A string is encoded into one Buffer; keepHeader frames are copied as encode does.
    const text: Buffer[] = [];
    codec.encodeParts('héllo', text);
    assert.deepEqual(text, [codec.encode('héllo')]);
    const offset = new LengthFieldCodec({ lengthFieldOffset: 2, lengthFieldBytes: 2, endian: 'little', lengthAdjustment: -1 });
    const shifted: Buffer[] = [];
    offset.encodeParts(message, shifted);
    assert.deepEqual(Buffer.concat(shifted), offset.encode(message));
  });

  it('length-field encodeParts refuses a frame past maxFrameBytes before pushing anything', () => {
    const codec = new LengthFieldCodec({ maxFrameBytes: 50 });
    const out: Buffer[] = [];
    assert.throws(() => codec.encodeParts(body(47, 2), out), { code: 'ERR_FRAME_TOO_LARGE' });
    assert.equal(out.length, 0);
  });

  it('WebSocket writeFrameParts: header then the payload itself, the same bytes as writeFrame, at every length form', () => {
    for (const size of [0, 125, 126, 65535, 65536]) {
      const payload = body(size, size);
      const out: Buffer[] = [];
      assert.equal(writeFrameParts(0x2, payload, out), Buffer.concat(out).length);
      assert.equal(out[1], payload);
      assert.deepEqual(Buffer.concat(out), writeFrame(0x2, payload));
    }
    const text: Buffer[] = [];
    writeFrameParts(0x1, 'ünïcode', text);
    assert.deepEqual(text, [writeFrame(0x1, 'ünïcode')]);
  });

  it('an echoed large body is written as the very Buffer received, beside its header; small frames around it are joined', async (t) => {
    const { server, port } = await tcpServer({}, t);
    const received: Buffer[] = [];
    server.on('message', ({ connection, message }) => {
      received.push(message as Buffer);
      connection.send(message);
    });
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    await until(() => server.connectionCount === 1, 5000, 'the connection');
    const connection = [...server.connections()][0]!;
    const written = recordWrites(connection);
    const big = body(VIEW_MIN_BYTES * 4, 7);
    peer.socket.write(Buffer.concat([RawPeer.frame('a'), RawPeer.frame('b'), RawPeer.frame(big), RawPeer.frame('c')]));
    await until(() => peer.frames().length === 4, 10_000, 'four frames echoed');
    const frames = peer.frames();
    assert.deepEqual(frames.slice(0, 2), ['a', 'b']);
    assert.equal(frames[3], 'c');
    const bigReceived = received.find((m) => m.length === big.length)!;
    assert.ok(
      written.some((chunk) => chunk === bigReceived),
      'the large body went to the socket as the Buffer the server received',
    );
    assert.ok(written.every((chunk) => chunk.length < big.length + 4), 'the large body was never joined with its neighbours');
    const end = peer.received.length - 5; // the frame of 'c' is last
    assert.deepEqual(peer.received.subarray(end - big.length, end), big);
  });

  it('any mix of small and large sends in one turn arrives whole and in order (property)', async (t) => {
    const { server, port } = await tcpServer({ limits: { maxSendBufferSize: 64 * 1024 * 1024 } }, t);
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    await until(() => server.connectionCount === 1, 5000, 'the connection');
    const connection = [...server.connections()][0]!;
    let expected = Buffer.alloc(0);
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: VIEW_MIN_BYTES - 8, max: VIEW_MIN_BYTES * 3 })), { minLength: 1, maxLength: 12 }), async (sizes) => {
        const sent: Buffer[] = [];
        for (const size of sizes) {
          const message = body(size, run++);
          sent.push(RawPeer.frame(message));
          assert.notEqual(connection.send(message), false);
        }
        expected = Buffer.concat([expected, ...sent]);
        await until(() => peer.received.length >= expected.length, 10_000, 'the turn’s bytes');
        assert.equal(peer.received.length, expected.length);
        assert.ok(peer.received.equals(expected));
      }),
      { numRuns: 25 },
    );
  });

  it('length-field encodeInto writes the bytes of encode where it fits, and only its size where it does not', () => {
    const codecs = [
      new LengthFieldCodec(),
      new LengthFieldCodec({ lengthFieldOffset: 2, lengthFieldBytes: 2, endian: 'little', lengthAdjustment: -1 }),
      new LengthFieldCodec({ keepHeader: true, lengthFieldBytes: 1 }),
    ];
    for (const codec of codecs) {
      for (const message of [body(100, 3), 'héllo']) {
        const frame = codec.encode(message);
        const target = Buffer.alloc(frame.length + 10, 0xee);
        assert.equal(codec.encodeInto(message, target, 3, 3 + frame.length - 1), frame.length);
        assert.ok(target.every((byte) => byte === 0xee), 'nothing written when the frame does not fit');
        assert.equal(codec.encodeInto(message, target, 3, target.length), frame.length);
        assert.deepEqual(target.subarray(3, 3 + frame.length), frame);
      }
    }
    assert.throws(() => new LengthFieldCodec({ maxFrameBytes: 50 }).encodeInto(body(47, 2), Buffer.alloc(100), 0, 100), { code: 'ERR_FRAME_TOO_LARGE' });
    assert.throws(() => new LengthFieldCodec({ lengthFieldBytes: 1 }).encodeInto(body(256, 2), Buffer.alloc(300), 0, 300), { code: 'ERR_FRAME_TOO_LARGE' });
  });

  it('small frames of several connections interleaved in one turn, past the end of a slab, reach each peer whole and in order', async (t) => {
    const { server, port } = await tcpServer({ limits: { maxSendBufferSize: 64 * 1024 * 1024 } }, t);
    const peers = [new RawPeer({ port }, t), new RawPeer({ port }, t), new RawPeer({ port }, t)];
    await Promise.all(peers.map((peer) => peer.connected()));
    await until(() => server.connectionCount === 3, 5000, 'the connections');
    const connections = [...server.connections()];
    const expected = connections.map(() => [] as Buffer[]);
    let sent = 0;
    let seed = 0;
    // Sizes up to just under VIEW_MIN_BYTES, so that the turn fills several slabs; a raw send now
    // and then is a piece of another kind between two runs.
    while (sent < SLAB_BYTES * 3) {
      const who = Math.floor(seed / 4) % 3; // runs of four sends to one connection
      const size = [0, 1, 40, 1000, VIEW_MIN_BYTES - 5, 7000][seed % 6]!;
      const message = body(size, seed++);
      if (seed % 7 === 0) {
        const raw = RawPeer.frame(message);
        assert.notEqual(connections[who]!.sendRaw(raw), false);
        expected[who]!.push(raw);
      } else {
        assert.notEqual(connections[who]!.send(message), false);
        expected[who]!.push(RawPeer.frame(message));
      }
      sent += size + 4;
    }
    for (let i = 0; i < 3; i++) {
      const want = Buffer.concat(expected[i]!);
      const peer = peers.find((p) => p.socket.localPort === connections[i]!.remotePort)!;
      await until(() => peer.received.length >= want.length, 10_000, 'every byte');
      assert.ok(peer.received.equals(want), `connection ${i} got its frames whole and in order`);
    }
  });

  it('one connection’s turn of small frames longer than several slabs arrives whole and in order, turn after turn', async (t) => {
    const { server, port } = await tcpServer({ limits: { maxSendBufferSize: 64 * 1024 * 1024 } }, t);
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    await until(() => server.connectionCount === 1, 5000, 'the connection');
    const connection = [...server.connections()][0]!;
    const sent: Buffer[] = [];
    for (let turn = 0; turn < 3; turn++) {
      for (let i = 0; sent.length * 1004 < (turn + 1) * SLAB_BYTES * 3; i++) {
        const message = body(1000, turn * 1000 + i);
        sent.push(RawPeer.frame(message));
        assert.notEqual(connection.send(message), false);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    const expected = Buffer.concat(sent);
    await until(() => peer.received.length >= expected.length, 10_000, 'every byte');
    assert.ok(peer.received.equals(expected));
  });

  it('a peer that stops reading (its socket full, writes partial) beside peers that read, for many turns: every byte arrives, none overwritten', { timeout: 60_000 }, async (t) => {
    // The output slab is reused after a flush only if no socket still holds a view of it: a slow
    // peer's partial writes must keep the bytes it has not taken from being written over by the
    // next turns' frames for the others.
    const { server, port } = await tcpServer({ limits: { maxSendBufferSize: 256 * 1024 * 1024 } }, t);
    const peers = [new RawPeer({ port }, t), new RawPeer({ port }, t), new RawPeer({ port }, t), new RawPeer({ port }, t)];
    await Promise.all(peers.map((peer) => peer.connected()));
    await until(() => server.connectionCount === 4, 5000, 'the connections');
    const slow = peers[0]!;
    slow.socket.pause();
    const connections = [...server.connections()];
    const peerOf = (connection: Connection): RawPeer => peers.find((p) => p.socket.localPort === connection.remotePort)!;
    // About 24 MiB to each peer: far more than the kernel's socket buffers hold for the slow one.
    const sent = await sendMixedTurns(connections, 60);
    const expected = new Map<RawPeer, Buffer[]>(connections.map((connection) => [peerOf(connection), sent.get(connection)!]));
    const slowConnection = connections.find((connection) => peerOf(connection) === slow)!;
    assert.ok(slowConnection.sendQueueBytes > 0, 'the slow peer fell behind (its writes were partial)');
    slow.socket.resume();
    for (const peer of peers) {
      const want = Buffer.concat(expected.get(peer)!);
      await until(() => peer.received.length >= want.length, 30_000, 'every byte');
      assert.equal(peer.received.length, want.length);
      assert.ok(peer.received.equals(want), `peer ${peers.indexOf(peer)} got its frames whole, in order, unaltered`);
    }
  });

  it('over TLS too: the output slab is reused after each flush, and a peer that stops reading beside peers that read gets every byte unaltered', { timeout: 60_000 }, async (t) => {
    // A TLS link consumes a write within the call once its handshake is done (OpenSSL copies the
    // cleartext), so its socket's pending writableLength does not hold the slab; what is queued
    // behind a backlog is still copied out of the slab first (ownCopies).
    const server = new Server({
      endpoints: [{ transport: 'tls', host: '127.0.0.1', port: 0, tls: makeTlsMaterial() }],
      limits: { maxSendBufferSize: 256 * 1024 * 1024 },
    });
    stopAfter(t, server);
    await server.start();
    const port = (server.addresses()[0] as { port: number }).port;
    const peers = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<{ socket: TLSSocket; received: Buffer[]; bytes: number }>((resolve, reject) => {
            const socket = tlsConnect({ port, host: '127.0.0.1', rejectUnauthorized: false });
            const peer = { socket, received: [] as Buffer[], bytes: 0 };
            socket.on('data', (chunk: Buffer) => {
              peer.received.push(chunk);
              peer.bytes += chunk.length;
            });
            socket.once('secureConnect', () => resolve(peer)).once('error', reject);
            t.after(() => socket.destroy());
          }),
      ),
    );
    await until(() => server.connectionCount === 4 && [...server.connections()].every((c) => c.state === 'open'), 5000, 'the connections');
    const connections = [...server.connections()];
    for (const connection of connections) assert.equal((connection[linkOf] as { consumesWrites?: boolean }).consumesWrites, true);
    const slow = peers[0]!;
    slow.socket.pause();
    const peerOf = (connection: Connection) => peers.find((p) => p.socket.localPort === connection.remotePort)!;
    const sent = await sendMixedTurns(connections, 30);
    const expected = new Map(connections.map((connection) => [peerOf(connection), sent.get(connection)!]));
    const slowConnection = connections.find((connection) => peerOf(connection) === slow)!;
    assert.ok(slowConnection.sendQueueBytes > 0, 'the slow peer fell behind');
    slow.socket.resume();
    for (const peer of peers) {
      const want = Buffer.concat(expected.get(peer)!);
      await until(() => peer.bytes >= want.length, 30_000, 'every byte');
      const got = Buffer.concat(peer.received);
      assert.equal(got.length, want.length);
      assert.ok(got.equals(want), `peer ${peers.indexOf(peer)} got its frames whole, in order, unaltered`);
    }
  });

  it('WebSocket writeFrameInto writes the bytes of writeFrame where it fits, and only its size where it does not', () => {
    for (const payload of [body(0, 1), body(125, 2), body(126, 3), body(1000, 4), '', 'héllo', '€'.repeat(50)]) {
      const opcode = typeof payload === 'string' ? 0x1 : 0x2;
      const frame = writeFrame(opcode, payload);
      const target = Buffer.alloc(frame.length + 10, 0xee);
      assert.equal(writeFrameInto(opcode, payload, target, 3, 3 + frame.length - 1), frame.length);
      assert.ok(target.every((byte) => byte === 0xee), 'nothing written when the frame does not fit');
      assert.equal(writeFrameInto(opcode, payload, target, 3, target.length), frame.length);
      assert.deepEqual(target.subarray(3, 3 + frame.length), frame);
    }
  });

  it('WebSocket: small frames of several connections in the output slab, one peer not reading, many turns: every message arrives whole, in order, unaltered', { timeout: 60_000 }, async (t) => {
    const f = await wsServer({}, { echo: false, limits: { maxSendBufferSize: 256 * 1024 * 1024 } });
    t.after(() => f.stop());
    const clients = [0, 1, 2, 3].map(() => new WebSocket(`ws://127.0.0.1:${f.port}/`));
    const got = new Map(clients.map((client) => [client, [] as Array<Buffer | string>]));
    for (const client of clients) {
      t.after(() => client.terminate());
      client.on('message', (data: Buffer, isBinary: boolean) => got.get(client)!.push(isBinary ? data : data.toString()));
    }
    await Promise.all(clients.map((client) => new Promise((resolve, reject) => client.once('open', resolve).once('error', reject))));
    await until(() => f.server.connectionCount === 4 && [...f.server.connections()].every((c) => c.state === 'open'), 5000, 'the connections');
    const connections = [...f.server.connections()];
    const slow = clients[0]!;
    slow.pause();
    const clientOf = (connection: Connection) => clients.find((client) => (client as unknown as { _socket: { localPort: number } })._socket.localPort === connection.remotePort)!;
    const sent = new Map<WebSocket, Array<Buffer | string>>(clients.map((client) => [client, []]));
    let seed = 0;
    for (let turn = 0; turn < 30; turn++) {
      for (const connection of connections) {
        for (let i = 0; i < 40; i++) {
          const size = [3, 40, 7000, 12_000, VIEW_MIN_BYTES - 3, 20_000][seed % 6]!;
          const message = seed % 3 === 0 ? body(size, seed) : String.fromCharCode(97 + (seed % 26)).repeat(size - 1) + 'é';
          seed++;
          assert.notEqual(connection.send(message), false);
          sent.get(clientOf(connection))!.push(message);
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const slowConnection = connections.find((connection) => clientOf(connection) === slow)!;
    assert.ok(slowConnection.sendQueueBytes > 0, 'the slow peer fell behind (its writes were partial)');
    slow.resume();
    for (const client of clients) {
      const want = sent.get(client)!;
      await until(() => got.get(client)!.length >= want.length, 30_000, 'every message');
      assert.equal(got.get(client)!.length, want.length);
      got.get(client)!.forEach((message, i) => assert.deepEqual(message, want[i], `client ${clients.indexOf(client)}, message ${i}`));
    }
  });

  it('a WebSocket binary echo keeps the payload a view and arrives intact, large and small', async (t) => {
    const f = await wsServer();
    t.after(() => f.stop());
    const client = new WebSocket(`ws://127.0.0.1:${f.port}/`);
    t.after(() => client.terminate());
    const got: Buffer[] = [];
    client.on('message', (data: Buffer) => got.push(data));
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    const big = body(VIEW_MIN_BYTES * 2 + 3, 9);
    client.send(body(10, 1));
    client.send(big);
    client.send(body(200, 2));
    await until(() => got.length === 3, 10_000, 'three echoes');
    assert.deepEqual(got[0], body(10, 1));
    assert.deepEqual(got[1], big);
    assert.deepEqual(got[2], body(200, 2));
  });
});
