import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client, ErrorCode, Server, ServerEvent, SwitchboardError, type CloseEvent, type Connection } from '../../src/index.js';
import { makeTlsMaterial } from '../helpers/tls-material.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { nextEvent, until } from '../helpers/wait.js';
import { stopAfter, closeAfter } from '../helpers/cleanup.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-server-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tls = makeTlsMaterial();

function echoServer(server: Server): Server {
  server.on('message', ({ connection, message }) => connection.send(message));
  return server;
}

describe('Server', () => {
  it('serves TCP, TLS and Unix endpoints alike, with the whole event vocabulary', async (t) => {
    const path = join(dir, 'alike.sock');
    const server = echoServer(
      stopAfter(t, new Server({
        endpoints: [
          { transport: 'tcp', host: '127.0.0.1', port: 0 },
          { transport: 'tls', host: '127.0.0.1', port: 0, tls },
          { transport: 'unix', path },
        ],
        maxConnections: 3,
      })),
    );
    // Every server event, in order, with what it says: `name transport detail`.
    const seen: string[] = [];
    server.on(ServerEvent.Start, ({ addresses }) => seen.push(`start ${addresses.map((a) => a.transport).join(',')}`));
    server.on(ServerEvent.Accept, ({ connection }) => seen.push(`accept ${connection.transport}`));
    server.on(ServerEvent.Establish, ({ connection }) => seen.push(`establish ${connection.transport}`));
    server.on(ServerEvent.Message, ({ connection, message }) => seen.push(`message ${connection.transport} ${String(message)}`));
    server.on(ServerEvent.Reject, ({ reason, remoteAddress }) => seen.push(`reject ${reason} ${remoteAddress}`));
    server.on(ServerEvent.Close, ({ connection, reason }) => seen.push(`close ${connection.transport} ${reason}`));
    server.on(ServerEvent.Stop, () => seen.push('stop'));
    await server.start();
    const [tcpAddress, tlsAddress] = server.addresses();
    assert.ok(tcpAddress && tcpAddress.transport === 'tcp' && tlsAddress && tlsAddress.transport === 'tls');
    const clients = [
      closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port: tcpAddress.port })),
      closeAfter(t, new Client({ transport: 'tls', host: '127.0.0.1', port: tlsAddress.port, tls: { ca: tls.cert } })),
      closeAfter(t, new Client({ transport: 'unix', path })),
    ];
    for (const client of clients) {
      const connection = await client.connect();
      assert.equal(connection.send(`hi over ${connection.transport}`), true);
      const reply = await nextEvent<{ message: Buffer }>(connection, 'message');
      assert.equal(reply.message.toString(), `hi over ${connection.transport}`);
    }
    assert.equal(server.connectionCount, 3);
    for (const connection of server.connections()) {
      assert.equal(connection.requests, 1);
      assert.equal(connection.readBytes, 4 + `hi over ${connection.transport}`.length);
      assert.equal(connection.writtenBytes, 4 + `hi over ${connection.transport}`.length);
      assert.equal(connection.state, 'open');
    }
    // A fourth connection is over maxConnections: refused at accept, with the address it came from.
    const extra = new RawPeer({ port: tcpAddress.port }, t);
    await until(() => extra.closed, 2000, 'the fourth connection to be refused');
    for (const client of clients) await client.close();
    await until(() => server.connectionCount === 0, 2000, 'connections to close');
    await server.stop();
    assert.deepEqual(seen.slice(0, 11), [
      'start tcp,tls,unix',
      'accept tcp', 'establish tcp', 'message tcp hi over tcp',
      'accept tls', 'establish tls', 'message tls hi over tls',
      'accept unix', 'establish unix', 'message unix hi over unix',
      'reject maxConnections 127.0.0.1',
    ]);
    // The three closes race each other over three transports: their order is not promised.
    assert.deepEqual(seen.slice(11, 14).sort(), ['close tcp peer', 'close tls peer', 'close unix peer']);
    assert.deepEqual(seen.slice(14), ['stop']);
  });

  it('rejects start() on a used address with the address in the error', async (t) => {
    const first = stopAfter(t, new Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] }));
    await first.start();
    const port = first.addresses()[0]!.transport === 'tcp' ? (first.addresses()[0] as { port: number }).port : 0;
    const second = stopAfter(t, new Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port }] }));
    await assert.rejects(second.start(), (error: SwitchboardError) => {
      assert.equal(error.code, ErrorCode.AddressInUse);
      assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      return true;
    });
    assert.equal(second.state, 'idle');
    await first.stop();
  });

  it('rejects bad TLS material at start()', async (t) => {
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tls', port: 0, tls: { key: 'not a key', cert: 'not a cert' } }] }));
    await assert.rejects(server.start(), { code: ErrorCode.BadTlsMaterial });
  });

  it('refuses reusePort on a Node without SO_REUSEPORT instead of ignoring it', async (t) => {
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    const supported = major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0, reusePort: true }] }));
    if (supported) {
      await server.start();
      await server.stop();
    } else {
      await assert.rejects(server.start(), { code: ErrorCode.Unsupported });
    }
  });

  it('stop() sends the final message, flushes queues and closes every connection with reason stop', async (t) => {
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] }));
    const reasons: string[] = [];
    server.on('close', (event: CloseEvent) => reasons.push(event.reason));
    server.on('establish', ({ connection }) => {
      for (let i = 0; i < 100; i++) connection.send(`queued ${i}`);
    });
    await server.start();
    const port = (server.addresses()[0] as { port: number }).port;
    const peers = [new RawPeer({ port }, t), new RawPeer({ port }, t)];
    await Promise.all(peers.map((p) => p.connected()));
    await until(() => server.connectionCount === 2, 2000, 'two connections');
    await server.stop({ finalMessage: 'goodbye' });
    await until(() => peers.every((p) => p.closed), 2000, 'peers to see the close');
    for (const peer of peers) {
      const frames = peer.frames();
      assert.equal(frames.length, 101);
      assert.equal(frames[99], 'queued 99');
      assert.equal(frames[100], 'goodbye');
    }
    assert.deepEqual(reasons, ['stop', 'stop']);
  });

  it('stop() meets its deadline even when a peer never reads, and reports what was lost', async (t) => {
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }], stopTimeout: 300, limits: { maxSendBufferSize: 64 * 1024 * 1024 } }));
    await server.start();
    const port = (server.addresses()[0] as { port: number }).port;
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    peer.socket.pause();
    await until(() => server.connectionCount === 1, 2000, 'connection');
    const connection = [...server.connections()][0]!;
    const lost = nextEvent<{ code: string; lostBytes: number; lostMessages: number }>(server, 'sendFail', 5000);
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 32; i++) connection.send(big);
    await server.stop(); // resolves: the deadline destroyed the stalled connection
    const failure = await lost;
    assert.equal(failure.code, 'remoteClosed');
    assert.ok(failure.lostBytes > 0);
    // 32 messages of 1 MiB: what the kernel took is gone, at least the last one was never written.
    assert.ok(failure.lostMessages >= 1 && failure.lostMessages <= 32, `lostMessages ${failure.lostMessages}`);
    assert.ok(failure.lostBytes <= 32 * (4 + big.length), `lostBytes ${failure.lostBytes}`);
    peer.socket.destroy();
  });

  it('refuses connections over maxConnections and maxConnectionsPerAddress at once', async (t) => {
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }], maxConnections: 3, maxConnectionsPerAddress: 2 }));
    const rejected: string[] = [];
    server.on('reject', (event) => rejected.push(`${event.reason} ${event.remoteAddress}`));
    await server.start();
    const port = (server.addresses()[0] as { port: number }).port;
    const fromOne = [new RawPeer({ port }, t), new RawPeer({ port }, t), new RawPeer({ port }, t)];
    await until(() => fromOne[2]!.closed, 2000, 'third peer from one address to be refused');
    assert.equal(server.connectionCount, 2);
    assert.deepEqual(rejected, ['maxConnectionsPerAddress 127.0.0.1']);
    const other = new RawPeer({ port, localAddress: '127.0.0.2' }, t);
    await other.connected();
    await until(() => server.connectionCount === 3, 2000, 'third connection');
    const overAll = new RawPeer({ port, localAddress: '127.0.0.3' }, t);
    await until(() => overAll.closed, 2000, 'peer over maxConnections to be refused');
    assert.deepEqual(rejected, ['maxConnectionsPerAddress 127.0.0.1', 'maxConnections 127.0.0.3']);
    for (const peer of [...fromOne, other]) peer.socket.destroy();
    await server.stop();
  });

  it('replaces a stale Unix socket file and refuses a live one', async (t) => {
    const path = join(dir, 'stale.sock');
    const live = stopAfter(t, new Server({ endpoints: [{ transport: 'unix', path }] }));
    await live.start();
    const rival = stopAfter(t, new Server({ endpoints: [{ transport: 'unix', path }] }));
    await assert.rejects(rival.start(), { code: ErrorCode.AddressInUse });
    // Leave a stale file behind as a crashed process would: a bound socket nobody listens on.
    await live.stop();
    const { spawnSync } = await import('node:child_process');
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.exit(0))`], { timeout: 30_000 });
    const { lstatSync } = await import('node:fs');
    assert.ok(lstatSync(path).isSocket(), 'a stale socket file is left behind');
    const fresh = echoServer(stopAfter(t, new Server({ endpoints: [{ transport: 'unix', path }] })));
    await fresh.start();
    const client = closeAfter(t, new Client({ transport: 'unix', path }));
    const connection: Connection = await client.connect();
    connection.send('after stale');
    const reply = await nextEvent<{ message: Buffer }>(connection, 'message');
    assert.equal(reply.message.toString(), 'after stale');
    await client.close();
    await fresh.stop();
  });
});
