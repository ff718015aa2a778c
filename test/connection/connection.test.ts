import assert from 'node:assert/strict';
import { createPrivateKey } from 'node:crypto';
import { createSecureContext, connect as tlsConnect } from 'node:tls';
import { describe, it } from 'node:test';
import { Client, ErrorCode, HEARTBEAT_DEFAULTS, ManualClock, Server, type CloseEvent, type Connection, type SendFailEvent } from '../../src/index.js';
import { LineCodec } from '../../src/codec/line-codec.js';
import { ITERATOR_HIGH_WATER } from '../../src/connection/message-iterator.js';
import { makeTlsMaterial } from '../helpers/tls-material.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { tcpServer } from '../helpers/servers.js';
import { countSocketWrites } from '../helpers/count-writes.js';
import { linkOf } from '../../src/connection/internal.js';
import { closeAfter, stopAfter, type After } from '../helpers/cleanup.js';
import { nextEvent, tick, until } from '../helpers/wait.js';

async function serverSide(server: Server, count = 1): Promise<Connection> {
  await until(() => server.connectionCount >= count, 2000, 'server-side connection');
  return [...server.connections()].at(-1)!;
}

/** A server with one raw peer connected, and the server's side of that connection; all closed after the test. */
async function acceptedPeer(t: After, options: Parameters<typeof tcpServer>[0] = {}): Promise<{ server: Server; port: number; peer: RawPeer; connection: Connection }> {
  const { server, port } = await tcpServer(options, t);
  const peer = new RawPeer({ port }, t);
  await peer.connected();
  return { server, port, peer, connection: await serverSide(server) };
}

describe('Connection', () => {
  it('coalesces a turn of sends into one socket write, and a lone send goes out at once', async (t) => {
    const { server, peer, connection } = await acceptedPeer(t);
    const writes = countSocketWrites(connection);
    for (let i = 0; i < 100; i++) assert.equal(connection.send(`m${i}`), true);
    await until(() => peer.frames().length === 100, 2000, '100 frames');
    assert.equal(writes.count, 1, 'one write for the whole turn');
    assert.equal(peer.frames()[99], 'm99');
    connection.send('alone');
    await until(() => peer.frames().length === 101, 2000, 'the lone frame');
    assert.equal(writes.count, 2);
    peer.socket.destroy();
    await server.stop();
  });

  it('send() after close returns false with sendFail remoteClosed, never throws', async (t) => {
    const { server, peer, connection } = await acceptedPeer(t);
    const closed = nextEvent<CloseEvent>(connection, 'close');
    peer.socket.destroy();
    assert.equal((await closed).reason, 'peer');
    const failed = nextEvent<SendFailEvent>(connection, 'sendFail');
    assert.equal(connection.send('too late'), false);
    assert.equal((await failed).code, 'remoteClosed');
    assert.equal(connection.sendRaw('raw too'), false);
    assert.equal(connection.state, 'closed');
    await server.stop();
  });

  it('close(final) writes everything queued and the final message, then closes', async (t) => {
    const { server, peer, connection } = await acceptedPeer(t);
    connection.send('one');
    connection.send('two');
    connection.close('bye');
    await until(() => peer.closed, 2000, 'peer closed');
    assert.deepEqual(peer.frames(), ['one', 'two', 'bye']);
    await server.stop();
  });

  it('pauseReceive() holds messages until resumeReceive()', async (t) => {
    const { server, port } = await tcpServer({}, t);
    const got: string[] = [];
    server.on('message', ({ connection, message }) => {
      got.push(String(message));
      if (got.length === 1) connection.pauseReceive();
    });
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    peer.socket.write(Buffer.concat([RawPeer.frame('a'), RawPeer.frame('b'), RawPeer.frame('c')]));
    const connection = await serverSide(server);
    await until(() => got.length === 1, 2000, 'first message');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(got, ['a']);
    assert.equal(connection.receivePaused, true);
    connection.resumeReceive();
    await until(() => got.length === 3, 2000, 'the rest');
    assert.deepEqual(got, ['a', 'b', 'c']);
    peer.socket.destroy();
    await server.stop();
  });

  it('a handler that throws or rejects fails only its connection; the server serves on', async (t) => {
    const { server, port } = await tcpServer({}, t);
    server.on('message', ({ connection, message }) => {
      const text = String(message);
      if (text === 'throw') throw new Error('boom');
      connection.send(text);
    });
    server.on('message', async ({ message }) => {
      if (String(message) === 'reject') throw new Error('async boom');
    });
    const closes: CloseEvent[] = [];
    server.on('close', (event) => closes.push(event));
    const bad = new RawPeer({ port }, t);
    const worse = new RawPeer({ port }, t);
    const good = new RawPeer({ port }, t);
    await Promise.all([bad.connected(), worse.connected(), good.connected()]);
    bad.socket.write(RawPeer.frame('throw'));
    worse.socket.write(RawPeer.frame('reject'));
    await until(() => bad.closed && worse.closed, 2000, 'failing peers closed');
    assert.equal(closes.length, 2);
    for (const close of closes) {
      assert.equal(close.reason, 'error');
      assert.equal(close.error?.code, ErrorCode.HandlerFailed);
    }
    good.socket.write(RawPeer.frame('fine'));
    await until(() => good.frames().includes('fine'), 2000, 'echo on the good connection');
    good.socket.destroy();
    await server.stop();
  });

  it('a half-close by the peer delivers the last frame once, then close', async (t) => {
    const { server, port } = await tcpServer({ codec: new LineCodec() }, t);
    const got: string[] = [];
    const events: string[] = [];
    server.on('message', ({ message }) => {
      got.push(String(message));
      events.push('message');
    });
    server.on('close', () => events.push('close'));
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    peer.socket.end('first\nlast without newline');
    await until(() => events.includes('close'), 2000, 'close');
    assert.deepEqual(got, ['first', 'last without newline']);
    assert.deepEqual(events, ['message', 'message', 'close']);
    await server.stop();
  });

  it('async iteration yields messages and ends on close', async (t) => {
    const { server, port } = await tcpServer({}, t);
    server.on('message', ({ connection, message }) => {
      connection.send(message);
      if (String(message) === 'last') connection.close();
    });
    const client = closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port }));
    const connection = await client.connect();
    for (const text of ['x', 'y', 'last']) connection.send(text);
    const got: string[] = [];
    for await (const message of connection) got.push(String(message));
    assert.deepEqual(got, ['x', 'y', 'last']);
    await client.close();
    await server.stop();
  });

  it('an iterator whose consumer lags pauses reading at 1,024 undelivered messages, resumes as it catches up', async (t) => {
    const { server, peer, connection } = await acceptedPeer(t);
    const iterator = connection[Symbol.asyncIterator]();
    const total = 2000;
    peer.socket.write(Buffer.concat(Array.from({ length: total }, (_, i) => RawPeer.frame(`m${i}`))));
    // Either it paused (right) or it went on to deliver everything (the bug): wait for one.
    await until(() => connection.receivePaused || connection.requests === total, 5000, 'a pause or every message');
    assert.equal(connection.receivePaused, true, 'reading paused');
    assert.equal(connection.requests, ITERATOR_HIGH_WATER, 'nothing decoded past the high-water mark');
    const got: string[] = [];
    while (got.length < total) {
      const next = await iterator.next();
      assert.equal(next.done, false);
      got.push(String(next.value));
    }
    assert.deepEqual(got, Array.from({ length: total }, (_, i) => `m${i}`));
    assert.equal(connection.receivePaused, false);
  });

  it('a peer that resets the connection: close with ERR_CONNECTION, the system error as cause', async (t) => {
    const { server, peer, connection } = await acceptedPeer(t);
    const closed = nextEvent<CloseEvent>(connection, 'close');
    peer.socket.resetAndDestroy(); // an RST, as a crashed host or a middlebox sends
    const close = await closed;
    assert.equal(close.reason, 'peer');
    assert.equal(close.error?.code, ErrorCode.ConnectionError);
    assert.equal((close.error?.cause as NodeJS.ErrnoException).code, 'ECONNRESET');
  });

  it('TCP_NODELAY is on for every accepted and dialled socket, so a lone message is not held back (Nagle)', async (t) => {
    // Nagle's delay cannot be provoked deterministically on loopback without timing; what makes a
    // lone message leave at once is the socket option, read back from Node's socket.
    const noDelay = (connection: Connection): unknown => {
      const socket = (connection[linkOf] as unknown as { socket: object }).socket;
      const symbol = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'kSetNoDelay');
      assert.ok(symbol, 'Node keeps the TCP_NODELAY setting of a socket under kSetNoDelay');
      return (socket as Record<symbol, unknown>)[symbol];
    };
    const { server, port } = await tcpServer({}, t);
    const client = closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port }));
    const dialled = await client.connect();
    const accepted = await serverSide(server);
    assert.equal(noDelay(accepted), true, 'accepted socket');
    assert.equal(noDelay(dialled), true, 'dialled socket');
    // And a lone send is written in the turn it was made: one write, no batching timer.
    const writes = countSocketWrites(accepted);
    assert.equal(accepted.send('alone'), true);
    await tick();
    assert.equal(writes.count, 1);
    assert.equal(String((await nextEvent<{ message: Buffer }>(dialled, 'message')).message), 'alone');
  });
});

describe('TLS connections', () => {
  const tls = makeTlsMaterial();

  it('plaintext garbage to a TLS listener ends that connection with a coded error; the server serves on', async (t) => {
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tls', host: '127.0.0.1', port: 0, tls }] }));
    server.on('message', ({ connection, message }) => connection.send(message));
    await server.start();
    const port = (server.addresses()[0] as { port: number }).port;
    const closed = nextEvent<CloseEvent>(server, 'close');
    const garbage = new RawPeer({ port }, t);
    await garbage.connected();
    garbage.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const close = await closed;
    assert.equal(close.reason, 'error');
    assert.equal(close.error?.code, ErrorCode.TlsHandshake);
    const client = closeAfter(t, new Client({ transport: 'tls', host: '127.0.0.1', port, tls: { ca: tls.cert } }));
    const connection = await client.connect();
    connection.send('secure hello');
    assert.equal(String((await nextEvent<{ message: Buffer }>(connection, 'message')).message), 'secure hello');
    await client.close();
    garbage.socket.destroy();
    await server.stop();
  });

  it('an encrypted key with its passphrase, or a secureContext of your own, serves TLS; a wrong passphrase is ERR_BAD_TLS_MATERIAL', async (t) => {
    const encrypted = createPrivateKey(tls.key).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' });
    const wrong = new Server({ endpoints: [{ transport: 'tls', host: '127.0.0.1', port: 0, tls: { key: encrypted, cert: tls.cert, passphrase: 'wrong' } }] });
    await assert.rejects(wrong.start(), { code: ErrorCode.BadTlsMaterial });
    const server = stopAfter(t, new Server({
      endpoints: [
        { transport: 'tls', host: '127.0.0.1', port: 0, tls: { key: encrypted, cert: tls.cert, passphrase: 'open sesame' } },
        { transport: 'tls', host: '127.0.0.1', port: 0, tls: { secureContext: createSecureContext({ key: tls.key, cert: tls.cert }) } },
      ],
    }));
    server.on('message', ({ connection, message }) => connection.send(message));
    await server.start();
    for (const address of server.addresses()) {
      const client = closeAfter(t, new Client({ transport: 'tls', host: '127.0.0.1', port: (address as { port: number }).port, tls: { ca: tls.cert } }));
      const connection = await client.connect();
      connection.send(`over ${address.transport}`);
      assert.equal(String((await nextEvent<{ message: Buffer }>(connection, 'message')).message), `over ${address.transport}`);
      await client.close();
    }
  });

  it('a client certificate whose key is encrypted: the client passphrase unlocks it', async (t) => {
    const encrypted = createPrivateKey(tls.key).export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'client secret' });
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tls', host: '127.0.0.1', port: 0, tls: { ...tls, ca: tls.cert, requestCert: true } }] }));
    server.on('message', ({ connection, message }) => connection.send(message));
    await server.start();
    const port = (server.addresses()[0] as { port: number }).port;
    const client = closeAfter(t, new Client({ transport: 'tls', host: '127.0.0.1', port, tls: { ca: tls.cert, cert: tls.cert, key: encrypted, passphrase: 'client secret' } }));
    const connection = await client.connect();
    connection.send('unlocked');
    assert.equal(String((await nextEvent<{ message: Buffer }>(connection, 'message')).message), 'unlocked');
  });

  it('requestCert: a client with a trusted certificate is served, one without is refused', async (t) => {
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tls', host: '127.0.0.1', port: 0, tls: { ...tls, ca: tls.cert, requestCert: true } }] }));
    server.on('message', ({ connection, message }) => connection.send(message));
    await server.start();
    const port = (server.addresses()[0] as { port: number }).port;
    const trusted = closeAfter(t, new Client({ transport: 'tls', host: '127.0.0.1', port, tls: { ca: tls.cert, cert: tls.cert, key: tls.key } }));
    const connection = await trusted.connect();
    connection.send('with a certificate');
    assert.equal(String((await nextEvent<{ message: Buffer }>(connection, 'message')).message), 'with a certificate');
    await trusted.close();
    const closed = nextEvent<CloseEvent>(server, 'close');
    const anonymous = closeAfter(t, new Client({ transport: 'tls', host: '127.0.0.1', port, tls: { ca: tls.cert } }));
    anonymous.on('connectFail', () => undefined);
    await anonymous.connect().then(
      (c) => new Promise((resolve) => c.once('close', resolve)), // TLS 1.3: refused just after the handshake
      () => undefined,
    );
    const close = await closed;
    assert.equal(close.reason, 'error');
    assert.equal(close.error?.code, ErrorCode.TlsHandshake);
    await server.stop();
  });

  it('TLS 1.2 renegotiation is refused, so a renegotiation flood costs no handshakes', { timeout: 10_000 }, async (t) => {
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tls', host: '127.0.0.1', port: 0, tls }] }));
    server.on('message', ({ connection, message }) => connection.send(message));
    await server.start();
    const port = (server.addresses()[0] as { port: number }).port;
    const socket = tlsConnect({ port, host: '127.0.0.1', ca: tls.cert, servername: 'localhost', maxVersion: 'TLSv1.2' });
    await nextEvent(socket, 'secureConnect');
    // The server's refusal reaches the client as an error event (the callback is not called).
    const refused = nextEvent<NodeJS.ErrnoException>(socket, 'error');
    socket.renegotiate({}, () => undefined);
    assert.equal((await refused).code, 'ERR_SSL_NO_RENEGOTIATION');
    socket.destroy();
    const client = closeAfter(t, new Client({ transport: 'tls', host: '127.0.0.1', port, tls: { ca: tls.cert } }));
    const connection = await client.connect();
    connection.send('still serving');
    assert.equal(String((await nextEvent<{ message: Buffer }>(connection, 'message')).message), 'still serving');
    await client.close();
    await server.stop();
  });

  it('a stalled TLS handshake is closed at handshakeTimeout (injected clock)', async (t) => {
    const clock = new ManualClock(Date.now());
    const server = stopAfter(t, new Server({ clock, endpoints: [{ transport: 'tls', host: '127.0.0.1', port: 0, tls, handshakeTimeout: 5000 }] }));
    await server.start();
    const port = (server.addresses()[0] as { port: number }).port;
    const staller = new RawPeer({ port }, t);
    await staller.connected();
    await until(() => server.connectionCount === 1, 2000, 'accepted');
    const closed = nextEvent<CloseEvent>(server, 'close');
    clock.advance(4000);
    await tick();
    assert.equal(server.connectionCount, 1, 'still within the timeout');
    clock.advance(1001);
    const close = await closed;
    assert.equal(close.error?.code, ErrorCode.HandshakeTimeout);
    // A proper client still gets in.
    const socket = tlsConnect({ port, host: '127.0.0.1', ca: tls.cert });
    await nextEvent(socket, 'secureConnect');
    socket.destroy();
    staller.socket.destroy();
    await server.stop();
  });
});

describe('heartbeat', () => {
  it('closes a silent connection within interval + timeout, keeps a chatty one (injected clock)', async (t) => {
    const clock = new ManualClock(Date.now());
    const { server, port } = await tcpServer({ clock, heartbeat: { timeout: 3000, interval: 1000 } }, t);
    const silent = new RawPeer({ port }, t);
    const chatty = new RawPeer({ port }, t);
    await Promise.all([silent.connected(), chatty.connected()]);
    await until(() => server.connectionCount === 2, 2000, 'two connections');
    const reasons: string[] = [];
    server.on('close', (event) => reasons.push(event.reason));
    for (let second = 1; second <= 4; second++) {
      chatty.socket.write(RawPeer.frame('ping'));
      await until(() => [...server.connections()].some((c) => c.requests === second), 2000, 'message');
      clock.advance(1000);
      await tick();
    }
    await until(() => silent.closed, 2000, 'silent peer closed');
    assert.deepEqual(reasons, ['idle']);
    assert.equal(chatty.closed, false);
    server.setHeartbeat(false);
    assert.equal(server.heartbeatEnabled, false);
    // A sweep closes synchronously (state 'closing' at once), so reading the state right after
    // advancing the clock is exact: no wait that a slow close could outrun.
    const chattyConnection = [...server.connections()][0]!;
    clock.advance(60_000);
    assert.equal(chattyConnection.state, 'open', 'heartbeat off: nobody is closed');
    assert.equal(server.connectionCount, 1);
  });

  it('setHeartbeat(true | options) turns it back on at run time, with the options given or the last ones', async (t) => {
    const clock = new ManualClock(Date.now());
    const { server, port } = await tcpServer({ clock }, t);
    assert.equal(server.heartbeatEnabled, false, 'off by default');
    const first = new RawPeer({ port }, t);
    await first.connected();
    const connection = await serverSide(server);
    clock.advance(HEARTBEAT_DEFAULTS.timeout + HEARTBEAT_DEFAULTS.interval);
    assert.equal(connection.state, 'open', 'no heartbeat yet');
    server.setHeartbeat({ timeout: 3000, interval: 1000 });
    assert.equal(server.heartbeatEnabled, true);
    clock.advance(1000); // silent since it opened, long before: closed at the first sweep
    assert.equal(connection.state, 'closing');
    await until(() => first.closed && server.connectionCount === 0, 2000, 'the silent peer closed');
    server.setHeartbeat(false);
    const second = new RawPeer({ port }, t);
    await second.connected();
    const again = await serverSide(server);
    clock.advance(10_000);
    assert.equal(again.state, 'open', 'off again');
    second.socket.write(RawPeer.frame('alive')); // a message: silent from now on
    await until(() => again.requests === 1, 2000, 'the message');
    server.setHeartbeat(true); // back on with the last options: timeout 3 s, interval 1 s
    clock.advance(3000);
    assert.equal(again.state, 'open', 'silent for 3 s: not more than the timeout yet');
    clock.advance(1000);
    assert.equal(again.state, 'closing', 'silent for 4 s > 3 s: closed, so the last options were kept');
  });
});
