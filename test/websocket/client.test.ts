import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { Client, ConnectError, ErrorCode, Server, type CloseEvent } from '../../src/index.js';
import { JsonMessageCodec } from '../../src/codec/message-codec.js';
import { HandshakeRefusedError } from '../../src/errors.js';
import { makeTlsMaterial } from '../helpers/tls-material.js';
import { nextEvent, until } from '../helpers/wait.js';
import { wsServer } from './fixtures.js';

const tls = makeTlsMaterial();

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe('Client over WebSocket', () => {
  it('connects with a url, sends text and binary, iterates messages, closes with the handshake', async () => {
    const f = await wsServer({ path: '/chat' });
    try {
      const client = new Client({ transport: 'ws', url: `ws://127.0.0.1:${f.port}/chat?room=1` });
      const connection = await client.connect();
      assert.equal(connection.transport, 'ws');
      assert.equal(client.codec.name, 'text-binary');
      connection.send('hello');
      connection.send(Buffer.from([1, 2]));
      const received: unknown[] = [];
      for await (const message of connection) {
        received.push(message);
        if (received.length === 2) break;
      }
      assert.deepEqual(received, ['hello', Buffer.from([1, 2])]);
      await until(() => f.server.connectionCount === 1, 1000, 'server side');
      const serverSide = [...f.server.connections()][0]!;
      assert.equal(serverSide.websocket?.request?.url, '/chat?room=1');
      const closed = nextEvent<CloseEvent>(client, 'close');
      await client.close();
      const event = await closed;
      assert.deepEqual([event.reason, event.code], ['local', 1000]);
      await until(() => f.closes.length === 1, 1000, 'server close');
      assert.deepEqual([f.closes[0]!.reason, f.closes[0]!.code], ['peer', 1000]);
    } finally {
      await f.stop();
    }
  });

  it('takes host, port and path and a message codec; masks its frames (a ws server insists)', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/x' });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
    try {
      const port = (server.address() as { port: number }).port;
      const client = new Client({ transport: 'ws', host: '127.0.0.1', port, path: '/x', messageCodec: new JsonMessageCodec() });
      const connection = await client.connect();
      connection.send({ n: 1, list: ['a'] });
      assert.deepEqual((await nextEvent<{ message: unknown }>(connection, 'message')).message, { n: 1, list: ['a'] });
      await client.close();
    } finally {
      server.close();
    }
  });

  it('interoperates with the ws library both ways', async () => {
    // ws client -> Switchboard server
    const f = await wsServer();
    try {
      const socket = new WebSocket(`ws://127.0.0.1:${f.port}/`);
      await new Promise((resolve) => socket.once('open', resolve));
      socket.send('from ws');
      socket.send(Buffer.alloc(100_000, 1));
      const replies: Array<[boolean, number]> = [];
      await new Promise<void>((resolve) =>
        socket.on('message', (data: Buffer, binary) => {
          replies.push([binary, data.length]);
          if (replies.length === 2) resolve();
        }),
      );
      assert.deepEqual(replies, [[false, 7], [true, 100_000]]);
      const pong = new Promise((resolve) => socket.once('pong', resolve));
      socket.ping('x');
      await pong;
      const closed = new Promise<number>((resolve) => socket.once('close', (code: number) => resolve(code)));
      socket.close(4100, 'done');
      assert.equal(await closed, 4100);
    } finally {
      await f.stop();
    }
    // Switchboard client -> ws server, with the server closing
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => {
      socket.on('message', (data, binary) => {
        socket.send(data, { binary });
        if (!binary && data.toString() === 'bye') socket.close(4001, 'server says bye');
      });
    });
    try {
      const client = new Client({ transport: 'ws', url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/` });
      const connection = await client.connect();
      connection.send('hi');
      assert.equal((await nextEvent<{ message: unknown }>(connection, 'message')).message, 'hi');
      const closed = nextEvent<CloseEvent>(client, 'close');
      connection.send('bye');
      const event = await closed;
      assert.deepEqual([event.reason, event.code, event.closeReason], ['peer', 4001, 'server says bye']);
    } finally {
      server.close();
    }
  });

  it('connects over wss', async () => {
    const server = new Server({ endpoints: [{ transport: 'wss', host: '127.0.0.1', port: 0, tls }] });
    server.on('message', ({ connection, message }) => connection.send(message));
    await server.start();
    try {
      const port = (server.addresses()[0] as { port: number }).port;
      const client = new Client({ transport: 'wss', url: `wss://localhost:${port}/`, tls: { ca: tls.cert } });
      const connection = await client.connect();
      assert.equal(connection.transport, 'wss');
      connection.send('secret');
      assert.equal((await nextEvent<{ message: unknown }>(connection, 'message')).message, 'secret');
      await until(() => server.connectionCount === 1, 1000, 'server side');
      assert.equal([...server.connections()][0]!.transport, 'wss');
      await client.close();
    } finally {
      await server.stop({ timeout: 500 });
    }
  });

  it('reports a refused handshake as connectFail with the HTTP status, and a closed port with ECONNREFUSED', async () => {
    const f = await wsServer({ handshake: () => ({ type: 'refuse', status: 403, reason: 'nope' }) });
    try {
      const client = new Client({ transport: 'ws', url: `ws://127.0.0.1:${f.port}/` });
      const failed = nextEvent<{ error: ConnectError }>(client, 'connectFail');
      await assert.rejects(client.connect(), (error: ConnectError) => error.code === ErrorCode.ConnectFailed);
      const { error } = await failed;
      assert.ok(error.cause instanceof HandshakeRefusedError);
      assert.equal((error.cause as HandshakeRefusedError).status, 403);
    } finally {
      await f.stop();
    }
    const port = await freePort();
    const client = new Client({ transport: 'ws', url: `ws://127.0.0.1:${port}/` });
    await assert.rejects(client.connect(), (error: ConnectError) => error.osCode === 'ECONNREFUSED');
    assert.throws(() => new Client({ transport: 'ws', url: 'http://example.com/' }), { code: ErrorCode.InvalidOption });
  });

  it('reconnects with backoff after the server restarts, and sends what was queued offline', async () => {
    const port = await freePort();
    const server = new Server({ endpoints: [{ transport: 'ws', host: '127.0.0.1', port }] });
    server.on('message', ({ connection, message }) => connection.send(`echo:${String(message)}`));
    await server.start();
    const client = new Client({ transport: 'ws', url: `ws://127.0.0.1:${port}/`, reconnect: { initialDelay: 10, maxDelay: 50 } });
    try {
      const received: unknown[] = [];
      client.on('message', ({ message }) => received.push(message));
      await client.connect();
      client.send('first');
      await until(() => received.length === 1, 1000, 'first echo');
      const closed = nextEvent<CloseEvent>(client, 'close');
      await server.stop({ timeout: 500 });
      assert.equal((await closed).code, 1001);
      assert.equal(client.send('while away'), null);
      await server.start();
      await nextEvent(client, 'establish', 3000);
      await until(() => received.length === 2, 2000, 'queued message echo');
      assert.deepEqual(received, ['echo:first', 'echo:while away']);
    } finally {
      await client.close();
      await server.stop({ timeout: 500 });
    }
  });
});
