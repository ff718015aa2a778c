import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import {
  Client,
  ErrorCode,
  Registry,
  RegistryEvent,
  type Connection,
  type SwitchboardError,
  type UnregisterEvent,
} from '../../src/index.js';
import { makeTlsMaterial } from '../helpers/tls-material.js';
import type { RawPeer } from '../helpers/raw-peer.js';
import { until } from '../helpers/wait.js';
import { Fixture } from './fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const settle = (ms = 30): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the peer has `count` frames, then a little longer to catch any extra copy. */
async function framesOf(peer: RawPeer, count: number): Promise<string[]> {
  await until(() => peer.frames().length >= count, 3000, `${count} frames`);
  await settle();
  return peer.frames();
}

function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  return assert.rejects(promise, (error: SwitchboardError) => error.code === code);
}

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

describe('Registry', () => {
  it('registers connections of every endpoint on establish and forgets them on close', async () => {
    const tls = makeTlsMaterial();
    const path = join(dir, 'alike.sock');
    fixture = await Fixture.start({
      endpoints: [
        { transport: 'tcp', host: '127.0.0.1', port: 0 },
        { transport: 'tls', host: '127.0.0.1', port: 0, tls },
        { transport: 'unix', path },
      ],
    });
    const { server, registry } = fixture;
    const addresses = server.addresses();
    const tlsPort = addresses[1]!.transport === 'tls' ? (addresses[1] as { port: number }).port : 0;
    const clients = [
      new Client({ transport: 'tcp', host: '127.0.0.1', port: fixture.port }),
      new Client({ transport: 'tls', host: '127.0.0.1', port: tlsPort, tls: { ca: tls.cert } }),
      new Client({ transport: 'unix', path }),
    ];
    for (const client of clients) await client.connect();
    await until(() => fixture!.registered === 3, 3000, 'three registrations');

    const ids = [...server.connections()].map((c) => c.id).sort();
    assert.deepEqual((await registry.connections()).sort(), ids);
    assert.equal(await registry.connectionCount(), 3);
    for (const id of ids) assert.equal(await registry.exists(id), true);
    assert.equal(await registry.sendToAll('to all three'), 3);
    for (const client of clients) {
      await until(() => client.connection?.requests === 1, 3000, 'the broadcast on every transport');
    }

    await Promise.all(clients.map((client) => client.close()));
    await until(() => fixture!.registered === 0, 3000, 'unregistrations');
    assert.equal(await registry.connectionCount(), 0);
    for (const id of ids) assert.equal(await registry.exists(id), false);
  });

  it('registers connections already open when it is made, and stops following on dispose', async () => {
    fixture = await Fixture.start();
    await fixture.connect(2);
    const late = new Registry(fixture.server);
    assert.equal(await late.connectionCount(), 2);
    await late.dispose();
    await fixture.connect(1);
    assert.equal(await late.connectionCount(), 2, 'a disposed registry no longer follows the server');
  });

  it('binds a connection to one flag at a time; a flag holds many connections', async () => {
    fixture = await Fixture.start();
    const { registry } = fixture;
    const [a, b, c] = (await fixture.connect(3)).map((peer) => fixture!.connectionOf(peer)) as [Connection, Connection, Connection];

    assert.equal(await registry.bind(a, 'alice'), true);
    assert.equal(await registry.bind(b.id, 'alice'), true);
    assert.equal(await registry.bind(c, 'bob'), true);
    assert.equal(await registry.flagExists('alice'), true);
    assert.equal(await registry.flagCount('alice'), 2);
    assert.deepEqual((await registry.flagConnections('alice')).sort(), [a.id, b.id].sort());
    assert.equal(await registry.flagCount(['alice', 'bob']), 3);
    assert.equal(await registry.flagOf(c), 'bob');

    assert.equal(await registry.bind(b, 'bob'), true, 're-binding moves b');
    assert.equal(await registry.flagOf(b), 'bob');
    assert.deepEqual(await registry.flagConnections('alice'), [a.id]);
    assert.equal(await registry.flagCount('bob'), 2);

    assert.equal(await registry.unbind(a), true);
    assert.equal(await registry.unbind(a), false, 'nothing left to unbind');
    assert.equal(await registry.flagExists('alice'), false);
    assert.equal(await registry.flagOf(a), undefined);
    assert.equal(await registry.bind('no-such-id', 'alice'), false);
    assert.equal(await registry.flagExists('alice'), false);
  });

  it('joins and leaves groups, and cleans flag and groups up on close with an unregister event', async () => {
    fixture = await Fixture.start();
    const { registry, server } = fixture;
    const peers = await fixture.connect(2);
    const [a, b] = peers.map((peer) => fixture!.connectionOf(peer)) as [Connection, Connection];

    assert.equal(await registry.join(a, ['red', 'blue']), true);
    assert.equal(await registry.join(a, 'green'), true);
    assert.equal(await registry.join(b, 'red'), true);
    await registry.bind(a, 'alice');
    assert.deepEqual((await registry.groupsOf(a)).sort(), ['blue', 'green', 'red']);
    assert.deepEqual((await registry.groups()).sort(), ['blue', 'green', 'red']);
    assert.equal(await registry.groupCount('red'), 2);
    assert.equal(await registry.groupCount(['red', 'blue']), 2, 'members of two groups count once');
    assert.deepEqual((await registry.groupConnections(['red', 'blue'])).sort(), [a.id, b.id].sort());

    assert.equal(await registry.leave(a, 'green'), true);
    assert.deepEqual((await registry.groups()).sort(), ['blue', 'red'], 'an emptied group is gone');
    assert.equal(await registry.leave('no-such-id', 'red'), false);

    const unregistered = new Promise<UnregisterEvent>((resolve) => registry.once(RegistryEvent.Unregister, resolve));
    let seenByCloseListener: boolean | undefined;
    server.on('close', ({ connection }) => {
      if (connection === a) void registry.exists(a).then((exists) => (seenByCloseListener = exists));
    });
    peers[0]!.socket.destroy();
    const event = await unregistered;
    assert.equal(event.connection, a);
    assert.equal(event.flag, 'alice');
    assert.deepEqual(event.groups.sort(), ['blue', 'red']);
    await until(() => seenByCloseListener !== undefined, 2000, 'the close listener');
    assert.equal(seenByCloseListener, false, 'gone from the registry when server close listeners run');
    assert.deepEqual(await registry.groups(), ['red']);
    assert.equal(await registry.groupCount('red'), 1);
    assert.equal(await registry.flagExists('alice'), false);
    assert.deepEqual(await registry.groupsOf(a), []);
  });

  it('pushes to ids, flags, groups and all, with except, each target once', async () => {
    fixture = await Fixture.start();
    const { registry } = fixture;
    const peers = await fixture.connect(4);
    const [a, b, c, d] = peers.map((peer) => fixture!.connectionOf(peer)) as [Connection, Connection, Connection, Connection];
    await registry.join(a, ['red', 'blue']);
    await registry.join(b, 'red');
    await registry.join(c, 'blue');
    await registry.bind(a, 'alice');
    await registry.bind(d, 'alice');

    assert.equal(await registry.send(a, '1'), 1);
    assert.equal(await registry.send([b.id, c, b.id], '2'), 2, 'a repeated id is one target');
    assert.equal(await registry.sendByFlag(['alice', 'alice'], '3'), 2);
    assert.equal(await registry.sendToGroup(['red', 'blue'], '4'), 3, 'a is in both groups and gets it once');
    assert.equal(await registry.sendToGroup('red', '5', { except: a }), 1);
    assert.equal(await registry.sendToAll('6', { except: [b, c.id] }), 2);
    assert.equal(await registry.sendToAll('7'), 4);

    const got = await Promise.all(peers.map((peer, i) => framesOf(peer, [5, 4, 3, 3][i]!)));
    assert.deepEqual(got, [
      ['1', '3', '4', '6', '7'],
      ['2', '4', '5', '7'],
      ['2', '4', '7'],
      ['3', '6', '7'],
    ]);
  });

  it('sends raw bytes past the codec', async () => {
    fixture = await Fixture.start();
    const { registry } = fixture;
    const [peer] = await fixture.connect(1);
    const connection = fixture.connectionOf(peer!);
    await registry.join(connection, 'g');
    await registry.bind(connection, 'u');
    assert.equal(await registry.sendRaw(connection, 'a'), 1);
    assert.equal(await registry.sendRawByFlag('u', Buffer.from('b')), 1);
    assert.equal(await registry.sendRawToGroup('g', new Uint8Array([0x63])), 1);
    assert.equal(await registry.sendRawToAll('d', { except: [] }), 1);
    await until(() => peer!.received.length >= 4, 2000, 'raw bytes');
    await settle();
    assert.equal(peer!.received.toString(), 'abcd', 'no length prefix: the codec was skipped');
  });

  it('pushing to unknown ids, flags or groups reaches no one and resolves to 0', async () => {
    fixture = await Fixture.start();
    const { registry } = fixture;
    const [peer] = await fixture.connect(1);
    assert.equal(await registry.send('nobody', 'x'), 0);
    assert.equal(await registry.send([], 'x'), 0);
    assert.equal(await registry.sendByFlag('nobody', 'x'), 0);
    assert.equal(await registry.sendToGroup(['none', 'nothing'], 'x'), 0);
    assert.equal(await registry.sendRawToGroup('none', 'x'), 0);
    assert.equal(await registry.close('nobody'), 0);
    assert.equal(await registry.closeByFlag('nobody'), 0);
    assert.equal(await registry.exists('nobody'), false);
    assert.equal(await registry.flagExists('nobody'), false);
    assert.equal(await registry.groupCount('none'), 0);
    assert.deepEqual(await registry.groupConnections('none'), []);
    assert.equal(await registry.flagOf('nobody'), undefined);
    assert.deepEqual(await registry.groupsOf('nobody'), []);
    assert.equal(await registry.context('nobody'), undefined);
    assert.equal(await registry.updateContext('nobody', { a: 1 }), false);
    await settle();
    assert.equal(peer!.received.length, 0);
  });

  it('rejects arguments of the wrong type with ERR_INVALID_ARGUMENT', async () => {
    fixture = await Fixture.start();
    const { registry } = fixture;
    const bad = registry as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    await rejectsWithCode(bad.send!(42, 'x'), ErrorCode.InvalidArgument);
    await rejectsWithCode(bad.send!(['ok', null], 'x'), ErrorCode.InvalidArgument);
    await rejectsWithCode(bad.sendByFlag!({}, 'x'), ErrorCode.InvalidArgument);
    await rejectsWithCode(bad.sendToGroup!('', 'x'), ErrorCode.InvalidArgument);
    await rejectsWithCode(bad.sendToAll!('x', { except: 7 }), ErrorCode.InvalidArgument);
    await rejectsWithCode(bad.sendRaw!('id', 12), ErrorCode.InvalidArgument);
    await rejectsWithCode(bad.bind!('id', 5), ErrorCode.InvalidArgument);
    await rejectsWithCode(bad.join!(undefined, 'g'), ErrorCode.InvalidArgument);
    await rejectsWithCode(bad.updateContext!('id', 'not an object'), ErrorCode.InvalidArgument);
  });

  it('closes by id and by flag, after a final message', async () => {
    fixture = await Fixture.start();
    const { registry } = fixture;
    const peers = await fixture.connect(3);
    const [a, b, c] = peers.map((peer) => fixture!.connectionOf(peer)) as [Connection, Connection, Connection];
    await registry.bind(b, 'bob');
    await registry.bind(c, 'bob');
    assert.equal(await registry.close(a, 'bye a'), 1);
    assert.equal(await registry.close(a, 'again'), 0, 'already closing');
    assert.equal(await registry.closeByFlag('bob', 'bye bob'), 2);
    await until(() => peers.every((peer) => peer.closed), 3000, 'peers closed');
    assert.deepEqual(peers.map((peer) => peer.frames()), [['bye a'], ['bye bob'], ['bye bob']]);
    await until(() => fixture!.registered === 0, 3000, 'unregistered');
    assert.equal(await registry.flagExists('bob'), false);
  });

  it('keeps user context readable in events and through context(id), and clears it on close', async () => {
    fixture = await Fixture.start();
    const { registry, server } = fixture;
    server.on('establish', ({ connection }) => {
      connection.context.user = `user-${connection.id}`;
    });
    const seenInMessage: unknown[] = [];
    server.on('message', ({ connection }) => seenInMessage.push(connection.context.user));
    const [peer] = await fixture.connect(1);
    const connection = fixture.connectionOf(peer!);
    peer!.socket.write(Buffer.from([0, 0, 0, 2, 0x68, 0x69]));
    await until(() => seenInMessage.length === 1, 2000, 'a message');
    assert.deepEqual(seenInMessage, [`user-${connection.id}`]);

    const copy = await registry.context(connection);
    assert.deepEqual(copy, { user: `user-${connection.id}` });
    copy!.user = 'changed';
    assert.equal(connection.context.user, `user-${connection.id}`, 'context(id) answers a copy');
    assert.equal(await registry.updateContext(connection, { room: 'red' }), true);
    assert.deepEqual(connection.context, { user: `user-${connection.id}`, room: 'red' });

    let contextAtClose: unknown;
    connection.on('close', () => (contextAtClose = { ...connection.context }));
    peer!.socket.destroy();
    await until(() => fixture!.registered === 0, 2000, 'unregistered');
    assert.deepEqual(contextAtClose, { user: `user-${connection.id}`, room: 'red' }, 'readable in the close event');
    await until(() => Object.keys(connection.context).length === 0, 2000, 'context cleared');
    assert.equal(await registry.context(connection), undefined);
  });

  it('one user bound on two connections gets a push once on each', async () => {
    fixture = await Fixture.start();
    const { registry } = fixture;
    const peers = await fixture.connect(3);
    const [a, b, c] = peers.map((peer) => fixture!.connectionOf(peer)) as [Connection, Connection, Connection];
    await registry.bind(a, 'u1');
    await registry.bind(b, 'u1');
    await registry.bind(c, 'u2');
    await registry.join(a, ['g1', 'g2']);
    await registry.join(b, 'g2');
    assert.equal(await registry.sendByFlag('u1', 'for u1'), 2);
    assert.equal(await registry.sendByFlag(['u1', 'u2', 'u1'], 'for both'), 3);
    assert.equal(await registry.sendToGroup(['g1', 'g2', 'g1'], 'for groups'), 2);
    const got = await Promise.all(peers.map((peer, i) => framesOf(peer, [3, 3, 1][i]!)));
    assert.deepEqual(got, [['for u1', 'for both', 'for groups'], ['for u1', 'for both', 'for groups'], ['for both']]);
  });
});
