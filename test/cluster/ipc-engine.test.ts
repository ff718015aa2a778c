import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IpcEngine, IpcHub, ipcEngine, type IpcEngineOptions, type ClusterNode, type ClusterStatus, type HubBadMessageEvent, type PresenceSnapshot } from '../../src/cluster/index.js';
import { ClusterError, InvalidOptionError, Registry, Server, clusterAdapter } from '../../src/index.js';
import { ManualClock } from '../../src/util/clock.js';
import { tick } from '../helpers/wait.js';
import { clusterConformance } from './conformance.js';
import { InProcessChannel } from './ipc-channel.js';

describe('cluster over the IPC engine (hub and engines in one process, over an in-process channel)', () => {
  clusterConformance(() => {
    const hub = new IpcHub();
    let workers = 0;
    return clusterAdapter(() => {
      const channel = new InProcessChannel(workers++);
      hub.workerOnline(channel.port);
      return new IpcEngine({ link: channel.link });
    });
  });
});

/** A node with nothing of its own, answering requests with `answer`. */
function node(nodeId: string, snapshot: PresenceSnapshot = [], answer: (body: unknown) => Promise<unknown> = async () => 'ok'): ClusterNode {
  return { nodeId, onRequest: (_from, body) => answer(body), onMessage: () => undefined, snapshot: () => snapshot };
}

/** An engine joined to `hub` over an in-process channel, and the statuses it reports. */
function onHub(options: Omit<IpcEngineOptions, 'link'> = {}, hub = new IpcHub(), workerId = 0, nodeId?: string): { hub: IpcHub; channel: InProcessChannel; engine: IpcEngine; statuses: ClusterStatus[] } {
  const channel = new InProcessChannel(workerId, nodeId);
  hub.workerOnline(channel.port);
  const engine = new IpcEngine({ ...options, link: channel.link });
  const statuses: ClusterStatus[] = [];
  engine.on('status', (status) => statuses.push(status));
  return { hub, channel, engine, statuses };
}

async function rejection(promise: Promise<unknown>): Promise<ClusterError> {
  const error = await promise.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ClusterError, `a ClusterError, not ${String(error)}`);
  return error;
}

describe('IPC engine', () => {
  it('checks its options at once, naming the option', () => {
    assert.throws(() => new IpcEngine({ hubTimeout: 0 }), (e: unknown) => e instanceof InvalidOptionError && /hubTimeout/.test(e.message));
    assert.throws(() => new IpcEngine({ hubTimeout: 1.5 }), /hubTimeout/);
    assert.throws(() => ipcEngine({ hubTimeout: -1 }), /hubTimeout/);
  });

  it('refuses to start outside a worker of a supervisor, with a coded error a registry reports from ready()', async (t) => {
    assert.equal(typeof process.send, 'undefined', 'this test runs in a process without an IPC channel');
    const server = new Server({ nodeId: 'alone', endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
    const registry = new Registry(server, { adapter: clusterAdapter(() => new IpcEngine()) });
    t.after(() => registry.dispose());
    const error = await rejection(registry.ready());
    assert.equal(error.code, 'ERR_CLUSTER_UNAVAILABLE');
    assert.match(error.message, /--workers/);
  });

  it('fails a call the stalled hub does not answer with ERR_CLUSTER_TIMEOUT, reports down, then up and a rebuild when it answers again', async () => {
    const clock = new ManualClock();
    const { hub, channel, engine, statuses } = onHub({ clock, hubTimeout: 1000 });
    const snapshot: PresenceSnapshot = [{ id: 'p0.1', flag: 'ann', groups: ['g'] }];
    await engine.start(node('p0', snapshot));
    assert.deepEqual(statuses.map((s) => s.type), ['rebuilt']);

    channel.stall();
    const add = engine.presence.add('p0.2');
    const count = engine.presence.count({ type: 'all' });
    await tick();
    clock.advance(999);
    await tick();
    clock.advance(1);
    assert.equal((await rejection(add)).code, 'ERR_CLUSTER_TIMEOUT');
    assert.equal((await rejection(count)).code, 'ERR_CLUSTER_TIMEOUT');
    assert.deepEqual(statuses.map((s) => s.type), ['rebuilt', 'down']);
    assert.deepEqual({ ...statuses[1], error: undefined }, { type: 'down', engine: 'ipc', part: 'hub', error: undefined });

    clock.advance(500);
    channel.resume();
    // The hub's late answers come back: the engine says the hub is back, and registers its node
    // again from its snapshot, so that nothing that timed out is left half-made.
    for (let i = 0; i < 10 && statuses.length < 4; i++) await tick();
    assert.deepEqual(statuses.slice(2), [
      { type: 'up', engine: 'ipc', part: 'hub', gapMs: 1500 },
      { type: 'rebuilt', engine: 'ipc', reason: 'failed-write', connections: 1, flags: 1, groups: 1 },
    ]);
    assert.equal(await engine.presence.count({ type: 'all' }), 1);
    assert.equal(await engine.presence.flagOf('p0.1'), 'ann');
    await engine.stop();
    assert.deepEqual(hub.nodes(), []);
  });

  it('joins late when the hub answers its join late: start rejects with ERR_CLUSTER_TIMEOUT, then the node is registered', async () => {
    const clock = new ManualClock();
    const { hub, channel, engine, statuses } = onHub({ clock, hubTimeout: 200 });
    channel.stall();
    const start = engine.start(node('p0', [{ id: 'p0.1' }]));
    await tick();
    clock.advance(200);
    assert.equal((await rejection(start)).code, 'ERR_CLUSTER_TIMEOUT');
    channel.resume();
    for (let i = 0; i < 10 && statuses.length < 3; i++) await tick();
    assert.deepEqual(statuses.map((s) => (s.type === 'rebuilt' ? `${s.type}:${s.reason}` : s.type)), ['down', 'up', 'rebuilt:start']);
    assert.deepEqual(hub.nodes(), ['p0']);
    assert.equal(hub.presence.count({ type: 'all' }), 1);
    await engine.stop();
  });

  it('takes a false from a backlogged channel for what it is (sent), and refuses a body the channel cannot carry with a coded error', async () => {
    const { channel, engine } = onHub();
    await engine.start(node('p0'));
    channel.backlogged = true;
    await engine.presence.add('p0.1');
    assert.equal(await engine.presence.count({ type: 'all' }), 1);
    assert.deepEqual(await engine.request('q', { timeout: 1000 }), { replies: [], unanswered: [] });
    channel.backlogged = false;
    const invalid = await engine.request({ run: () => 1 }, { timeout: 1000 }).then(
      () => assert.fail('resolved'),
      (e: unknown) => e,
    );
    assert.equal((invalid as ClusterError).code, 'ERR_INVALID_ARGUMENT');
    await assert.rejects(engine.publish(Symbol('x')), { code: 'ERR_INVALID_ARGUMENT' });
    assert.equal(await engine.presence.count({ type: 'all' }), 1);
    await engine.stop();
  });

  it('fails every call at once when the channel to the supervisor closes', async () => {
    const { channel, engine, statuses } = onHub();
    await engine.start(node('p0'));
    channel.stall();
    const waiting = engine.presence.groups();
    channel.close();
    assert.equal((await rejection(waiting)).code, 'ERR_CLUSTER_UNAVAILABLE');
    assert.equal((await rejection(engine.presence.add('p0.9'))).code, 'ERR_CLUSTER_UNAVAILABLE');
    assert.equal((await rejection(engine.request('x', { timeout: 100 }))).code, 'ERR_CLUSTER_UNAVAILABLE');
    assert.equal((await rejection(engine.publish('x'))).code, 'ERR_CLUSTER_UNAVAILABLE');
    assert.equal(statuses.at(-1)?.type, 'down');
    await engine.stop();
  });
});

describe('IPC hub', () => {
  function joined(hub: IpcHub, workerId: number, nodeId: string, answer?: (body: unknown) => Promise<unknown>): Promise<{ engine: IpcEngine; channel: InProcessChannel }> {
    const { engine, channel } = onHub({}, hub, workerId, nodeId);
    return engine.start(node(nodeId, [], answer)).then(() => ({ engine, channel }));
  }

  it('ignores what is not its protocol, reporting it, and refuses a node id that is taken', async () => {
    const hub = new IpcHub();
    const bad: HubBadMessageEvent[] = [];
    hub.on('badMessage', (event) => bad.push(event));
    const { channel } = await joined(hub, 0, 'n0');
    for (const body of [null, 'hello', { t: 'write' }, { t: 'nope', node: 'n0', seq: 1 }]) channel.link.send(body);
    channel.link.send({ t: 'write', node: 'n0', seq: 99, write: { w: 'bind', id: 'n0.1' } });
    channel.link.send({ t: 'ask', node: 'n0', seq: 100, question: { q: 'count', target: { type: 'flags', flags: 'x' } } });
    channel.link.send({ t: 'join', node: 'n0', seq: 101, snapshot: [{ id: 7 }] });
    // Entries are filed under the node their id names: a node writes only its own.
    channel.link.send({ t: 'write', node: 'n0', seq: 102, write: { w: 'add', id: 'n9.1' } });
    channel.link.send({ t: 'join', node: 'n0', seq: 103, snapshot: [{ id: 'n9.2' }] });
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(bad.length, 9);
    assert.equal(hub.presence.count({ type: 'all' }), 0);
    assert.ok(bad.every((event) => event.workerId === 0 && event.reason.length > 0));
    assert.deepEqual(hub.nodes(), ['n0']);
    // Another worker cannot join as n0, nor speak for it.
    const { engine: thief } = onHub({}, hub, 1, 'n1');
    const error = await rejection(thief.start(node('n0')));
    assert.equal(error.code, 'ERR_CLUSTER_UNAVAILABLE');
    assert.match(error.message, /already/);
    assert.equal(hub.presence.count({ type: 'all' }), 0);
  });

  it('carries a publish to every other live node, or to those named, once each, saying who sent it', async () => {
    const hub = new IpcHub();
    const received: Array<{ at: string; from: string; body: unknown }> = [];
    const start = async (workerId: number, nodeId: string): Promise<IpcEngine> => {
      const { engine } = onHub({}, hub, workerId, nodeId);
      await engine.start({ ...node(nodeId), onMessage: (from, body) => received.push({ at: nodeId, from, body }) });
      return engine;
    };
    const [a, b, c] = [await start(0, 'a'), await start(1, 'b'), await start(2, 'c')];
    await a.publish({ n: 1, data: Buffer.from('x') });
    await b.publish('only-c', { to: ['c', 'b', 'c', 'gone'] });
    // Ordered after the publishes on each channel: once answered, the messages have arrived.
    await a.presence.groups();
    await b.presence.groups();
    for (let i = 0; i < 5; i++) await tick();
    assert.deepEqual(
      received.sort((x, y) => `${x.at}${x.from}`.localeCompare(`${y.at}${y.from}`)),
      [
        { at: 'b', from: 'a', body: { n: 1, data: new Uint8Array(Buffer.from('x')) } },
        { at: 'c', from: 'a', body: { n: 1, data: new Uint8Array(Buffer.from('x')) } },
        { at: 'c', from: 'b', body: 'only-c' },
      ],
    );
    for (const engine of [a, b, c]) await engine.stop();
    assert.deepEqual(hub.nodes(), []);
  });

  it('carries several nodes of one worker on its one channel, and drops them all when it exits', async () => {
    const hub = new IpcHub();
    const leaves: string[] = [];
    hub.on('nodeLeave', (event) => leaves.push(`${event.nodeId}:${event.reason}:${event.connections}`));
    const joins: string[] = [];
    hub.on('nodeJoin', (event) => joins.push(`${event.nodeId}:w${event.workerId}:${event.connections}`));
    const { channel, engine: first } = onHub({}, hub, 0, 'w0');
    const second = new IpcEngine({ link: channel.link });
    await first.start(node('s1', [{ id: 's1.1' }], async () => 'from s1'));
    await second.start(node('s2', [{ id: 's2.1' }, { id: 's2.2', flag: 'f' }], async () => 'from s2'));
    const { engine: other } = onHub({}, hub, 1, 'w1');
    await other.start(node('o'));
    assert.equal(await other.presence.count({ type: 'all' }), 3);
    assert.deepEqual(joins, ['s1:w0:1', 's2:w0:2', 'o:w1:0']);
    const outcome = await other.request('q', { timeout: 5000 });
    assert.deepEqual(outcome.replies.map((r) => r.body).sort(), ['from s1', 'from s2']);
    // Each answers for itself only: a write of s2 does not touch s1.
    await second.presence.remove('s2.2', 'f', []);
    assert.deepEqual([await first.presence.count({ type: 'all' }), await first.presence.flagOf('s2.2')], [2, undefined]);
    hub.workerExit(channel.port, { code: null, signal: 'SIGKILL', expected: false });
    assert.deepEqual(leaves.sort(), ['s1:exit:1', 's2:exit:1']);
    assert.equal(await other.presence.count({ type: 'all' }), 0);
    await other.stop();
  });

  it('does not wait for a worker that exits while a request waits for it, and drops its presence', async () => {
    const hub = new IpcHub();
    const { engine: a } = await joined(hub, 0, 'a');
    let answered = 0;
    const { channel: bChannel, engine: b } = await joined(hub, 1, 'b', () => new Promise(() => undefined));
    const { engine: c } = await joined(hub, 2, 'c', async () => ++answered);
    await b.presence.add('b.1');
    assert.equal(await a.presence.count({ type: 'all' }), 1);
    const outcome = a.request('q', { timeout: 60_000 });
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(hub.pendingRequests, 1);
    hub.workerExit(bChannel.port, { code: null, signal: 'SIGKILL', expected: false });
    assert.deepEqual(await outcome, { replies: [{ node: 'c', body: 1 }], unanswered: [] });
    assert.equal(await a.presence.count({ type: 'all' }), 0);
    assert.deepEqual(hub.nodes().sort(), ['a', 'c']);
    await a.stop();
    await c.stop();
  });

  it('names the node that did not answer by the request\'s timeout (on its clock), and discards a late reply', async () => {
    const clock = new ManualClock();
    const hub = new IpcHub({ clock });
    const { engine: a } = await joined(hub, 0, 'a');
    let release!: () => void;
    const { engine: b } = await joined(hub, 1, 'b', () => new Promise((resolve) => (release = () => resolve('late'))));
    await joined(hub, 2, 'c', async () => 'fast');
    const outcome = a.request('q', { timeout: 250 });
    for (let i = 0; i < 5; i++) await tick();
    clock.advance(250);
    assert.deepEqual(await outcome, { replies: [{ node: 'c', body: 'fast' }], unanswered: ['b'] });
    release();
    for (let i = 0; i < 5; i++) await tick();
    assert.equal(hub.pendingRequests, 0);
    // Only the nodes named in `to` that are live are waited for.
    assert.deepEqual(await a.request('q', { timeout: 250, to: ['c', 'gone'] }), { replies: [{ node: 'c', body: 'fast' }], unanswered: [] });
    await b.stop();
  });
});
