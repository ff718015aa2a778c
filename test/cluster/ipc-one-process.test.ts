import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { describe, it } from 'node:test';
import { Registry, Server } from '../../src/index.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { until } from '../helpers/wait.js';
import { IpcMachine, type IpcWorker } from './ipc-machine.js';

/**
 * DESIGN.md's promise, checked directly: the same calls give the same answers across worker
 * processes as in one process. A random sequence of binds, joins, leaves, closes and pushes is
 * made from random workers against connections spread over three workers, and the same sequence
 * is made on one process's registry holding as many connections; after each step every worker's
 * answers must equal the single process's. The seed is in every message, to replay a failure.
 */

const FLAGS = ['ann', 'bob', 'cy'];
const GROUPS = ['red', 'green', 'blue'];
const PER_WORKER = 3;
const STEPS = 120;

/** A small seeded generator (mulberry32), so that a failing sequence can be replayed. */
function generator(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n;
  };
}

type Caller = (call: string, ...args: unknown[]) => Promise<unknown>;

describe('the registry across workers answers as one process would', { timeout: 120_000 }, () => {
  it('a random sequence of changes, closes and pushes: every answer of every worker equals the single process\'s', async (t) => {
    const seed = Number(process.env['IPC_SEED'] ?? randomInt(2 ** 31));
    const random = generator(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random(items.length))]!;

    // The cluster: three workers, three connections each.
    const machine = new IpcMachine();
    t.after(() => machine.stop());
    const workers: IpcWorker[] = [];
    for (let i = 0; i < 3; i++) workers.push(await machine.fork(`one${i}-${process.pid}`));
    const clusterIds: string[] = [];
    for (const worker of workers) clusterIds.push(...(await worker.connect(PER_WORKER)));

    // The single process: one server and registry here, as many connections.
    const server = new Server({ nodeId: `solo${process.pid}`, endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
    const registry = new Registry(server);
    const soloPeers: RawPeer[] = [];
    t.after(async () => {
      for (const peer of soloPeers) peer.socket.destroy();
      await server.stop({ timeout: 1000 });
      await registry.dispose();
    });
    await server.start();
    const address = server.addresses()[0];
    const port = address && 'port' in address ? address.port : 0;
    for (let i = 0; i < clusterIds.length; i++) soloPeers.push(new RawPeer({ port }));
    await Promise.all(soloPeers.map((peer) => peer.connected()));
    await until(() => [...server.connections()].length === clusterIds.length, 5000, 'solo connections');
    const soloIds = [...server.connections()].map((c) => c.id);
    await until(async () => (await registry.connectionCount()) === soloIds.length, 5000, 'solo registered');

    // Answers are compared by connection index, since the ids differ between the two.
    const toIndex = (ids: string[], value: unknown): unknown => {
      if (typeof value === 'string' && ids.includes(value)) return ids.indexOf(value);
      if (Array.isArray(value)) return value.map((v) => toIndex(ids, v)).sort();
      return value;
    };
    const fromIndex = (ids: string[], args: unknown[]): unknown[] => args.map((arg) => (typeof arg === 'number' ? ids[arg] : arg));
    const solo: Caller = (call, ...args) => (registry as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[call]!.apply(registry, fromIndex(soloIds, args));
    const on = (worker: IpcWorker): Caller => (call, ...args) => worker.call(call, ...fromIndex(clusterIds, args));

    async function same(step: string, call: string, ...args: unknown[]): Promise<void> {
      const want = toIndex(soloIds, await solo(call, ...args));
      for (const worker of workers) {
        const got = toIndex(clusterIds, await on(worker)(call, ...args));
        assert.deepEqual(got, want, `seed ${seed}, after ${step}: ${call}(${JSON.stringify(args)}) on ${worker.nodeId}`);
      }
    }

    const closed = new Set<number>();
    for (let step = 0; step < STEPS; step++) {
      const i = Math.floor(random(clusterIds.length));
      const from = on(pick(workers));
      const kind = Math.floor(random(10));
      let what: string;
      let args: unknown[];
      if (kind < 3) [what, args] = ['bind', [i, pick(FLAGS)]];
      else if (kind < 4) [what, args] = ['unbind', [i]];
      else if (kind < 6) [what, args] = ['join', [i, [pick(GROUPS), pick(GROUPS)]]];
      else if (kind < 7) [what, args] = ['leave', [i, pick(GROUPS)]];
      else if (kind < 8) [what, args] = ['sendByFlag', [[pick(FLAGS), pick(FLAGS)], `m${step}`]];
      else if (kind < 9) [what, args] = ['sendToGroup', [pick(GROUPS), `m${step}`]];
      else [what, args] = [closed.size < 3 && !closed.has(i) ? 'close' : 'send', [i, `m${step}`]];
      const label = `step ${step} ${what}(${JSON.stringify(args)})`;
      // What the call itself returns (changed or not, how many reached) is the same too.
      const soloResult = await solo(what, ...args);
      const clusterResult = await from(what, ...args);
      assert.deepEqual(clusterResult, soloResult, `seed ${seed}, ${label}: the call's result`);
      if (what === 'close') {
        closed.add(i);
        // A close is over when the connection is gone from its own node; then from every answer.
        await until(async () => !(await registry.exists(soloIds[i]!)), 5000, 'solo close');
        const owner = workers[Math.floor(i / PER_WORKER)]!;
        await until(async () => !(await owner.call('exists', clusterIds[i])), 5000, 'cluster close');
      }
      await same(label, 'connectionCount');
      await same(label, 'connections');
      await same(label, 'flagCount', FLAGS);
      await same(label, 'flagConnections', pick(FLAGS));
      await same(label, 'flagExists', pick(FLAGS));
      await same(label, 'groupCount', pick(GROUPS));
      await same(label, 'groupConnections', [pick(GROUPS), pick(GROUPS)]);
      await same(label, 'groups');
      await same(label, 'flagOf', i);
      await same(label, 'groupsOf', i);
      await same(label, 'exists', i);
    }
  });
});
