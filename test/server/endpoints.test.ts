import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, ErrorCode, JsonCodec, LineCodec, Server, SwitchboardError, isMessageOf, usesCodec } from '../../src/index.js';
import { closeAfter, stopAfter } from '../helpers/cleanup.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { nextEvent, until } from '../helpers/wait.js';

const code = (expected: string) => (error: unknown) => error instanceof SwitchboardError && error.code === expected;

describe('endpoints', () => {
  it('a connection names the endpoint it came in on: the given name, else the listening address', async (t) => {
    const server = stopAfter(t, new Server({
      endpoints: [
        { name: 'devices', transport: 'tcp', host: '127.0.0.1', port: 0 },
        { name: 'admin', transport: 'tcp', host: '127.0.0.1', port: 0 },
        { transport: 'tcp', host: '127.0.0.1', port: 0, codec: new LineCodec() },
      ],
    }));
    await server.start();
    const seen: string[] = [];
    server.on('establish', ({ connection }) => seen.push(connection.endpoint));
    const clients = [
      new Client({ transport: 'tcp', host: '127.0.0.1', port: server.port('devices') }),
      new Client({ transport: 'tcp', host: '127.0.0.1', port: server.port('admin') }),
      new Client({ transport: 'tcp', host: '127.0.0.1', port: server.port(2), codec: new LineCodec() }),
    ];
    for (const client of clients) closeAfter(t, client);
    for (const client of clients) await client.connect();
    await until(() => seen.length === 3, 5000, 'three connections');
    assert.deepEqual(seen.sort(), ['admin', 'devices', `tcp://127.0.0.1:${server.port(2)}`].sort());
    assert.equal(server.port(), server.port('devices'));
    const ids = [...server.connections()].map((connection) => connection.id);
    for (const id of ids) assert.match(id, new RegExp(`^${server.nodeId}\\.[1-9][0-9]*$`), 'ids are <nodeId>.<decimal counter>');
    assert.equal(clients[0]!.connection!.endpoint, `tcp://127.0.0.1:${server.port('devices')}`, "a client's connection names its target");
    assert.throws(() => server.port('nope'), code(ErrorCode.InvalidArgument));
    assert.throws(() => server.port(7), code(ErrorCode.InvalidArgument));
  });

  it('isMessageOf / usesCodec tell connections of different codecs apart in one handler', async (t) => {
    const lines = new LineCodec();
    const json = new JsonCodec<{ n: number }>();
    const server = stopAfter(t, new Server({
      endpoints: [
        { transport: 'tcp', host: '127.0.0.1', port: 0, codec: lines },
        { transport: 'tcp', host: '127.0.0.1', port: 0, codec: json },
      ],
    }));
    const established: boolean[] = [];
    server.on('establish', ({ connection }) => established.push(usesCodec(connection, lines)));
    server.on('message', (event) => {
      if (isMessageOf(event, lines)) event.connection.send(event.message.toUpperCase());
      else if (isMessageOf(event, json)) event.connection.send({ n: event.message.n + 1 });
    });
    await server.start();
    const text = closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port: server.port(0), codec: new LineCodec() }));
    const numbers = closeAfter(t, new Client({ transport: 'tcp', host: '127.0.0.1', port: server.port(1), codec: new JsonCodec<{ n: number }>() }));
    const replies: unknown[] = [];
    text.on('message', ({ message }) => replies.push(message));
    numbers.on('message', ({ message }) => replies.push(message));
    (await text.connect()).send('hi');
    (await numbers.connect()).send({ n: 41 });
    await until(() => replies.length === 2, 5000, 'two replies');
    assert.deepEqual(replies.map((r) => JSON.stringify(r)).sort(), ['"HI"', '{"n":42}']);
    assert.deepEqual(established.sort(), [false, true]);
  });

  it('port() before start() and on a Unix socket is a coded error, not a crash', () => {
    const server = new Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
    assert.throws(() => server.port(), code(ErrorCode.InvalidArgument));
  });

  it('a TCP port out of range, and two endpoints of one name, are ERR_INVALID_OPTION at construction', () => {
    for (const port of [70_000, -1, 1.5, Number.NaN]) {
      assert.throws(
        () => new Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port }] }),
        (error: unknown) => code(ErrorCode.InvalidOption)(error) && /port/.test((error as Error).message),
        `port ${port}`,
      );
    }
    assert.throws(
      () => new Server({ endpoints: [{ transport: 'tcp', port: 0, name: 'a' }, { transport: 'tcp', port: 0, name: 'a' }] }),
      code(ErrorCode.InvalidOption),
    );
  });

  it('stop() gives each connection the goodbye its own codec can frame', async (t) => {
    const server = stopAfter(t, new Server<unknown>({
      endpoints: [
        { name: 'devices', transport: 'tcp', host: '127.0.0.1', port: 0 },
        { name: 'dashboards', transport: 'tcp', host: '127.0.0.1', port: 0, codec: new JsonCodec() },
      ],
    }));
    await server.start();
    const failures: string[] = [];
    server.on('sendFail', ({ code }) => failures.push(code));
    const device = new RawPeer({ port: server.port('devices') }, t);
    const dashboard = new RawPeer({ port: server.port('dashboards') }, t);
    await until(() => [...server.connections()].filter((c) => c.state === 'open').length === 2, 5000, 'two open');
    await server.stop({
      finalMessageFor: (connection) => (connection.endpoint === 'devices' ? Buffer.from([0xde, 0xad]) : { bye: true }),
    });
    await until(() => device.closed && dashboard.closed, 5000, 'both closed');
    assert.deepEqual(device.received, Buffer.from([0, 0, 0, 2, 0xde, 0xad]));
    assert.equal(dashboard.received.toString(), '{"bye":true}\n');
    assert.deepEqual(failures, []);
  });

  it('a goodbye function that throws costs that connection its goodbye only', async (t) => {
    const server = stopAfter(t, new Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0, codec: new LineCodec() }] }));
    await server.start();
    const peers = [new RawPeer({ port: server.port() }, t), new RawPeer({ port: server.port() }, t)];
    await until(() => [...server.connections()].filter((c) => c.state === 'open').length === 2, 5000, 'two open');
    const [first] = [...server.connections()];
    const closed = nextEvent(server, 'stop');
    await server.stop({
      finalMessageFor: (connection) => {
        if (connection === first) throw new Error('no goodbye for you');
        return 'bye';
      },
    });
    await closed;
    await until(() => peers.every((peer) => peer.closed), 5000, 'both closed');
    assert.deepEqual(peers.map((peer) => peer.received.toString()).sort(), ['', 'bye\n']);
  });
});
