import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { Client, ConnectError, ErrorCode, ManualClock, Server, type CloseEvent } from '../../src/index.js';
import { JsonMessageCodec } from '../../src/codec/message-codec.js';
import { HandshakeRefusedError } from '../../src/errors.js';
import { acceptKey } from '../../src/transport/websocket/handshake.js';
import { makeTlsMaterial } from '../helpers/tls-material.js';
import { nextEvent, until } from '../helpers/wait.js';
import { expectConnectTimeout, silentServer } from '../helpers/silent-server.js';
import { closeAfter, stopAfter } from '../helpers/cleanup.js';
import { freePort } from '../helpers/servers.js';
import { wsServer } from './fixtures.js';

const tls = makeTlsMaterial();

describe('Client over WebSocket', () => {
  it('connects with a url, sends text and binary, iterates messages, closes with the handshake', async (t) => {
    const f = await wsServer({ path: '/chat' });
    try {
      const client = closeAfter(t, new Client({ transport: 'ws', url: `ws://127.0.0.1:${f.port}/chat?room=1` }));
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

  it('takes host, port and path and a message codec; masks its frames (a ws server insists)', async (t) => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/x' });
    await new Promise((resolve) => server.once('listening', resolve));
    server.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
    try {
      const port = (server.address() as { port: number }).port;
      const client = closeAfter(t, new Client({ transport: 'ws', host: '127.0.0.1', port, path: '/x', messageCodec: new JsonMessageCodec() }));
      const connection = await client.connect();
      connection.send({ n: 1, list: ['a'] });
      assert.deepEqual((await nextEvent<{ message: unknown }>(connection, 'message')).message, { n: 1, list: ['a'] });
      await client.close();
    } finally {
      server.close();
    }
  });

  it('interoperates with the ws library both ways', async (t) => {
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
      const client = closeAfter(t, new Client({ transport: 'ws', url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/` }));
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

  it('connects over wss', async (t) => {
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'wss', host: '127.0.0.1', port: 0, tls }] }));
    server.on('message', ({ connection, message }) => connection.send(message));
    await server.start();
    try {
      const port = (server.addresses()[0] as { port: number }).port;
      const client = closeAfter(t, new Client({ transport: 'wss', url: `wss://localhost:${port}/`, tls: { ca: tls.cert } }));
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

  it('reports a refused handshake as connectFail with the HTTP status, and a closed port with ECONNREFUSED', async (t) => {
    const f = await wsServer({ handshake: () => ({ type: 'refuse', status: 403, reason: 'nope' }) });
    try {
      const client = closeAfter(t, new Client({ transport: 'ws', url: `ws://127.0.0.1:${f.port}/` }));
      const failed = nextEvent<{ error: ConnectError }>(client, 'connectFail');
      await assert.rejects(client.connect(), (error: ConnectError) => error.code === ErrorCode.ConnectFailed);
      const { error } = await failed;
      assert.ok(error.cause instanceof HandshakeRefusedError);
      assert.equal((error.cause as HandshakeRefusedError).status, 403);
    } finally {
      await f.stop();
    }
    const port = await freePort();
    const client = closeAfter(t, new Client({ transport: 'ws', url: `ws://127.0.0.1:${port}/` }));
    await assert.rejects(client.connect(), (error: ConnectError) => error.osCode === 'ECONNREFUSED');
    assert.throws(() => closeAfter(t, new Client({ transport: 'ws', url: 'http://example.com/' })), { code: ErrorCode.InvalidOption });
  });

  it('reconnects with backoff after the server restarts, and sends what was queued offline', async (t) => {
    const port = await freePort();
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'ws', host: '127.0.0.1', port }] }));
    server.on('message', ({ connection, message }) => connection.send(`echo:${String(message)}`));
    await server.start();
    const client = closeAfter(t, new Client({ transport: 'ws', url: `ws://127.0.0.1:${port}/`, reconnect: { initialDelay: 10, maxDelay: 50 } }));
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

  it('offers its protocols, sends its headers and origin; the server sees them and its choice is the connection\'s protocol', async (t) => {
    const seen: Array<{ protocols: string[]; origin: string | undefined; auth: unknown; custom: unknown }> = [];
    const f = await wsServer({
      allowedOrigins: ['https://app.example'],
      handshake: (request) => {
        seen.push({ protocols: request.protocols, origin: request.origin, auth: request.headers.authorization, custom: request.headers['x-custom'] });
        return { type: 'accept', protocol: 'v2' };
      },
    });
    t.after(() => f.stop());
    const client = closeAfter(t, new Client({
      transport: 'ws',
      url: `ws://127.0.0.1:${f.port}/`,
      protocols: ['v1', 'v2'],
      headers: { Authorization: 'Bearer abc', 'X-Custom': 'yes' },
      origin: 'https://app.example',
    }));
    const connection = await client.connect();
    assert.deepEqual(seen, [{ protocols: ['v1', 'v2'], origin: 'https://app.example', auth: 'Bearer abc', custom: 'yes' }]);
    assert.equal(connection.websocket?.protocol, 'v2');
    // An origin the server does not allow: refused with 403 before any connection exists.
    const stranger = closeAfter(t, new Client({ transport: 'ws', url: `ws://127.0.0.1:${f.port}/`, origin: 'https://evil.example' }));
    stranger.on('connectFail', () => undefined);
    await assert.rejects(stranger.connect(), (error: ConnectError) => {
      assert.equal(error.code, ErrorCode.ConnectFailed);
      assert.equal((error.cause as HandshakeRefusedError).status, 403);
      return true;
    });
  });

  it('checks the 101 it gets: a wrong Sec-WebSocket-Accept, or a protocol it did not offer, fails the connect', async (t) => {
    // A fake server that answers every upgrade with 101 and whatever a test case asks for.
    let answer = '';
    const fake = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', (head) => {
        const key = /Sec-WebSocket-Key: (\S+)/i.exec(head.toString())?.[1] ?? '';
        socket.write(answer.replace('{accept}', acceptKey(key)));
      });
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      fake.close();
    });
    const port = (fake.address() as { port: number }).port;
    const cases = [
      { name: 'wrong accept', head: 'Sec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n', problem: /wrong Sec-WebSocket-Accept/ },
      { name: 'protocol not offered', head: 'Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: v9\r\n', problem: /not offered/ },
    ];
    for (const { name, head, problem } of cases) {
      answer = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${head}\r\n`;
      const client = closeAfter(t, new Client({ transport: 'ws', url: `ws://127.0.0.1:${port}/`, protocols: ['v1'] }));
      client.on('connectFail', () => undefined);
      await assert.rejects(client.connect(), (error: ConnectError) => {
        assert.equal(error.code, ErrorCode.ConnectFailed, name);
        assert.ok(error.cause instanceof HandshakeRefusedError, name);
        assert.match(error.cause.message, problem);
        return true;
      });
    }
    // The right accept key and no protocol: connected.
    answer = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n';
    const fine = closeAfter(t, new Client({ transport: 'ws', url: `ws://127.0.0.1:${port}/` }));
    const connection = await fine.connect();
    assert.equal(connection.state, 'open');
    connection.destroy();
  });

  it('connectTimeout: an upgrade never answered fails with ETIMEDOUT (injected clock)', async (t) => {
    const silent = await silentServer(t);
    const clock = new ManualClock();
    const client = closeAfter(t, new Client({ transport: 'ws', url: `ws://127.0.0.1:${silent.port}/`, clock, connectTimeout: 3000 }));
    client.on('connectFail', () => undefined);
    await expectConnectTimeout(client, clock, 3000, silent);
  });
});
