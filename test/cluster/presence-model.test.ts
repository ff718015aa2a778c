import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { LocalHub, clusterAdapter, redisAdapter, type AdapterFactory, type Connection } from '../../src/index.js';
import { until } from '../helpers/wait.js';
import { Node } from './cluster-fixture.js';
import { REDIS_URL, testPrefix } from './redis-url.js';

/**
 * Exact presence as a property: random sequences of bind, unbind, join, leave and close, each
 * made from a random node about a connection of any node, and after every one each question,
 * asked on a random node, must answer what a plain model of the same changes answers.
 */

const FLAGS = ['a', 'b', 'c'];
const GROUPS = ['x', 'y', 'z'];

type Op =
  | { op: 'bind'; via: number; who: number; flag: string }
  | { op: 'unbind'; via: number; who: number }
  | { op: 'join'; via: number; who: number; groups: string[] }
  | { op: 'leave'; via: number; who: number; groups: string[] }
  | { op: 'close'; via: number; who: number };

const who = fc.nat({ max: 8 });
const via = fc.nat({ max: 2 });
const groups = fc.subarray(GROUPS, { minLength: 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('bind' as const), via, who, flag: fc.constantFrom(...FLAGS) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unbind' as const), via, who }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('join' as const), via, who, groups }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('leave' as const), via, who, groups }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('close' as const), via, who }) },
);

interface Model {
  open: boolean;
  flag: string | undefined;
  groups: Set<string>;
}

async function check(makeAdapter: () => AdapterFactory, ops: Op[], asker: number[]): Promise<void> {
  const adapter = makeAdapter();
  const nodes: Node[] = [];
  try {
    for (let i = 0; i < 3; i++) nodes.push(await Node.start(adapter));
    const connections: Connection[] = [];
    for (const node of nodes) connections.push(...(await node.connect(3)));
    const model = connections.map((): Model => ({ open: true, flag: undefined, groups: new Set() }));
    for (const [step, change] of ops.entries()) {
      const registry = nodes[change.via]!.registry;
      const id = connections[change.who]!.id;
      const entry = model[change.who]!;
      switch (change.op) {
        case 'bind':
          assert.equal(await registry.bind(id, change.flag), entry.open);
          if (entry.open) entry.flag = change.flag;
          break;
        case 'unbind':
          assert.equal(await registry.unbind(id), entry.open && entry.flag !== undefined);
          entry.flag = undefined;
          break;
        case 'join':
          assert.equal(await registry.join(id, change.groups), entry.open);
          if (entry.open) for (const group of change.groups) entry.groups.add(group);
          break;
        case 'leave':
          assert.equal(await registry.leave(id, change.groups), entry.open);
          for (const group of change.groups) entry.groups.delete(group);
          break;
        case 'close': {
          assert.equal(await registry.close(id), entry.open ? 1 : 0);
          if (entry.open) {
            const owner = nodes[Math.floor(change.who / 3)]!;
            await until(() => connections[change.who]!.state === 'closed', 5000, 'the close');
            await owner.registry.connectionCount(); // ordered after the owner's presence write
          }
          entry.open = false;
          entry.flag = undefined;
          entry.groups.clear();
          break;
        }
      }
      // Every question, on a node chosen by the property, against the model.
      const q = nodes[asker[step % asker.length]!]!.registry;
      const live = model.map((m, i) => ({ ...m, id: connections[i]!.id })).filter((m) => m.open);
      const sorted = (ids: string[]): string[] => [...ids].sort();
      assert.equal(await q.connectionCount(), live.length);
      assert.deepEqual(sorted(await q.connections()), sorted(live.map((m) => m.id)));
      for (const flag of FLAGS) {
        const members = live.filter((m) => m.flag === flag).map((m) => m.id);
        assert.equal(await q.flagExists(flag), members.length > 0, `flagExists(${flag}) after ${JSON.stringify(ops.slice(0, step + 1))}`);
        assert.equal(await q.flagCount(flag), members.length);
      }
      assert.deepEqual(sorted(await q.flagConnections(FLAGS)), sorted(live.filter((m) => m.flag !== undefined).map((m) => m.id)));
      for (const group of GROUPS) assert.equal(await q.groupCount(group), live.filter((m) => m.groups.has(group)).length);
      assert.equal(await q.groupCount(['x', 'y']), live.filter((m) => m.groups.has('x') || m.groups.has('y')).length);
      assert.deepEqual(sorted(await q.groups()), sorted(GROUPS.filter((g) => live.some((m) => m.groups.has(g)))));
      const target = model[change.who]!;
      assert.equal(await q.exists(id), target.open);
      assert.equal(await q.flagOf(id), target.open ? target.flag : undefined);
      assert.deepEqual(sorted(await q.groupsOf(id)), sorted(target.open ? [...target.groups] : []));
    }
  } finally {
    for (const node of nodes) await node.stop();
  }
}

describe('exact presence against a model', () => {
  for (const [name, makeAdapter] of [
    ['LocalHub', () => {
      const hub = new LocalHub();
      return clusterAdapter(() => hub.engine());
    }],
    ['Redis', () => redisAdapter({ url: REDIS_URL, prefix: testPrefix(), requestTimeout: 5000 })],
  ] as const) {
    it(`answers like the model after every change, on every node (${name})`, { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), fc.array(fc.nat({ max: 2 }), { minLength: 1, maxLength: 5 }), (ops, asker) => check(makeAdapter, ops, asker)),
        { numRuns: 12 },
      );
    });
  }
});
