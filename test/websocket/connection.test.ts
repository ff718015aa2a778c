import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, ManualClock, type SendFailEvent } from '../../src/index.js';
import { JsonMessageCodec } from '../../src/codec/message-codec.js';
import type { Connection } from '../../src/index.js';
import { encoderOf, sendFrame } from '../../src/connection/internal.js';
import { countSocketWrites } from '../helpers/count-writes.js';
import { until } from '../helpers/wait.js';
import { wsServer } from './fixtures.js';
import { closePayload, RawWebSocket, upgradeRequest } from './raw-websocket.js';

const TEXT = 0x1;
const BINARY = 0x2;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

async function connectionOf(server: { connections(): IterableIterator<unknown>; connectionCount: number }, count = 1): Promise<Connection> {
  await until(() => server.connectionCount >= count, 1000, 'a connection');
  return [...server.connections()].at(-1) as Connection;
}

describe('a Connection over a WebSocket link', () => {
  it('is a Connection like any other: events, counters, state, transport', async () => {
    const f = await wsServer();
    try {
      const seen: string[] = [];
      for (const name of ['accept', 'establish', 'message', 'close'] as const) f.server.on(name, () => seen.push(name));
      const peer = await RawWebSocket.open(f.port);
      peer.send(TEXT, 'one');
      await peer.nextFrame();
      const connection = await connectionOf(f.server);
      assert.equal(connection.transport, 'ws');
      assert.equal(connection.state, 'open');
      assert.equal(connection.requests, 1);
      assert.ok(connection.readBytes >= 3 + 6);
      assert.equal(connection.writtenBytes, 2 + 3);
      assert.equal(connection.codec.name, 'text-binary');
      assert.equal(connection.websocket?.request?.path, '/');
      peer.send(CLOSE, closePayload(1000));
      await peer.whenClosed();
      await until(() => seen.includes('close'), 1000, 'close');
      assert.deepEqual(seen, ['accept', 'establish', 'message', 'close']);
    } finally {
      await f.stop();
    }
  });

  it('sends a string as a text frame and bytes as a binary frame; refuses other values with sendFail', async () => {
    const f = await wsServer({}, { echo: false });
    try {
      const peer = await RawWebSocket.open(f.port);
      const connection = await connectionOf(f.server);
      const fails: SendFailEvent[] = [];
      connection.on('sendFail', (event) => fails.push(event));
      assert.equal(connection.send('text'), true);
      connection.send(Buffer.from([1]));
      connection.send(new Uint8Array([2, 3]));
      connection.sendRaw('raw text');
      connection.sendRaw(Buffer.from([4]));
      assert.equal(connection.send({ not: 'bytes' }), false);
      assert.equal(fails[0]?.code, 'encodeFailed');
      assert.equal(fails[0]?.error?.code, ErrorCode.InvalidMessage);
      const frames = [];
      for (let i = 0; i < 5; i++) frames.push(await peer.nextFrame());
      assert.deepEqual(frames.map((f) => [f.opcode, [...f.payload]]), [
        [TEXT, [...Buffer.from('text')]],
        [BINARY, [1]],
        [BINARY, [2, 3]],
        [TEXT, [...Buffer.from('raw text')]],
        [BINARY, [4]],
      ]);
      peer.destroy();
    } finally {
      await f.stop();
    }
  });

  it('uses a message codec when configured (JSON)', async () => {
    const f = await wsServer({ messageCodec: new JsonMessageCodec() });
    try {
      const peer = await RawWebSocket.open(f.port);
      peer.send(TEXT, '{"a":[1,2]}');
      const echo = await peer.nextFrame();
      assert.equal(echo.opcode, TEXT);
      assert.deepEqual(JSON.parse(echo.payload.toString()), { a: [1, 2] });
      assert.deepEqual(f.messages[0], { a: [1, 2] });
      peer.send(TEXT, '{not json');
      assert.equal((await peer.nextClose()).code, 1007);
      await until(() => f.closes.length === 1, 1000, 'close');
      assert.equal(f.closes[0]!.error?.code, ErrorCode.InvalidJson);
    } finally {
      await f.stop();
    }
  });

  it('frames a broadcast once: connections of an endpoint share one encoder, sendFrame writes the same Buffer', async () => {
    const f = await wsServer({}, { echo: false });
    try {
      const peers = await Promise.all([1, 2, 3].map(() => RawWebSocket.open(f.port)));
      await until(() => f.server.connectionCount === 3, 1000, 'three connections');
      const connections = [...f.server.connections()];
      const encoder = connections[0]![encoderOf];
      assert.ok(connections.every((c) => c[encoderOf] === encoder));
      const frame = encoder.encode('to everyone');
      for (const connection of connections) assert.equal(connection[sendFrame](frame), true);
      for (const peer of peers) {
        const received = await peer.nextFrame();
        assert.deepEqual([received.opcode, received.payload.toString()], [TEXT, 'to everyone']);
        peer.destroy();
      }
    } finally {
      await f.stop();
    }
  });

  it('coalesces the sends of one turn into one write', async () => {
    const f = await wsServer({}, { echo: false });
    try {
      const peer = await RawWebSocket.open(f.port);
      const connection = await connectionOf(f.server);
      const writes = countSocketWrites(connection);
      for (let i = 0; i < 100; i++) connection.send(`m${i}`);
      for (let i = 0; i < 100; i++) assert.equal((await peer.nextFrame()).payload.toString(), `m${i}`);
      assert.equal(writes.count, 1);
      peer.destroy();
    } finally {
      await f.stop();
    }
  });

  it('answers send() after close with false and sendFail, never a throw', async () => {
    const f = await wsServer({}, { echo: false });
    try {
      const peer = await RawWebSocket.open(f.port);
      const connection = await connectionOf(f.server);
      const fails: SendFailEvent[] = [];
      connection.on('sendFail', (event) => fails.push(event));
      connection.close();
      assert.equal(connection.send('late'), false);
      assert.equal(fails[0]?.code, 'remoteClosed');
      assert.equal((await peer.nextClose()).code, 1000);
      peer.send(CLOSE, closePayload(1000));
      await peer.whenClosed();
      await until(() => connection.state === 'closed', 1000, 'closed');
      assert.equal(connection.send('later'), false);
    } finally {
      await f.stop();
    }
  });

  it('closes with a code and reason of the application: websocket.close(4000, ...)', async () => {
    const f = await wsServer({}, { echo: false });
    try {
      const peer = await RawWebSocket.open(f.port);
      const connection = await connectionOf(f.server);
      assert.throws(() => connection.websocket!.close(1006), { code: ErrorCode.InvalidOption });
      connection.websocket!.close(4000, 'kicked');
      assert.deepEqual(await peer.nextClose(), { code: 4000, reason: 'kicked' });
      peer.destroy();
    } finally {
      await f.stop();
    }
  });

  it('gives up waiting for the peer close frame at closeTimeout (injected clock); the close event says 1006', async () => {
    const clock = new ManualClock();
    const f = await wsServer({}, { clock, closeTimeout: 2000, echo: false });
    try {
      const peer = await RawWebSocket.open(f.port);
      const connection = await connectionOf(f.server);
      connection.close();
      assert.equal((await peer.nextClose()).code, 1000);
      clock.advance(2000);
      await peer.whenClosed();
      await until(() => f.closes.length === 1, 1000, 'close');
      assert.deepEqual([f.closes[0]!.reason, f.closes[0]!.code], ['local', 1006]);
    } finally {
      await f.stop();
    }
  });

  it('sends 1001 (Going Away) with a final message when the server stops', async () => {
    const f = await wsServer({}, { echo: false });
    try {
      const peer = await RawWebSocket.open(f.port);
      await connectionOf(f.server);
      const stopping = f.server.stop({ finalMessage: 'maintenance', timeout: 2000 });
      assert.equal((await peer.nextFrame()).payload.toString(), 'maintenance');
      assert.deepEqual(await peer.nextClose(), { code: 1001, reason: 'server stopping' });
      peer.send(CLOSE, closePayload(1001));
      await stopping;
      await peer.whenClosed();
      assert.deepEqual([f.closes[0]!.reason, f.closes[0]!.code], ['stop', 1001]);
    } finally {
      await f.stop();
    }
  });

  it('sends 1012 (Service Restart) when the server stops to restart; the close reason is restart', async () => {
    const f = await wsServer({}, { echo: false });
    try {
      const peer = await RawWebSocket.open(f.port);
      await connectionOf(f.server);
      const stopping = f.server.stop({ restart: true, timeout: 2000 });
      assert.deepEqual(await peer.nextClose(), { code: 1012, reason: 'server restarting' });
      peer.send(CLOSE, closePayload(1012));
      await stopping;
      await peer.whenClosed();
      assert.deepEqual([f.closes[0]!.reason, f.closes[0]!.code], ['restart', 1012]);
    } finally {
      await f.stop();
    }
  });

  it('heartbeat: pings a quiet peer, a pong keeps it, a silent one is closed (injected clock)', async () => {
    const clock = new ManualClock();
    const f = await wsServer({}, { clock, heartbeat: { interval: 1000, timeout: 3000 }, echo: false });
    try {
      const lively = await RawWebSocket.open(f.port);
      const livelyConnection = await connectionOf(f.server, 1);
      const silent = await RawWebSocket.open(f.port);
      await connectionOf(f.server, 2);
      for (let round = 1; round <= 3; round++) {
        clock.advance(1000);
        const ping = await lively.nextFrame();
        assert.equal(ping.opcode, PING);
        lively.send(PONG, ping.payload);
        await until(() => livelyConnection.lastHeartbeat === clock.now(), 1000, 'the pong to count');
        assert.equal((await silent.nextFrame()).opcode, PING);
      }
      clock.advance(1000); // silent for 4 s > timeout 3 s
      assert.deepEqual(await silent.nextClose(), { code: 1000, reason: 'idle' });
      silent.destroy();
      await until(() => f.server.connectionCount === 1, 1000, 'the silent peer to be closed');
      assert.equal(f.closes[0]!.reason, 'idle');
      assert.equal(livelyConnection.state, 'open');
      lively.destroy();
    } finally {
      await f.stop();
    }
  });

  it('a handler that throws closes only that connection, with 1011', async () => {
    const f = await wsServer({}, { echo: false });
    try {
      f.server.on('message', ({ message }) => {
        if (message === 'throw') throw new Error('handler bug');
      });
      const bad = await RawWebSocket.open(f.port);
      const good = await RawWebSocket.open(f.port);
      bad.send(TEXT, 'throw');
      assert.equal((await bad.nextClose()).code, 1011);
      good.send(TEXT, 'fine');
      await until(() => f.messages.includes('fine'), 1000, 'the other connection served');
      await until(() => f.closes.length === 1, 1000, 'close');
      assert.equal(f.closes[0]!.error?.code, ErrorCode.HandlerFailed);
      bad.destroy();
      good.destroy();
    } finally {
      await f.stop();
    }
  });

  it('a peer that stops reading: sendBufferFull, refusals at maxSendBufferSize, memory bounded', async () => {
    const f = await wsServer({ limits: { maxSendBufferSize: 64 * 1024 } }, { echo: false });
    try {
      const peer = await RawWebSocket.open(f.port);
      peer.socket.pause();
      const connection = await connectionOf(f.server);
      let full = 0;
      let refused = 0;
      connection.on('sendBufferFull', () => full++);
      connection.on('sendFail', (event) => event.code === 'bufferFull' && refused++);
      const chunk = Buffer.alloc(16 * 1024);
      for (let round = 0; round < 200 && refused === 0; round++) {
        for (let i = 0; i < 10; i++) connection.send(chunk);
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      assert.equal(full, 1);
      assert.ok(refused > 0);
      assert.ok(connection.sendQueueBytes < 64 * 1024 + 11 * (16 * 1024 + 4));
      peer.destroy();
    } finally {
      await f.stop();
    }
  });

  it('pauseReceive holds messages and resumeReceive delivers them in order', async () => {
    const f = await wsServer({}, { echo: false });
    try {
      const peer = await RawWebSocket.open(f.port);
      const connection = await connectionOf(f.server);
      connection.pauseReceive();
      for (let i = 0; i < 5; i++) peer.send(TEXT, `p${i}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(f.messages, []);
      connection.resumeReceive();
      await until(() => f.messages.length === 5, 1000, 'messages');
      assert.deepEqual(f.messages, ['p0', 'p1', 'p2', 'p3', 'p4']);
      peer.destroy();
    } finally {
      await f.stop();
    }
  });

  it('counts a flood of tiny chunks with their overhead and closes with 1009 at the limit', async () => {
    const f = await wsServer({ limits: { maxReceiveBufferSize: 8 * 1024 } }, { echo: false });
    try {
      const peer = await RawWebSocket.open(f.port, upgradeRequest('/'));
      peer.socket.setNoDelay(true);
      // A 4 KiB message (within the limit) sent a byte per write: ~100 bytes of bookkeeping each.
      peer.write(Buffer.from([0x82, 0xfe, 0x10, 0x00, 0, 0, 0, 0]));
      for (let i = 0; i < 4096 && f.closes.length === 0; i++) {
        peer.write(Buffer.from([0]));
        if (i % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      await until(() => f.closes.length === 1, 1000, 'close');
      assert.equal(f.closes[0]!.code, 1009);
      assert.equal(f.closes[0]!.reason, 'limit');
      peer.destroy();
    } finally {
      await f.stop();
    }
  });
});
