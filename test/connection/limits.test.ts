import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHUNK_OVERHEAD_BYTES, ErrorCode, type CloseEvent, type Connection, type DecodeFailEvent, type SendBufferFullEvent, type SendFailEvent } from '../../src/index.js';
import { DelimiterCodec } from '../../src/codec/delimiter-codec.js';
import { LengthFieldCodec } from '../../src/codec/length-field-codec.js';
import type { Codec } from '../../src/codec/codec.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { tcpServer } from '../helpers/servers.js';
import { nextEvent, until } from '../helpers/wait.js';

describe('connection limits with real sockets', () => {
  it('a length field announcing more than maxFrameBytes fails from the header alone; others unaffected', async (t) => {
    const { server, port } = await tcpServer({}, t);
    server.on('message', ({ connection, message }) => connection.send(message));
    const healthy = new RawPeer({ port }, t);
    const hostile = new RawPeer({ port }, t);
    await Promise.all([healthy.connected(), hostile.connected()]);
    const failed = nextEvent<DecodeFailEvent>(server, 'decodeFail');
    const closed = nextEvent<CloseEvent>(server, 'close');
    const heapBefore = process.memoryUsage().arrayBuffers;
    hostile.socket.write(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3])); // announces 2 GiB
    const failure = await failed;
    assert.equal(failure.error.code, ErrorCode.FrameTooLarge);
    const close = await closed;
    assert.equal(close.reason, 'error');
    assert.equal(close.error?.code, ErrorCode.FrameTooLarge);
    assert.ok(process.memoryUsage().arrayBuffers - heapBefore < 64 * 1024 * 1024, 'nothing of the announced size allocated');
    await until(() => hostile.closed, 2000, 'hostile peer closed');
    healthy.socket.write(RawPeer.frame('still served'));
    await until(() => healthy.frames().length === 1, 2000, 'echo to the healthy peer');
    assert.equal(healthy.frames()[0], 'still served');
    healthy.socket.destroy();
    await server.stop();
  });

  it('20 MiB without a delimiter: receiveBufferFull, closed, memory bounded', async (t) => {
    const { server, port } = await tcpServer({
      codec: new DelimiterCodec({ delimiter: '\n', maxFrameBytes: 64 * 1024 * 1024 }),
      limits: { maxReceiveBufferSize: 1024 * 1024 },
    }, t);
    let peak = 0;
    let full: { bufferedBytes: number; limit: number } | undefined;
    server.on('receiveBufferFull', (event) => (full = event));
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    const closed = nextEvent<CloseEvent>(server, 'close');
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const timer = setInterval(() => {
      for (const connection of server.connections()) peak = Math.max(peak, connection.receiveBufferBytes);
    }, 1);
    t.after(() => clearInterval(timer)); // a failed wait below must not leave it running
    for (let sent = 0; sent < 20 * 1024 * 1024 && !peer.closed; sent += chunk.length) {
      if (!peer.socket.write(chunk)) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const close = await closed;
    clearInterval(timer);
    assert.equal(close.reason, 'limit');
    assert.equal(close.error?.code, ErrorCode.ReceiveBufferFull);
    assert.ok(full, 'receiveBufferFull was emitted');
    assert.equal(full.limit, 1024 * 1024);
    assert.ok(peak <= 1024 * 1024 + 128 * 1024, `receive buffer stayed bounded (peak ${peak})`);
    peer.socket.destroy();
    await server.stop();
  });

  it('a flood of 1-byte chunks is counted with its per-chunk overhead', async (t) => {
    const { server, port } = await tcpServer({ limits: { maxReceiveBufferSize: 100 * CHUNK_OVERHEAD_BYTES } }, t);
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    const closed = nextEvent<CloseEvent>(server, 'close');
    peer.socket.setNoDelay(true); // each 1-byte write its own segment, so the server sees 1-byte chunks
    peer.socket.write(Buffer.from([0, 0, 0x10, 0])); // a 4 KiB frame that never completes
    for (let i = 0; i < 400 && !peer.closed; i++) {
      peer.socket.write(Buffer.from([i & 0xff]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const close = await closed;
    assert.equal(close.reason, 'limit', 'closed long before 400 bytes of payload would reach the limit');
    peer.socket.destroy();
    await server.stop();
  });

  it('a peer that never reads: sendBufferFull, then sendFail bufferFull; memory bounded by the limit', async (t) => {
    const limit = 256 * 1024;
    const { server, port } = await tcpServer({ limits: { maxSendBufferSize: limit } }, t);
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    peer.socket.pause();
    await until(() => server.connectionCount === 1, 2000, 'connection');
    const connection: Connection = [...server.connections()][0]!;
    const events: string[] = [];
    const fails: SendFailEvent[] = [];
    const fulls: SendBufferFullEvent[] = [];
    connection.on('sendBufferFull', (event) => fulls.push(event));
    connection.on('sendBufferFull', () => events.push('full'));
    connection.on('sendBufferDrain', () => events.push('drain'));
    connection.on('sendFail', (event) => fails.push(event));
    const message = Buffer.alloc(16 * 1024);
    let peakQueued = 0;
    let refused = 0;
    for (let round = 0; round < 400 && refused === 0; round++) {
      for (let i = 0; i < 8; i++) if (connection.send(message) === false) refused++;
      peakQueued = Math.max(peakQueued, connection.sendQueueBytes);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(refused > 0, 'sends are refused once over the limit');
    assert.deepEqual(events, ['full']);
    assert.equal(fails[0]?.code, 'bufferFull');
    assert.equal(fails[0]?.lostMessages, 1, 'each refusal is one message');
    // Raised by the send that crossed the limit: what was queued then, socket included, is over it.
    assert.equal(fulls[0]?.limit, limit);
    assert.ok(fulls[0]!.queuedBytes > limit && fulls[0]!.queuedBytes <= limit + message.length + 4, `queuedBytes ${fulls[0]!.queuedBytes}`);
    assert.ok(peakQueued <= limit + message.length + 4, `queue bounded: ${peakQueued}`);
    // The peer reads again: the queue drains and sending works again.
    peer.socket.resume();
    await until(() => events.includes('drain'), 5000, 'sendBufferDrain');
    assert.notEqual(connection.send(message), false);
    peer.socket.destroy();
    await server.stop();
  });

  it('sendBufferFullPolicy close: the connection is closed with reason limit', async (t) => {
    const { server, port } = await tcpServer({ limits: { maxSendBufferSize: 64 * 1024, sendBufferFullPolicy: 'close' } }, t);
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    peer.socket.pause();
    await until(() => server.connectionCount === 1, 2000, 'connection');
    const connection = [...server.connections()][0]!;
    const closed = nextEvent<CloseEvent>(connection, 'close');
    for (let round = 0; round < 200 && connection.state === 'open'; round++) {
      connection.send(Buffer.alloc(32 * 1024));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const close = await closed;
    assert.equal(close.reason, 'limit');
    assert.equal(close.error?.code, ErrorCode.SendBufferFull);
    peer.socket.destroy();
    await server.stop();
  });

  it('send() returns null once the socket holds unwritten bytes: queued, not refused, all delivered', async (t) => {
    const { server, port } = await tcpServer({ limits: { maxSendBufferSize: 256 * 1024 * 1024 } }, t);
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    peer.socket.pause();
    await until(() => server.connectionCount === 1, 2000, 'connection');
    const connection = [...server.connections()][0]!;
    const message = Buffer.alloc(256 * 1024, 1);
    const answers: Array<boolean | null> = [];
    // The kernel's buffers fill after a few MiB; from then on the socket holds what it cannot
    // write and every send answers null (queued behind it), never false under the limit.
    for (let round = 0; round < 400 && !answers.includes(null); round++) {
      answers.push(connection.send(message));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(answers.includes(null), `send() answered null once the socket was behind: ${answers.length} sends, all true`);
    assert.ok(!answers.includes(false), 'never refused under the limit');
    assert.ok(answers.indexOf(null) > 0, 'the first send went out at once (true)');
    assert.ok(connection.sendQueueBytes > 0, 'bytes wait in the queue');
    peer.socket.resume();
    const total = answers.length * (4 + message.length);
    await until(() => peer.received.length === total, 20_000, 'every queued byte delivered');
  });

  it('a read larger than readBufferSize is decoded as views of at most readBufferSize bytes', async (t) => {
    const readBufferSize = 100;
    const seen: Array<{ bytes: number; chunks: number }> = [];
    const inner = new LengthFieldCodec();
    // Wraps the default codec to look at the input each decode is handed.
    const codec: Codec = {
      name: 'watching',
      maxFrameBytes: inner.maxFrameBytes,
      encode: (message) => inner.encode(message as Buffer),
      createDecoder: () => {
        const decoder = inner.createDecoder();
        return {
          decode(input) {
            seen.push({ bytes: input.length, chunks: input.chunkCount });
            return decoder.decode(input);
          },
        };
      },
    };
    const { server, port } = await tcpServer({ codec, limits: { readBufferSize } }, t);
    const got: Buffer[] = [];
    server.on('message', ({ message }) => got.push(Buffer.from(message as Buffer)));
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    const body = Buffer.alloc(20_000);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    peer.socket.write(RawPeer.frame(body)); // one write: the server reads it in large pieces
    await until(() => got.length === 1, 5000, 'the message');
    assert.deepEqual(got[0], body);
    // Every chunk is at most readBufferSize bytes, so n bytes are held in at least n / size chunks.
    const first = seen.find((s) => s.bytes > readBufferSize)!;
    assert.ok(first, 'a decode saw more than readBufferSize bytes');
    for (const { bytes, chunks } of seen) {
      assert.ok(chunks >= Math.ceil(bytes / readBufferSize), `${bytes} bytes in ${chunks} chunks: a chunk over ${readBufferSize} bytes`);
    }
  });
});
