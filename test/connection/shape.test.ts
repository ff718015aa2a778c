import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Connection,
  ErrorCode,
  IdleEvent,
  InvalidOptionError,
  ManualClock,
  ReceiveBufferFullError,
  Server,
  type CloseEvent,
  type EndpointOptions,
} from '../../src/index.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { tcpServer } from '../helpers/servers.js';
import { nextEvent, tick, until } from '../helpers/wait.js';

describe('the public Connection', () => {
  it('has the vocabulary of DESIGN.md and none of the internals other layers use', async (t) => {
    const { server, port } = await tcpServer({}, t);
    const established = nextEvent<{ connection: Connection }>(server, 'establish');
    const peer = new RawPeer({ port });
    t.after(async () => {
      peer.socket.destroy();
    });
    const { connection } = await established;
    const internals = ['sendFrame', 'flush', 'establish', 'closeGracefully', 'destroyWith', 'handlerFailed', 'probe', 'acceptHandshake', 'refuseHandshake', 'encoder', 'socket', 'peerCloseCode'];
    for (const name of internals) assert.equal(name in connection, false, `connection.${name}`);
    // What is there, by string name, is the documented API.
    for (const name of ['id', 'transport', 'codec', 'state', 'send', 'sendRaw', 'close', 'destroy', 'pauseReceive', 'resumeReceive', 'context', 'lastHeartbeat']) {
      assert.equal(name in connection, true, `connection.${name}`);
    }
    assert.equal(connection.transport, 'tcp');
    assert.equal(connection.websocket, undefined, 'no WebSocket details on a TCP connection');
    assert.equal(connection.codec, server.codec);
  });
});

describe('heartbeat idle event (detect, let the application decide)', () => {
  it('emits idle for a silent connection; preventDefault keeps it, otherwise it closes with reason idle', async (t) => {
    const clock = new ManualClock(Date.now());
    const { server, port } = await tcpServer({ clock, heartbeat: { timeout: 3000, interval: 1000 } }, t);
    const established = nextEvent<{ connection: Connection }>(server, 'establish');
    const kept = new RawPeer({ port });
    const { connection: keptConnection } = await established;
    const dropped = new RawPeer({ port });
    await dropped.connected();
    t.after(async () => {
      kept.socket.destroy();
      dropped.socket.destroy();
    });
    await until(() => server.connectionCount === 2, 2000, 'two connections');
    const idles: IdleEvent[] = [];
    server.on('idle', (event) => {
      idles.push(event);
      if (event.connection === keptConnection) event.preventDefault();
    });
    const closes: CloseEvent[] = [];
    server.on('close', (event) => closes.push(event));

    clock.advance(3001);
    server.sweepHeartbeats();
    await until(() => dropped.closed, 2000, 'the silent peer nobody kept to close');
    assert.equal(idles.length, 2, 'both silent connections were reported');
    for (const event of idles) {
      assert.ok(event instanceof IdleEvent);
      assert.equal(event.timeout, 3000);
      assert.ok(event.silentFor > 3000, `silentFor ${event.silentFor}`);
    }
    assert.equal(idles.find((e) => e.connection === keptConnection)!.defaultPrevented, true);
    assert.deepEqual(closes.map((c) => c.reason), ['idle']);
    assert.equal(keptConnection.state, 'open');
    assert.equal(kept.closed, false);

    // A listener on the connection itself can keep it too, sweep after sweep.
    keptConnection.on('idle', (event) => event.preventDefault());
    server.removeAllListeners('idle');
    clock.advance(10_000);
    server.sweepHeartbeats();
    await tick();
    assert.equal(keptConnection.state, 'open');
  });
});

describe('endpoints are validated when the server is constructed', () => {
  const bad: Array<[string, unknown, string]> = [
    ['a TCP port out of range', { transport: 'tcp', port: 70000 }, 'port'],
    ['a negative port', { transport: 'tcp', port: -1 }, 'port'],
    ['a port that is not a number', { transport: 'tcp', port: '80' }, 'port'],
    ['a host that is not a string', { transport: 'tcp', port: 0, host: 7 }, 'host'],
    ['a TLS endpoint without key material', { transport: 'tls', port: 0, tls: {} }, 'tls'],
    ['a TLS handshake timeout of 0', { transport: 'tls', port: 0, tls: { key: 'k', cert: 'c' }, handshakeTimeout: 0 }, 'handshakeTimeout'],
    ['a Unix endpoint without a path', { transport: 'unix', path: '' }, 'path'],
    ['a backlog that is not an integer', { transport: 'tcp', port: 0, backlog: 1.5 }, 'backlog'],
    ['a codec that is not one', { transport: 'tcp', port: 0, codec: {} }, 'codec'],
    ['an unknown transport', { transport: 'sctp', port: 0 }, 'transport'],
    ['a WebSocket port out of range', { transport: 'ws', port: 65536 }, 'port'],
    ['endpoint limits out of range', { transport: 'tcp', port: 0, limits: { maxSendBufferSize: 0 } }, 'maxSendBufferSize'],
    ['a UDP port out of range', { transport: 'udp', port: 70000 }, 'port'],
    ['a UDP datagram maximum over 65507', { transport: 'udp', port: 0, maxDatagramBytes: 70000 }, 'maxDatagramBytes'],
    ['UDP sessions that are not a boolean', { transport: 'udp', port: 0, sessions: 'yes' }, 'sessions'],
    ['a message codec on a UDP endpoint', { transport: 'udp', port: 0, messageCodec: {} }, 'messageCodec'],
  ];
  for (const [what, endpoint, option] of bad) {
    it(`${what}: ERR_INVALID_OPTION naming ${option}`, () => {
      assert.throws(
        () => new Server({ endpoints: [endpoint as EndpointOptions] }),
        (error: unknown) => error instanceof InvalidOptionError && error.code === ErrorCode.InvalidOption && error.message.includes(option),
      );
    });
  }
});

describe('one error class per failure', () => {
  it('a receive buffer over its limit closes with a ReceiveBufferFullError', async (t) => {
    const { server, port } = await tcpServer({ limits: { maxReceiveBufferSize: 1024 } }, t);
    const peer = new RawPeer({ port });
    t.after(async () => {
      peer.socket.destroy();
    });
    await peer.connected();
    const closed = nextEvent<CloseEvent>(server, 'close');
    // A length field announcing 1 MiB, then more bytes than the limit while it never completes.
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1024 * 1024);
    peer.socket.write(Buffer.concat([header, Buffer.alloc(2048)]));
    const event = await closed;
    assert.equal(event.reason, 'limit');
    assert.ok(event.error instanceof ReceiveBufferFullError);
    assert.equal(event.error.code, ErrorCode.ReceiveBufferFull);
    assert.equal((event.error as ReceiveBufferFullError).limit, 1024);
  });
});
