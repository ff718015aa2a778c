import assert from 'node:assert/strict';
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  Client,
  Connection,
  ErrorCode,
  FrameTooLargeError,
  LineCodec,
  ManualClock,
  PeerUnreachableError,
  Registry,
  Server,
  type CloseEvent,
  type DecodeFailEvent,
  type PacketEvent,
  type SendFailEvent,
  type ServerOptions,
  type UdpEndpoint,
} from '../../src/index.js';
import { nextEvent, tick, until } from '../helpers/wait.js';
import { stopAfter } from '../helpers/cleanup.js';

async function udpServer(t: TestContext, endpoint: Omit<UdpEndpoint, 'transport' | 'port' | 'host'> = {}, options: Omit<ServerOptions, 'endpoints'> = {}): Promise<{ server: Server; port: number }> {
  const server = new Server({ ...options, endpoints: [{ transport: 'udp', host: '127.0.0.1', port: 0, ...endpoint }] });
  stopAfter(t, server); // not stop(): some of these servers run on a ManualClock a failed test no longer moves
  await server.start();
  const address = server.addresses()[0];
  if (!address || address.transport !== 'udp') throw new Error('no udp address');
  return { server, port: address.port };
}

/** A full garbage collection, so that heap figures compare what is held rather than what is not yet collected. */
function collector(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** A plain node:dgram peer that records what it receives. */
async function peer(t: TestContext, address = '127.0.0.1'): Promise<{ socket: DgramSocket; received: Buffer[]; port: number }> {
  const socket = createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (data) => received.push(data));
  socket.bind(0, address);
  await once(socket, 'listening');
  t.after(() => {
    try {
      socket.close();
    } catch {
      // closed by the test already
    }
  });
  return { socket, received, port: socket.address().port };
}

describe('UDP endpoint without sessions: packet events and sendTo', () => {
  it('emits packet with the data and the sender, and sendTo answers it', async (t) => {
    const { server, port } = await udpServer(t);
    server.on('packet', ({ data, address, port: from }) => server.sendTo(address, from, Buffer.concat([Buffer.from('echo:'), data])));
    const client = await peer(t);
    const packet = nextEvent<PacketEvent>(server, 'packet');
    client.socket.send('hello', port, '127.0.0.1');
    const event = await packet;
    assert.equal(event.data.toString(), 'hello');
    assert.equal(event.address, '127.0.0.1');
    assert.equal(event.port, client.port);
    await until(() => client.received.length === 1, 3000, 'the answer');
    assert.equal(client.received[0]!.toString(), 'echo:hello');
    assert.equal(server.connectionCount, 0, 'no sessions without sessions: true');
    assert.throws(() => server.sendTo('127.0.0.1', 0, 'x'), { code: ErrorCode.InvalidArgument });
  });

  it('a packet listener that throws loses that datagram only', async (t) => {
    const { server, port } = await udpServer(t);
    let seen = 0;
    server.on('packet', ({ data }) => {
      seen++;
      if (data.toString() === 'bad') throw new Error('handler bug');
    });
    const client = await peer(t);
    client.socket.send('bad', port, '127.0.0.1');
    client.socket.send('good', port, '127.0.0.1');
    await until(() => seen === 2, 3000, 'both datagrams');
  });
});

describe('UDP sessions: each peer is a Connection', () => {
  it('makes one connection per address:port, applies the codec to each datagram, and answers through send()', async (t) => {
    const { server, port } = await udpServer(t, { sessions: true, codec: new LineCodec() });
    server.on('message', ({ connection, message }) => connection.send(`re:${String(message)}`));
    const a = await peer(t);
    const b = await peer(t);
    const established: Connection[] = [];
    server.on('establish', ({ connection }) => established.push(connection));
    a.socket.send('one\n', port, '127.0.0.1');
    a.socket.send('two', port, '127.0.0.1'); // a last line without its newline is still one message
    b.socket.send('three\n', port, '127.0.0.1');
    await until(() => a.received.length === 2 && b.received.length === 1, 3000, 'the answers');
    assert.deepEqual(a.received.map(String), ['re:one\n', 're:two\n']);
    assert.deepEqual(b.received.map(String), ['re:three\n']);
    assert.equal(server.connectionCount, 2);
    const session = established.find((c) => c.remotePort === a.port)!;
    assert.equal(session.transport, 'udp');
    assert.equal(session.remoteAddress, '127.0.0.1');
    assert.equal(session.requests, 2);
    assert.equal(session.state, 'open');
  });

  it('a datagram of 0 bytes is one empty message', async (t) => {
    const { server, port } = await udpServer(t, { sessions: true });
    const messages: unknown[] = [];
    server.on('message', ({ message }) => messages.push(message));
    const client = await peer(t);
    client.socket.send(Buffer.alloc(0), port, '127.0.0.1');
    client.socket.send('after', port, '127.0.0.1');
    await until(() => messages.length === 2, 3000, 'two messages');
    assert.ok(Buffer.isBuffer(messages[0]));
    assert.equal((messages[0] as Buffer).length, 0);
    assert.equal(String(messages[1]), 'after');
  });

  it('a datagram over the endpoint maximum is dropped with decodeFail; the session goes on', async (t) => {
    const { server, port } = await udpServer(t, { sessions: true, maxDatagramBytes: 1000 });
    const messages: string[] = [];
    const fails: DecodeFailEvent[] = [];
    server.on('message', ({ message }) => messages.push(String(message)));
    server.on('decodeFail', (event) => fails.push(event));
    const client = await peer(t);
    client.socket.send(Buffer.alloc(1500, 0x61), port, '127.0.0.1');
    client.socket.send('small', port, '127.0.0.1');
    await until(() => messages.length === 1 && fails.length === 1, 3000, 'the small one and the failure');
    assert.deepEqual(messages, ['small']);
    assert.ok(fails[0]!.error instanceof FrameTooLargeError);
    assert.equal(fails[0]!.error.code, ErrorCode.FrameTooLarge);
    assert.equal(fails[0]!.connection.state, 'open');
    assert.equal(server.connectionCount, 1);
  });

  it("a datagram over the codec's maxFrameBytes is dropped with decodeFail too", async (t) => {
    const { server, port } = await udpServer(t, { sessions: true, codec: new LineCodec({ maxFrameBytes: 64 }) });
    const fails: DecodeFailEvent[] = [];
    const messages: string[] = [];
    server.on('decodeFail', (event) => fails.push(event));
    server.on('message', ({ message }) => messages.push(String(message)));
    const client = await peer(t);
    client.socket.send(`${'x'.repeat(200)}\n`, port, '127.0.0.1');
    client.socket.send('ok\n', port, '127.0.0.1');
    await until(() => fails.length === 1 && messages.length === 1, 3000, 'one failure, one message');
    assert.equal(fails[0]!.error.code, ErrorCode.FrameTooLarge);
    assert.deepEqual(messages, ['ok']);
  });

  it('a flood from 100,000 source ports makes no more sessions than maxConnections; each refusal counted, memory bounded', { timeout: 180_000 }, async (t) => {
    const MAX = 50;
    const { server, port } = await udpServer(t, { sessions: true }, { maxConnections: MAX });
    let refused = 0;
    server.on('reject', ({ reason }) => {
      if (reason === 'maxConnections') refused++;
    });
    let messages = 0;
    server.on('message', () => messages++);
    const gc = collector();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    // Real source ports (spoofing needs raw sockets): a socket per datagram on 127.0.0.2-127.0.0.9,
    // closed once it has sent, so the kernel hands out port after port.
    const SOURCES = 100_000;
    const hello = Buffer.from('hi');
    for (let i = 0; i < SOURCES; i++) {
      const socket = createSocket('udp4');
      socket.bind(0, `127.0.0.${2 + (i % 8)}`);
      await once(socket, 'listening');
      await new Promise<void>((resolve) => socket.send(hello, port, '127.0.0.1', () => resolve()));
      socket.close();
      // Back to the event loop, so that the server reads as datagrams come (a loop of sends that
      // settle on process.nextTick would fill the socket's receive buffer, and the kernel drops).
      await tick();
    }
    await until(() => messages + refused === SOURCES, 30_000, 'every datagram seen');
    assert.equal(server.connectionCount, MAX, 'sessions capped');
    assert.ok(messages >= MAX, `admitted peers' datagrams (a reused source port reaches its session): ${messages}`);
    assert.equal(refused, SOURCES - messages, 'every other datagram refused and counted');
    gc();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    assert.ok(grown < 8 * 1024 * 1024, `heap grew by ${grown} bytes over ${SOURCES} datagrams`);
  });

  it('the heartbeat closes a silent session; its next datagram makes a new one', async (t) => {
    const clock = new ManualClock(Date.now());
    const { server, port } = await udpServer(t, { sessions: true }, { clock, heartbeat: { timeout: 3000, interval: 1000 } });
    const client = await peer(t);
    const first = nextEvent<{ connection: Connection }>(server, 'establish');
    client.socket.send('a', port, '127.0.0.1');
    const { connection } = await first;
    const closed = nextEvent<CloseEvent>(server, 'close');
    clock.advance(3001);
    server.sweepHeartbeats();
    const event = await closed;
    assert.equal(event.connection, connection);
    assert.equal(event.reason, 'idle');
    assert.equal(server.connectionCount, 0);
    const second = nextEvent<{ connection: Connection }>(server, 'establish');
    client.socket.send('b', port, '127.0.0.1');
    const again = await second;
    assert.notEqual(again.connection.id, connection.id);
    assert.equal(server.connectionCount, 1);
  });

  it('a UDP session is reachable through the registry: bound to a user, pushed to by flag, in the same group as a WebSocket user', async (t) => {
    const server = new Server({
      endpoints: [
        { transport: 'udp', host: '127.0.0.1', port: 0, sessions: true, codec: new LineCodec() },
        { transport: 'ws', host: '127.0.0.1', port: 0 },
      ],
    });
    await server.start();
    const registry = new Registry(server);
    t.after(async () => {
      await registry.dispose();
      await server.stop({ timeout: 1000 });
    });
    const [udp, ws] = server.addresses();
    server.on('message', async ({ connection, message }) => {
      await registry.bind(connection, String(message));
      await registry.join(connection, 'room');
      connection.send('joined');
    });
    const player = await peer(t);
    player.socket.send('alice\n', (udp as { port: number }).port, '127.0.0.1');
    const web = new Client({ transport: 'ws', host: '127.0.0.1', port: (ws as { port: number }).port });
    t.after(() => web.close());
    const webMessages: unknown[] = [];
    web.on('message', ({ message }) => webMessages.push(message));
    await web.connect();
    web.send('bob');
    await until(() => player.received.length === 1 && webMessages.length === 1, 3000, 'both joined');
    assert.equal(await registry.sendByFlag('alice', 'to alice'), 1);
    assert.equal(await registry.sendToGroup('room', 'to the room'), 2);
    await until(() => player.received.length === 3 && webMessages.length === 2, 3000, 'the pushes');
    assert.deepEqual(player.received.map(String), ['joined\n', 'to alice\n', 'to the room\n']);
    assert.deepEqual(webMessages, ['joined', 'to the room']);
  });

  it('stop() sends each session its final message and closes it with reason stop', async (t) => {
    const { server, port } = await udpServer(t, { sessions: true });
    const client = await peer(t);
    const established = nextEvent(server, 'establish');
    client.socket.send('hi', port, '127.0.0.1');
    await established;
    const closed = nextEvent<CloseEvent>(server, 'close');
    await server.stop({ finalMessage: 'bye' });
    assert.equal((await closed).reason, 'stop');
    await until(() => client.received.length === 1, 3000, 'the goodbye');
    assert.equal(client.received[0]!.toString(), 'bye');
  });
  it('connectSessions: each session on its own connected socket, so an ICMP port unreachable after sendTo becomes sendFail unreachable on it', async (t) => {
    const { server, port } = await udpServer(t, { sessions: true, connectSessions: true });
    server.on('message', ({ connection, message }) => connection.send(message));
    const client = await peer(t);
    const established = nextEvent<{ connection: Connection }>(server, 'establish');
    client.socket.send('one', port, '127.0.0.1');
    const { connection } = await established;
    await until(() => client.received.length === 1, 3000, 'the echo');
    client.socket.send('two', port, '127.0.0.1');
    await until(() => client.received.length === 2, 3000, 'the second echo');
    assert.equal(connection.requests, 2);
    assert.equal(server.connectionCount, 1, 'still one session: its own socket hears the same peer');
    const fails: SendFailEvent[] = [];
    connection.on('sendFail', (event) => fails.push(event));
    client.socket.close();
    // The session's socket gets connected a few ticks after its first datagram: send until the
    // kernel's answer (ICMP port unreachable) comes back as an event.
    await until(() => {
      // server.sendTo to a peer with a session goes through the session's own socket too.
      if (fails.length === 0) server.sendTo('127.0.0.1', client.port, 'anyone?');
      return fails.length > 0;
    }, 5000, 'sendFail unreachable');
    assert.equal(fails[0]!.code, 'unreachable');
    assert.ok(fails[0]!.error instanceof PeerUnreachableError);
    assert.equal(connection.state, 'open');
    connection.close();
    await until(() => server.connectionCount === 0, 3000, 'the session closed');
  });
});

describe('UDP client', () => {
  it('128 clients each doing 100 request/response round trips with one server, every reply checked', async (t) => {
    const { server, port } = await udpServer(t, { sessions: true });
    server.on('message', ({ connection, message }) => connection.send(Buffer.concat([Buffer.from('re:'), message as Buffer])));
    const CLIENTS = 128;
    const ROUNDS = 100;
    const clients = Array.from({ length: CLIENTS }, () => new Client({ transport: 'udp', host: '127.0.0.1', port }));
    t.after(() => Promise.all(clients.map((client) => client.close())));
    await Promise.all(clients.map((client) => client.connect()));
    const checked = await Promise.all(
      clients.map(async (client, c) => {
        const connection = client.connection!;
        const replies = connection[Symbol.asyncIterator]();
        let ok = 0;
        for (let round = 0; round < ROUNDS; round++) {
          const request = `${c}:${round}`;
          client.send(request);
          const reply = await replies.next();
          assert.equal(reply.done, false);
          assert.equal(String(reply.value), `re:${request}`, `client ${c} round ${round}`);
          ok++;
        }
        return ok;
      }),
    );
    assert.deepEqual(checked, Array(CLIENTS).fill(ROUNDS));
    assert.equal(server.connectionCount, CLIENTS);
  });

  it('a port out of range is an openFail, as over TCP', async (t) => {
    const client = new Client({ transport: 'udp', host: '127.0.0.1', port: 70000 });
    t.after(() => client.close());
    const failed = nextEvent(client, 'openFail');
    await assert.rejects(client.connect(), { code: ErrorCode.OpenFailed });
    await failed;
  });

  it('an ICMP port unreachable becomes a sendFail unreachable on the connection, never a crash', async (t) => {
    // A port nothing listens on: bind one, note it, close it.
    const probe = createSocket('udp4');
    probe.bind(0, '127.0.0.1');
    await once(probe, 'listening');
    const deadPort = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = new Client({ transport: 'udp', host: '127.0.0.1', port: deadPort });
    t.after(() => client.close());
    const connection = await client.connect();
    const failed = nextEvent<SendFailEvent>(client, 'sendFail');
    client.send('anyone?');
    const event = await failed;
    assert.equal(event.code, 'unreachable');
    assert.ok(event.error instanceof PeerUnreachableError);
    assert.equal(event.error.code, ErrorCode.PeerUnreachable);
    assert.equal(connection.state, 'open', 'UDP has no connection to lose: the peer may come up');
    await tick();
  });
});
