import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, Registry, Server, redisAdapter, type SwitchboardError } from '../../src/index.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { until } from '../helpers/wait.js';
import { NodeProcess, type CallError } from './node-process.js';
import { RedisServer } from './redis-server.js';
import { testPrefix } from './redis-url.js';

/**
 * The faults of issue 10 and RELIABILITY.md 27–30, 33, 35, each with real node processes and a
 * redis-server of the test's own (faulted for real: killed, paused, its clients killed).
 * No timing thresholds: a test waits for the state it expects (generously bounded) and checks
 * that nothing wrong was ever observed on the way.
 */

const LEASE = 1500;

async function setup(t: { after(fn: () => Promise<void>): void }, count: number, options: { lease?: number; requestTimeout?: number; commandTimeout?: number; maxPendingCommands?: number } = {}): Promise<{ redis: RedisServer; nodes: NodeProcess[]; prefix: string }> {
  const redis = await RedisServer.start();
  const nodes: NodeProcess[] = [];
  t.after(async () => {
    for (const node of nodes) await node.kill('SIGKILL');
    await redis.stop();
  });
  const prefix = testPrefix();
  for (let i = 0; i < count; i++) {
    nodes.push(await NodeProcess.start({ nodeId: `n${i}x${process.pid}`, url: redis.url, prefix, lease: options.lease ?? LEASE, requestTimeout: options.requestTimeout ?? 1000, ...options }));
  }
  return { redis, nodes, prefix };
}

async function keysOf(redis: RedisServer, pattern: string): Promise<string[]> {
  return (await redis.command('KEYS', pattern)) as string[];
}

describe('Redis engine faults (real processes, a redis-server of our own)', { timeout: 120_000 }, () => {
  it('SIGKILL of one of three nodes: survivors exclude it once its lease runs out, never count anyone twice, and clean its keys', async (t) => {
    const { redis, nodes, prefix } = await setup(t, 3);
    const [a, b, c] = nodes as [NodeProcess, NodeProcess, NodeProcess];
    await a.connect(2);
    await b.connect(3);
    await c.connect(1);
    const bIds = await b.call<string[]>('connectionIds');
    const aIds = await a.call<string[]>('connectionIds');
    await a.call('bind', aIds[0], 'alice');
    await a.call('bind', bIds[0], 'alice');
    await c.call('bind', bIds[1], 'bob');
    await c.call('join', bIds[2], 'room');
    for (const node of nodes) assert.equal(await node.call('connectionCount'), 6);

    b.signal('SIGKILL');
    // Until the lease runs out b's connections are still counted (its sockets are already gone,
    // but nobody can know that sooner); never more than once, never anything else.
    await until(async () => {
      const count = await a.call<number>('connectionCount');
      assert.ok(count === 6 || count === 3, `count ${count}`);
      return (await redis.command('EXISTS', `${prefix}lease:${b.nodeId}`)) === 0;
    }, 30_000, 'the lease of the killed node to run out');
    // From the instant the lease is gone, every survivor's every answer excludes b.
    for (const node of [a, c]) {
      assert.equal(await node.call('connectionCount'), 3);
      assert.equal(await node.call('flagCount', 'alice'), 1);
      assert.equal(await node.call('flagExists', 'bob'), false);
      assert.equal(await node.call('exists', bIds[0]), false);
      assert.deepEqual(await node.call('groups'), []);
      assert.equal(await node.call('flagOf', bIds[1]), undefined);
      assert.equal(await node.call('sendToAll', 'after'), 3);
    }
    await until(async () => (await keysOf(redis, `${prefix}n:${b.nodeId}:*`)).length === 0, 30_000, 'survivors to clean the killed node\'s keys');
    assert.equal(((await redis.command('SMEMBERS', `${prefix}nodes`)) as string[]).includes(b.nodeId), false);
  });

  it('SIGSTOP longer than the lease, then SIGCONT: the others answer without it, then it re-registers its live connections', async (t) => {
    // The default lease: long enough that the first push surely starts while b still holds it.
    const { redis, nodes, prefix } = await setup(t, 2, { lease: 3000 });
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    await a.connect(1);
    await b.connect(2);
    const bIds = await b.call<string[]>('connectionIds');
    await b.call('bind', bIds[0], 'bea');
    b.signal('SIGSTOP');
    // While its lease lasts, b is live but silent: a push names it instead of leaving it out.
    const first = await a.call('sendToAll', 'while-paused').then(
      () => undefined,
      (error: CallError) => error,
    );
    assert.equal(first?.code, 'ERR_CLUSTER_INCOMPLETE');
    assert.deepEqual(first.unanswered, [b.nodeId]);
    assert.equal(first.delivered, 1);
    await until(async () => (await redis.command('EXISTS', `${prefix}lease:${b.nodeId}`)) === 0, 30_000, 'the paused node\'s lease to run out');
    assert.equal(await a.call('connectionCount'), 1);
    assert.equal(await a.call('flagExists', 'bea'), false);
    assert.equal(await a.call('sendToAll', 'without-b'), 1);

    b.signal('SIGCONT');
    await until(async () => (await a.call<number>('connectionCount')) === 3, 30_000, 'the resumed node to re-register');
    const statuses = await b.call<Array<{ type: string; reason?: string }>>('statuses');
    assert.ok(statuses.some((s) => s.type === 'fenced'), JSON.stringify(statuses));
    assert.ok(statuses.some((s) => s.type === 'rebuilt' && s.reason === 'fenced'), JSON.stringify(statuses));
    assert.equal(await a.call('flagCount', 'bea'), 1);
    assert.equal(await a.call('sendByFlag', 'bea', 'hello-bea'), 1);
    await until(async () => b.frames()[0]!.includes('hello-bea'), 10_000, 'the push to reach the resumed node\'s peer');
    // nothing counted twice, on either node
    assert.equal(await b.call('connectionCount'), 3);
    assert.deepEqual((await a.call<string[]>('connections')).length, 3);
  });

  it('Redis stopped for 5 s while broadcasts run: local delivery goes on, cross-node pushes fail coded, then everything is rebuilt', async (t) => {
    const { redis, nodes } = await setup(t, 2);
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    await a.connect(2);
    await b.connect(2);
    await a.call('startLoop', 'tick', 20);
    await until(async () => b.frames()[0]!.length > 0, 10_000, 'broadcasts to reach the other node');
    await redis.stop();
    const localBefore = a.frames()[0]!.length;
    // Questions need the cluster: they fail at once with a code, never answer with less.
    await until(async () => {
      const error = await a.call('connectionCount').then(() => undefined, (e: CallError) => e);
      return error?.code === 'ERR_CLUSTER_UNAVAILABLE';
    }, 10_000, 'a question to fail with ERR_CLUSTER_UNAVAILABLE while Redis is down');
    await assert.rejects(b.call('flagExists', 'nobody'), (e: CallError) => e.code === 'ERR_CLUSTER_UNAVAILABLE');
    // A change to a local connection is made here and says the cluster does not see it yet...
    const [aFirst] = await a.call<string[]>('connectionIds');
    await assert.rejects(a.call('bind', aFirst, 'during-outage'), (e: CallError) => e.code === 'ERR_CLUSTER_UNAVAILABLE');
    await new Promise((r) => setTimeout(r, 5000));
    const localDuring = a.frames()[0]!.length;
    const bDuring = b.frames()[0]!.length;
    await redis.restart();
    await until(async () => {
      const statuses = await a.call<Array<{ type: string; reason?: string; part?: string }>>('statuses');
      return statuses.some((s) => s.type === 'rebuilt' && s.reason === 'reconnect') && statuses.filter((s) => s.type === 'up' && s.part === 'subscriber').length >= 2;
    }, 30_000, 'node a to rebuild and resubscribe');
    await until(async () => {
      const statuses = await b.call<Array<{ type: string; reason?: string; part?: string }>>('statuses');
      return statuses.some((s) => s.type === 'rebuilt' && s.reason === 'reconnect') && statuses.filter((s) => s.type === 'up' && s.part === 'subscriber').length >= 2;
    }, 30_000, 'node b to rebuild and resubscribe');
    const { errors } = await a.call<{ ok: number; errors: Record<string, number> }>('stopLoop');
    // Local delivery went on while Redis was down...
    assert.ok(localDuring > localBefore, `a's own peers got ${localDuring - localBefore} broadcasts while Redis was down`);
    // ...and every push that could not reach the cluster said so, with a code.
    assert.ok((errors['ERR_CLUSTER_UNAVAILABLE'] ?? 0) > 0, JSON.stringify(errors));
    assert.deepEqual(Object.keys(errors).filter((code) => !code.startsWith('ERR_CLUSTER_')), []);
    assert.ok(bDuring >= 1);
    // Presence rebuilt without a restart of any node, and pushes cross again.
    for (const node of nodes) assert.equal(await node.call('connectionCount'), 4);
    // ...and the cluster sees it once the node has re-registered.
    assert.equal(await b.call('flagOf', aFirst), 'during-outage');
    assert.equal(await a.call('sendToAll', 'after-restart'), 4);
    await until(async () => b.frames().every((frames) => frames.includes('after-restart')), 10_000, 'the push after the restart');
  });

  it('a node started while Redis is away: ready() rejects with a code, and it joins once Redis answers', async (t) => {
    const redis = await RedisServer.reserve();
    const prefix = testPrefix();
    const adapter = redisAdapter({ url: redis.url, prefix, joinTimeout: 300 });
    const server = new Server({ nodeId: `late${process.pid}`, endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
    const registry = new Registry(server, { adapter });
    const statuses: string[] = [];
    registry.on('cluster', (status) => statuses.push(status.type));
    let registered = 0;
    registry.on('register', () => registered++);
    let peer: RawPeer | undefined;
    t.after(async () => {
      peer?.socket.destroy();
      await server.stop({ timeout: 1000 });
      await registry.dispose();
      await redis.stop();
    });
    await server.start();
    await assert.rejects(registry.ready(), (e: SwitchboardError) => e.code === ErrorCode.ClusterUnavailable);
    await assert.rejects(registry.connectionCount(), (e: SwitchboardError) => e.code === ErrorCode.ClusterUnavailable);
    // Local work goes on meanwhile: a connection comes and is served.
    peer = new RawPeer({ port: (server.addresses()[0] as { port: number }).port });
    await until(() => registered === 1, 10_000, 'the connection to register locally');
    // Questions about this node's own connections need no cluster.
    const [local] = [...server.connections()];
    assert.equal(await registry.exists(local!.id), true);
    assert.equal(await registry.flagOf(local!.id), undefined);
    await redis.restart();
    await until(() => statuses.includes('rebuilt'), 30_000, 'the node to join');
    // ...and it is in the presence the node registered once Redis answered.
    assert.equal(await registry.connectionCount(), 1);
    await registry.ready();
    assert.deepEqual(await redis.command('SMEMBERS', `${prefix}nodes`), [server.nodeId]);
  });

  it('CLIENT KILL TYPE pubsub: the lost subscriber is detected, re-made and checked, and the gap reported', async (t) => {
    const { redis, nodes } = await setup(t, 2);
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    await a.connect(1);
    await b.connect(1);
    const killed = await redis.command('CLIENT', 'KILL', 'TYPE', 'pubsub');
    assert.equal(killed, 2);
    for (const node of nodes) {
      await until(async () => {
        const statuses = await node.call<Array<{ type: string; part?: string; gapMs?: number }>>('statuses');
        const down = statuses.findIndex((s) => s.type === 'down' && s.part === 'subscriber');
        return down >= 0 && statuses.slice(down).some((s) => s.type === 'up' && s.part === 'subscriber' && typeof s.gapMs === 'number');
      }, 30_000, `node ${node.nodeId} to report the lost subscriber and its return`);
    }
    assert.equal(await a.call('sendToAll', 'after-kill'), 2);
    assert.equal(await b.call('sendToAll', 'after-kill-b'), 2);
    await until(async () => a.frames()[0]!.includes('after-kill-b') && b.frames()[0]!.includes('after-kill'), 10_000, 'pushes both ways');
  });

  it('CLIENT PAUSE 3000: the queue to Redis stays bounded, and what cannot be answered fails with a code', async (t) => {
    const { redis, nodes } = await setup(t, 2, { commandTimeout: 500, maxPendingCommands: 50, requestTimeout: 1000 });
    const [a, b] = nodes as [NodeProcess, NodeProcess];
    await a.connect(1);
    await b.connect(1);
    await redis.command('CLIENT', 'PAUSE', 3000);
    const codes = await a.call<Record<string, number>>('burst', 500, 'during-pause');
    const max = await a.call<number>('maxPending');
    assert.ok(max <= 50, `at most maxPendingCommands wait for Redis, saw ${max}`);
    assert.ok((codes['ERR_CLUSTER_OVERLOADED'] ?? 0) > 0, JSON.stringify(codes));
    assert.ok((codes['ERR_CLUSTER_TIMEOUT'] ?? 0) > 0, JSON.stringify(codes));
    assert.deepEqual(Object.keys(codes).filter((code) => !code.startsWith('ERR_CLUSTER_')), [], JSON.stringify(codes));
    await until(async () => a.call('sendToAll', 'after-pause').then(() => true, () => false), 30_000, 'pushes to work again after the pause');
    // The pause outlasted the lease: nodes that lost theirs re-register (never counted twice).
    for (const node of nodes) {
      await until(async () => {
        const count = await node.call<number>('connectionCount');
        assert.ok(count <= 2, `count ${count}`);
        return count === 2;
      }, 30_000, `node ${node.nodeId} to count both connections again`);
    }
  });
});
