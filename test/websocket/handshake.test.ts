import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, ManualClock, type CloseEvent } from '../../src/index.js';
import type { Connection } from '../../src/index.js';
import { extension, subprotocol } from '../../src/transport/websocket/ws-library.js';
import { makeTlsMaterial } from '../helpers/tls-material.js';
import { until } from '../helpers/wait.js';
import { wsServer, type WsFixture } from './fixtures.js';
import { RawWebSocket, rawExchange, upgradeRequest } from './raw-websocket.js';

let fixture: WsFixture;
before(async () => {
  fixture = await wsServer({ path: '/ws', maxHeaderSize: 256 * 1024 });
});
after(() => fixture.stop());

/** The response to a raw request, which must come quickly and close the socket. */
async function answer(request: string, port = fixture.port): Promise<string> {
  const { response, closed, elapsed } = await rawExchange(port, request);
  assert.ok(closed, `socket closed (after ${elapsed} ms)`);
  return response;
}

async function stillServes(port = fixture.port, path = '/ws'): Promise<void> {
  const peer = await RawWebSocket.open(port, upgradeRequest(path));
  assert.equal(peer.status, 101);
  peer.destroy();
}

describe('WebSocket handshake', () => {
  it('answers a valid request with 101 and the right Sec-WebSocket-Accept', async () => {
    const request = upgradeRequest('/ws', { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' });
    const peer = await RawWebSocket.open(fixture.port, request);
    assert.match(peer.response, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(peer.response, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
    assert.doesNotMatch(peer.response, /Sec-WebSocket-Protocol|Sec-WebSocket-Extensions/);
    peer.destroy();
  });

  it('refuses a missing or malformed Sec-WebSocket-Key with 400', async () => {
    assert.match(await answer(upgradeRequest('/ws', { 'Sec-WebSocket-Key': '' })), /^HTTP\/1\.1 400 /);
    assert.match(await answer(upgradeRequest('/ws', { 'Sec-WebSocket-Key': 'short' })), /^HTTP\/1\.1 400 /);
    assert.match(await answer(upgradeRequest('/ws', { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==, dGhlIHNhbXBsZSBub25jZQ==' })), /^HTTP\/1\.1 400 /);
  });

  it('refuses a wrong Sec-WebSocket-Version with 426 (naming 13), a missing one with 400', async () => {
    const wrong = await answer(upgradeRequest('/ws', { 'Sec-WebSocket-Version': '8' }));
    assert.match(wrong, /^HTTP\/1\.1 426 /);
    assert.match(wrong, /\r\nSec-WebSocket-Version: 13\r\n/);
    assert.match(await answer(upgradeRequest('/ws', { 'Sec-WebSocket-Version': '' })), /^HTTP\/1\.1 400 /);
  });

  it('refuses a request that is not a GET with 405, an unknown path with 404, plain HTTP with 426', async () => {
    assert.match(await answer(upgradeRequest('/ws').replace(/^GET/, 'POST')), /^HTTP\/1\.1 405 /);
    assert.match(await answer(upgradeRequest('/elsewhere')), /^HTTP\/1\.1 404 /);
    assert.match(await answer('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 426 /);
    await stillServes();
  });

  it('answers an endless header with 431 and serves on', { timeout: 30_000 }, async () => {
    const small = await wsServer({ path: '/' });
    try {
      const { response, closed } = await rawExchange(small.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Endless: ${'a'.repeat(100_000)}`);
      assert.ok(closed);
      assert.match(response, /^HTTP\/1\.1 431 /);
      await stillServes(small.port, '/');
    } finally {
      await small.stop();
    }
  });

  it('answers 2,000 request headers with 431 and serves on', async () => {
    const headers: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) headers[`x${i}`] = '1';
    const response = await answer(upgradeRequest('/ws', headers));
    assert.match(response, /^HTTP\/1\.1 431 /);
    await stillServes();
  });

  it('rejects pathological Sec-WebSocket-Protocol and -Extensions values with 400, in linear time', { timeout: 30_000 }, async () => {
    assert.match(await answer(upgradeRequest('/ws', { 'Sec-WebSocket-Protocol': `chat${' '.repeat(32_000)}x` })), /^HTTP\/1\.1 400 /);
    assert.match(await answer(upgradeRequest('/ws', { 'Sec-WebSocket-Extensions': `permessage-deflate${' '.repeat(32_000)}x` })), /^HTTP\/1\.1 400 /);
    assert.match(await answer(upgradeRequest('/ws', { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits="10' })), /^HTTP\/1\.1 400 /);
    assert.match(await answer(upgradeRequest('/ws', { 'Sec-WebSocket-Extensions': '__proto__' })), /^HTTP\/1\.1 400 /);
    const odd = await RawWebSocket.open(fixture.port, upgradeRequest('/ws', { 'Sec-WebSocket-Extensions': 'foo; constructor=1' }));
    assert.equal(odd.status, 101); // a parameter name is only a key of its own map
    odd.destroy();
    assert.match(await answer(upgradeRequest('/ws', { 'Sec-WebSocket-Protocol': 'a, a' })), /^HTTP\/1\.1 400 /);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    // The parsers themselves, on inputs 30x longer: linear means milliseconds, quadratic means
    // minutes, which the test's timeout catches (no timing assertion on a shared machine).
    assert.throws(() => subprotocol.parse(`a${' '.repeat(1_000_000)}b`));
    assert.throws(() => extension.parse(`a; b="${'c'.repeat(1_000_000)}`));
    assert.throws(() => extension.parse(`a${'\t'.repeat(1_000_000)}b`));
    await stillServes();
  });

  it('checks Origin against allowedOrigins: others get 403, requests without Origin pass', async () => {
    const guarded = await wsServer({ allowedOrigins: ['https://app.example'] });
    try {
      assert.match(await answer(upgradeRequest('/', { Origin: 'https://evil.example' }), guarded.port), /^HTTP\/1\.1 403 /);
      const allowed = await RawWebSocket.open(guarded.port, upgradeRequest('/', { Origin: 'https://APP.example' }));
      assert.equal(allowed.status, 101);
      allowed.destroy();
      const none = await RawWebSocket.open(guarded.port, upgradeRequest('/'));
      assert.equal(none.status, 101);
      none.destroy();
    } finally {
      await guarded.stop();
    }
  });

  it('refuses an HTTP/1.0 upgrade with 400 (RFC 6455 4.1: HTTP/1.1 or later)', async () => {
    const response = await answer(upgradeRequest('/ws').replace(' HTTP/1.1\r\n', ' HTTP/1.0\r\n'));
    assert.match(response, /^HTTP\/1\.1 400 /);
    assert.match(response, /HTTP\/1\.1 or later$/);
    await stillServes();
  });

  it('refuses an Upgrade that is not websocket with 400; without Upgrade or Connection: upgrade it is plain HTTP, 426', async () => {
    const wrongUpgrade = await answer(upgradeRequest('/ws', { Upgrade: 'h2c' }));
    assert.match(wrongUpgrade, /^HTTP\/1\.1 400 /);
    assert.match(wrongUpgrade, /Upgrade header$/);
    // Node's parser only sees an upgrade with both headers; without one it is a plain request.
    assert.match(await answer(upgradeRequest('/ws', { Connection: 'keep-alive' })), /^HTTP\/1\.1 426 /);
    assert.match(await answer(upgradeRequest('/ws', { Upgrade: '' })), /^HTTP\/1\.1 426 /);
    await stillServes();
  });

  it('an explicit maxHeaders: one header more is refused with 431, as many pass', async () => {
    const f = await wsServer({ maxHeaders: 6 });
    try {
      // upgradeRequest sends 5 headers.
      const six = await RawWebSocket.open(f.port, upgradeRequest('/', { 'X-One': '1' }));
      assert.equal(six.status, 101);
      six.destroy();
      assert.match(await answer(upgradeRequest('/', { 'X-One': '1', 'X-Two': '2' }), f.port), /^HTTP\/1\.1 431 /);
      await stillServes(f.port, '/');
    } finally {
      await f.stop();
    }
  });

  it("checks the hook's answer: CR/LF in a header, a status outside 400-599, a protocol the client did not offer", async () => {
    const f = await wsServer({
      handshake: (request) => {
        switch (request.query.get('case')) {
          case 'crlf-accept':
            return { type: 'accept', headers: { 'X-Split': 'a\r\nSet-Cookie: stolen=1' } };
          case 'crlf-refuse':
            return { type: 'refuse', status: 403, headers: { 'X-Split': 'a\r\nSet-Cookie: stolen=1' } };
          case 'status':
            return { type: 'refuse', status: 302, reason: 'go elsewhere' };
          case 'protocol':
            return { type: 'accept', protocol: 'not-offered' };
          default:
            return undefined;
        }
      },
    });
    try {
      for (const name of ['crlf-accept', 'crlf-refuse', 'protocol']) {
        const response = await answer(upgradeRequest(`/?case=${name}`, { 'Sec-WebSocket-Protocol': 'offered' }), f.port);
        assert.match(response, /^HTTP\/1\.1 500 /, name);
        assert.doesNotMatch(response, /Set-Cookie/i, `${name}: no header smuggled in`);
      }
      // A status that is not an error is never sent as a refusal: it becomes 500.
      const status = await answer(upgradeRequest('/?case=status'), f.port);
      assert.match(status, /^HTTP\/1\.1 500 /);
      await until(() => f.closes.length === 4, 1000, 'four close events');
      assert.deepEqual(
        f.closes.map((c) => c.error?.code),
        [ErrorCode.HandlerFailed, ErrorCode.HandlerFailed, ErrorCode.HandlerFailed, ErrorCode.HandshakeRefused],
      );
      const plain = await RawWebSocket.open(f.port, upgradeRequest('/'));
      assert.equal(plain.status, 101);
      plain.destroy();
    } finally {
      await f.stop();
    }
  });

  it('chooses the first subprotocol of the endpoint list that the client offers', async () => {
    const f = await wsServer({ protocols: ['v2.chat', 'v1.chat'] });
    try {
      const peer = await RawWebSocket.open(f.port, upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'v1.chat, v2.chat' }));
      assert.match(peer.response, /\r\nSec-WebSocket-Protocol: v2\.chat\r\n/);
      await until(() => f.server.connectionCount === 1, 1000, 'connection');
      assert.equal([...f.server.connections()][0]!.websocket?.protocol, 'v2.chat');
      peer.destroy();
      const none = await RawWebSocket.open(f.port, upgradeRequest('/', { 'Sec-WebSocket-Protocol': 'v3.chat' }));
      assert.equal(none.status, 101);
      assert.doesNotMatch(none.response, /Sec-WebSocket-Protocol/);
      none.destroy();
    } finally {
      await f.stop();
    }
  });

  it('runs the handshake hook: accept with context, protocol and headers; refuse with a status; a throw is 500', async () => {
    const seen: Array<{ path: string; token: string | null; protocols: string[]; remote: string | undefined }> = [];
    const f = await wsServer({
      handshake: async (request) => {
        seen.push({ path: request.path, token: request.query.get('token'), protocols: request.protocols, remote: request.remoteAddress });
        await new Promise((resolve) => setImmediate(resolve));
        const token = request.query.get('token');
        if (token === 'boom') throw new Error('hook exploded');
        if (token !== 'good') return { type: 'refuse', status: 401, reason: 'bad token' };
        return { type: 'accept', context: { user: 'ada' }, protocol: 'json', headers: { 'X-Hello': 'there' } };
      },
    });
    try {
      const accepted: Connection[] = [];
      f.server.on('establish', ({ connection }) => accepted.push(connection));
      const peer = await RawWebSocket.open(f.port, upgradeRequest('/?token=good', { 'Sec-WebSocket-Protocol': 'xml, json' }));
      assert.equal(peer.status, 101);
      assert.match(peer.response, /\r\nSec-WebSocket-Protocol: json\r\n/);
      assert.match(peer.response, /\r\nX-Hello: there\r\n/);
      await until(() => accepted.length === 1, 1000, 'establish');
      assert.deepEqual(accepted[0]!.context, { user: 'ada' });
      assert.equal(accepted[0]!.websocket?.protocol, 'json');
      assert.equal(accepted[0]!.websocket?.request?.query.get('token'), 'good');
      peer.destroy();

      const refused = await answer(upgradeRequest('/?token=bad'), f.port);
      assert.match(refused, /^HTTP\/1\.1 401 /);
      assert.match(refused, /bad token$/);
      await until(() => f.closes.some((c) => c.error?.code === ErrorCode.HandshakeRefused), 1000, 'refusal close event');
      assert.match(await answer(upgradeRequest('/?token=boom'), f.port), /^HTTP\/1\.1 500 /);
      await until(() => f.closes.some((c) => c.error?.code === ErrorCode.HandlerFailed), 1000, 'hook failure close event');
      assert.deepEqual(seen[0], { path: '/', token: 'good', protocols: ['xml', 'json'], remote: '127.0.0.1' });
      assert.equal(accepted.length, 1);
    } finally {
      await f.stop();
    }
  });

  it('keeps the request as node:http read it, repeated headers merged alike, without the handshake\'s own headers', async () => {
    let seen: Record<string, unknown> | undefined;
    const f = await wsServer({
      path: '/chat',
      handshake: (info) => {
        seen = { ...info.headers };
        return undefined;
      },
    });
    try {
      const lines = [
        'GET /chat?room=7&who=a%20b HTTP/1.1',
        'Host: 127.0.0.1',
        'Upgrade: websocket',
        'Connection: Upgrade',
        `Sec-WebSocket-Key: ${Buffer.alloc(16, 7).toString('base64')}`,
        'Sec-WebSocket-Version: 13',
        'Origin: https://example.com',
        'Cookie: a=1',
        'X-Tag: one',
        'User-Agent: first',
        'Cookie: b=2',
        'x-tag: two',
        'User-Agent: second',
        'Set-Cookie: s=1',
        'Set-Cookie: s=2',
        'Accept-Language: en',
        'Accept-Language: fr',
        'Content-Type: text/a',
        'Content-Type: text/b',
      ];
      const peer = await RawWebSocket.open(f.port, `${lines.join('\r\n')}\r\n\r\n`);
      assert.equal(peer.status, 101);
      await until(() => f.server.connectionCount === 1 && [...f.server.connections()][0]!.state === 'open', 5000, 'the connection');
      const request = [...f.server.connections()][0]!.websocket!.request!;
      const expected = { ...seen! };
      for (const name of ['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version']) {
        assert.ok(name in expected, `node:http has ${name}`);
        delete expected[name];
      }
      assert.deepEqual({ ...request.headers }, expected);
      assert.equal(request.headers.cookie, 'a=1; b=2');
      assert.equal(request.headers['x-tag'], 'one, two');
      assert.equal(request.headers['user-agent'], 'first');
      assert.deepEqual(request.headers['set-cookie'], ['s=1', 's=2']);
      assert.equal(request.url, '/chat?room=7&who=a%20b');
      assert.equal(request.path, '/chat');
      assert.equal(request.query.get('who'), 'a b');
      assert.equal(request.origin, 'https://example.com');
      assert.equal(request.headers, request.headers, 'built once');
      peer.destroy();
    } finally {
      await f.stop();
    }
  });

  it('queues what is sent before the handshake completes and writes it after the 101', async () => {
    const f = await wsServer({ handshake: () => new Promise((resolve) => setTimeout(() => resolve(undefined), 20)) });
    try {
      f.server.on('accept', ({ connection }) => connection.send('welcome'));
      const peer = await RawWebSocket.open(f.port, upgradeRequest('/'));
      assert.equal(peer.status, 101);
      assert.equal((await peer.nextFrame()).payload.toString(), 'welcome');
      peer.destroy();
    } finally {
      await f.stop();
    }
  });

  it('what is queued before the 101 is kept as its own bytes while other connections write meanwhile', async () => {
    // Frames are written into the turn's shared output slab, which is reused after each flush: a
    // queue kept across turns (a handshake hook still deciding) must not keep views of it.
    let hooks = 0;
    const f = await wsServer({ handshake: () => (hooks++ === 0 ? undefined : new Promise((resolve) => setTimeout(() => resolve(undefined), 50))) });
    try {
      f.server.on('accept', ({ connection }) => connection.send(`welcome ${'w'.repeat(100)}`));
      const busy = await RawWebSocket.open(f.port, upgradeRequest('/'));
      assert.equal((await busy.nextFrame()).payload.toString(), `welcome ${'w'.repeat(100)}`);
      const waiting = RawWebSocket.open(f.port, upgradeRequest('/'));
      // While the second handshake waits, the first connection's echoes go through the slab, turn after turn.
      for (let i = 0; i < 10; i++) {
        busy.send(0x1, `echo ${i} ${'e'.repeat(200)}`);
        assert.equal((await busy.nextFrame()).payload.toString(), `echo ${i} ${'e'.repeat(200)}`);
      }
      const peer = await waiting;
      assert.equal(peer.status, 101);
      assert.equal((await peer.nextFrame()).payload.toString(), `welcome ${'w'.repeat(100)}`);
      peer.destroy();
      busy.destroy();
    } finally {
      await f.stop();
    }
  });

  it('closes a slowloris at the handshake timeout (injected clock) while serving others', async () => {
    const clock = new ManualClock();
    const f = await wsServer({ handshakeTimeout: 5000 }, { clock });
    try {
      const slow = connect({ port: f.port, host: '127.0.0.1' });
      let slowClosed = false;
      slow.on('close', () => (slowClosed = true));
      slow.on('error', () => undefined);
      await new Promise((resolve) => slow.once('connect', resolve));
      for (const byte of 'GET / HTTP/1.1\r\nHo') {
        slow.write(byte);
        clock.advance(100);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await stillServes(f.port, '/');
      assert.equal(slowClosed, false);
      clock.advance(5000);
      await until(() => slowClosed, 1000, 'the slow socket to be closed');
      await stillServes(f.port, '/');
    } finally {
      await f.stop();
    }
  });

  it('closes a stalled TLS ClientHello on wss at the handshake timeout (injected clock)', async () => {
    const clock = new ManualClock();
    const f = await wsServer({ transport: 'wss', tls: makeTlsMaterial(), handshakeTimeout: 2000 }, { clock });
    try {
      const stalled = connect({ port: f.port, host: '127.0.0.1' });
      let closed = false;
      stalled.on('close', () => (closed = true));
      stalled.on('error', () => undefined);
      await new Promise((resolve) => stalled.once('connect', resolve));
      stalled.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello, and nothing more
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(closed, false);
      clock.advance(2000);
      await until(() => closed, 1000, 'the stalled socket to be closed');
    } finally {
      await f.stop();
    }
  });

  it('closes a handshake whose hook never answers at the timeout, with ERR_HANDSHAKE_TIMEOUT', async () => {
    const clock = new ManualClock();
    const f = await wsServer({ handshakeTimeout: 1000, handshake: () => new Promise<void>(() => undefined) }, { clock });
    try {
      const peer = new Promise<{ closed: boolean }>((resolve) => {
        void rawExchange(f.port, upgradeRequest('/'), 3000).then(resolve);
      });
      await until(() => f.server.connectionCount === 1, 1000, 'the pending connection');
      clock.advance(1000);
      assert.ok((await peer).closed);
      await until(() => f.closes.length === 1, 1000, 'close event');
      assert.equal(f.closes[0]!.error?.code, ErrorCode.HandshakeTimeout);
    } finally {
      await f.stop();
    }
  });

  it('bounds what a client sends before the handshake completes', async () => {
    const f = await wsServer({ limits: { maxReceiveBufferSize: 4096 }, handshake: () => new Promise<void>(() => undefined) });
    try {
      const exchange = rawExchange(f.port, upgradeRequest('/'));
      await until(() => f.server.connectionCount === 1, 1000, 'the pending connection');
      const socket = connect({ port: f.port, host: '127.0.0.1' });
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(upgradeRequest('/') + 'x'.repeat(64 * 1024));
      await until(() => f.closes.some((c) => c.reason === 'limit'), 1000, 'the flooding handshake to be closed');
      assert.equal(f.closes.find((c) => c.reason === 'limit')!.error?.code, ErrorCode.ReceiveBufferFull);
      socket.destroy();
      void exchange;
    } finally {
      await f.stop();
    }
  });

  it('refuses upgrades beyond maxConnections or maxConnectionsPerAddress with 503, with a reject event naming the address', async () => {
    for (const [limit, reason] of [[{ maxConnections: 1 }, 'maxConnections'], [{ maxConnectionsPerAddress: 1 }, 'maxConnectionsPerAddress']] as const) {
      const f = await wsServer({}, limit);
      try {
        const rejects: string[] = [];
        f.server.on('reject', (event) => rejects.push(`${event.reason} ${event.remoteAddress}`));
        const first = await RawWebSocket.open(f.port, upgradeRequest('/'));
        assert.equal(first.status, 101);
        assert.match(await answer(upgradeRequest('/'), f.port), /^HTTP\/1\.1 503 /, reason);
        assert.deepEqual(rejects, [`${reason} 127.0.0.1`]);
        first.destroy();
        await until(() => f.server.connectionCount === 0, 1000, 'the first to close');
        await stillServes(f.port, '/');
      } finally {
        await f.stop();
      }
    }
  });

  it('answers a handshake pending when the server stops with 503', async () => {
    const f = await wsServer({ handshake: () => new Promise<void>(() => undefined) });
    const exchange = rawExchange(f.port, upgradeRequest('/'));
    await until(() => f.server.connectionCount === 1, 1000, 'the pending connection');
    await f.server.stop();
    const { response, closed } = await exchange;
    assert.ok(closed);
    assert.match(response, /^HTTP\/1\.1 503 /);
    const event: CloseEvent = f.closes[0]!;
    assert.equal(event.reason, 'stop');
  });
});
