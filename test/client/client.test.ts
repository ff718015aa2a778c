import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, ErrorCode, ManualClock, Server, type ClientCommonOptions, type ConnectFailEvent, type OpenFailEvent } from '../../src/index.js';
import { Backoff } from '../../src/client/backoff.js';
import { freePort, tcpServer } from '../helpers/servers.js';
import { nextEvent, until } from '../helpers/wait.js';
import { expectConnectTimeout, silentServer } from '../helpers/silent-server.js';
import { stopAfter, closeAfter, type After } from '../helpers/cleanup.js';

/** A TCP client of a loopback port on a ManualClock, closed after the test. */
function manualClient(t: After, port: number, options: Omit<ClientCommonOptions, 'clock' | 'transport'>): { client: Client; clock: ManualClock } {
  const clock = new ManualClock();
  return { clock, client: closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port, clock, ...options })) };
}

describe('Client', () => {
  it('a closed port: connectFail with ECONNREFUSED, connect() rejects', async (t) => {
    const port = await freePort();
    const client = closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port }));
    const failed = nextEvent<ConnectFailEvent>(client, 'connectFail');
    await assert.rejects(client.connect(), { code: ErrorCode.ConnectFailed, osCode: 'ECONNREFUSED' });
    const event = await failed;
    assert.equal(event.osCode, 'ECONNREFUSED');
    assert.equal(event.attempt, 1);
  });

  it('a bad host: openFail; a bad port: openFail at once', async (t) => {
    const client = closeAfter(t, new Client({ transport: 'tcp', host: 'no-such-host.invalid', port: 7000 }));
    const failed = nextEvent<OpenFailEvent>(client, 'openFail');
    await assert.rejects(client.connect(), { code: ErrorCode.OpenFailed });
    assert.equal((await failed).error.osCode, 'ENOTFOUND');
    const badPort = closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port: 70000 }));
    await assert.rejects(badPort.connect(), { code: ErrorCode.OpenFailed });
  });

  it('reconnects with backoff after the server restarts, and flushes the offline queue in order', async (t) => {
    const { server, port } = await tcpServer({}, t);
    const received: string[] = [];
    const track = (s: Server): void => {
      s.on('message', ({ message }) => received.push(String(message)));
    };
    track(server);
    const client = closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port, reconnect: { initialDelay: 20, maxDelay: 100 } }));
    await client.connect();
    client.send('before');
    await until(() => received.length === 1, 2000, 'first message');
    const reconnecting = nextEvent(client, 'reconnect');
    await server.stop();
    await reconnecting;
    assert.equal(client.send('while down 1'), null);
    assert.equal(client.send('while down 2'), null);
    assert.equal(client.queuedWhileOffline, 2);
    const again = stopAfter(t, new Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port }] }));
    track(again);
    const reestablished = nextEvent(client, 'establish', 5000);
    await again.start();
    await reestablished;
    await until(() => received.length === 3, 2000, 'queued messages');
    assert.deepEqual(received, ['before', 'while down 1', 'while down 2']);
    await client.close();
    await again.stop();
  });

  it('the offline queue is bounded: over it, sendFail offlineQueueFull', async (t) => {
    const port = await freePort();
    const client = closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port, reconnect: { initialDelay: 1000 }, offlineQueue: { maxMessages: 2 } }));
    client.on('connectFail', () => undefined);
    const fails: string[] = [];
    client.on('sendFail', (event) => fails.push(`${event.code} ${event.lostMessages} ${event.error?.code ?? '-'}`));
    assert.equal(client.send('1'), null);
    assert.equal(client.send('2'), null);
    assert.equal(client.send('3'), false);
    assert.deepEqual(fails, [`offlineQueueFull 1 ${ErrorCode.OfflineQueueFull}`]);
    await client.close();
    assert.deepEqual(fails, [`offlineQueueFull 1 ${ErrorCode.OfflineQueueFull}`, 'remoteClosed 2 -'], 'what was queued is reported lost on close');
  });

  it("offline queue policies: dropOldest makes room, maxAge drops what went stale; establish listeners speak first", async (t) => {
    const { server, port } = await tcpServer({}, t);
    const received: string[] = [];
    server.on('message', ({ message }) => received.push(String(message)));
    const { client, clock } = manualClient(t, port, { offlineQueue: { maxMessages: 2, overflow: 'dropOldest', maxAge: 1000 } });
    const fails: string[] = [];
    client.on('sendFail', (event) => fails.push(`${event.code} ${event.lostMessages}`));
    client.on('establish', ({ connection }) => connection.send('hello'));
    assert.equal(client.send('a'), null);
    assert.equal(client.send('b'), null);
    clock.advance(500);
    assert.equal(client.send('c'), null, 'dropOldest takes the new one');
    assert.deepEqual(fails, ['offlineQueueFull 1'], "the oldest ('a') is reported lost");
    assert.equal(client.queuedWhileOffline, 2);
    clock.advance(700); // 'b' is 1200 ms old, 'c' 700 ms
    await client.connect();
    await until(() => received.length === 2, 5000, 'hello and the fresh message');
    assert.deepEqual(received, ['hello', 'c']);
    assert.deepEqual(fails, ['offlineQueueFull 1', 'offlineExpired 1']);
  });

  it('client heartbeat: a quiet connection is probed; a server that answers keeps it, one that went silent gets it closed (idle) and reconnect takes over', async (t) => {
    const { server, port } = await tcpServer({}, t);
    let answering = true;
    const probes: string[] = [];
    server.on('message', ({ connection, message }) => {
      probes.push(String(message));
      if (answering) connection.send('pong');
    });
    const { client, clock } = manualClient(t, port, { heartbeat: { interval: 100, timeout: 250, probe: 'ping' }, reconnect: { initialDelay: 1_000_000 } });
    const pongs: string[] = [];
    client.on('message', ({ message }) => pongs.push(String(message)));
    const connection = await client.connect();
    for (let round = 1; round <= 5; round++) {
      clock.advance(100);
      await until(() => pongs.length === round, 5000, `pong ${round}`);
    }
    assert.equal(connection.state, 'open', 'five intervals, past the timeout twice over, and still open: every probe was answered');
    assert.deepEqual(probes, ['ping', 'ping', 'ping', 'ping', 'ping']);

    answering = false;
    const closed = nextEvent<{ reason: string }>(client, 'close');
    const reconnecting = nextEvent(client, 'reconnect');
    clock.advance(100); // probed, no answer
    await until(() => probes.length === 6, 5000, 'the sixth probe');
    clock.advance(100);
    clock.advance(100); // 300 ms of silence > 250
    assert.equal((await closed).reason, 'idle');
    await reconnecting;
  });

  it('client heartbeat options are validated', () => {
    assert.throws(
      () => new Client({ transport: 'tcp', host: '127.0.0.1', port: 1, heartbeat: { interval: 0 } }),
      (error: Error & { code?: string }) => error.code === ErrorCode.InvalidOption && /heartbeat\.interval/.test(error.message),
    );
  });

  it('offline queue options are validated, naming the option', () => {
    for (const offlineQueue of [{ overflow: 'oldest' }, { maxAge: -1 }, { maxMessages: 1.5 }]) {
      assert.throws(
        () => new Client({ transport: 'tcp', host: '127.0.0.1', port: 1, offlineQueue: offlineQueue as never }),
        (error: Error & { code?: string }) => error.code === ErrorCode.InvalidOption && /offlineQueue\./.test(error.message),
      );
    }
  });

  it('gives up after maxAttempts and rejects connect()', async (t) => {
    const port = await freePort();
    const client = closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port, reconnect: { initialDelay: 1, maxAttempts: 3 } }));
    let failures = 0;
    client.on('connectFail', () => failures++);
    await assert.rejects(client.connect(), { code: ErrorCode.ConnectFailed });
    assert.equal(failures, 3);
  });

  it('connect() on a closed client, or pending when the client is closed: ERR_CLIENT_CLOSED', async (t) => {
    const port = await freePort();
    const client = closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port, reconnect: { initialDelay: 60_000 } }));
    client.on('connectFail', () => undefined);
    const pending = client.connect();
    await nextEvent(client, 'reconnect'); // refused once, now waiting a minute to retry
    await client.close();
    await assert.rejects(pending, { code: ErrorCode.ClientClosed });
    await assert.rejects(client.connect(), { code: ErrorCode.ClientClosed });
  });

  it('connectTimeout: an attempt not ready in time fails with ETIMEDOUT (injected clock), its socket closed', async (t) => {
    const silent = await silentServer(t); // a TLS handshake to it never completes
    const clock = new ManualClock();
    const client = closeAfter(t, new Client({ transport: 'tls', host: '127.0.0.1', port: silent.port, clock, connectTimeout: 5000, tls: {} }));
    const failed = nextEvent<ConnectFailEvent>(client, 'connectFail');
    await expectConnectTimeout(client, clock, 5000, silent);
    assert.equal((await failed).osCode, 'ETIMEDOUT');
    await until(() => silent.closed === 1, 2000, 'the abandoned socket to be closed');
  });

  it('backoff grows exponentially, is capped, and jitter only shortens it', () => {
    const none = new Backoff({ initialDelay: 100, factor: 2, maxDelay: 1000, jitter: 0.5 }, () => 0);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => none.delay(n)), [100, 200, 400, 800, 1000, 1000]);
    const full = new Backoff({ initialDelay: 100, factor: 2, maxDelay: 1000, jitter: 0.5 }, () => 1);
    assert.deepEqual([1, 2, 3].map((n) => full.delay(n)), [50, 100, 200]);
    assert.throws(() => new Backoff({ jitter: 2 }), { code: ErrorCode.InvalidOption });
  });
});
