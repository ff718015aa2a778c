import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { Registry, type Connection, type RegistrySource } from '../../src/index.js';

// The cost of closing a connection must depend on the groups it is in, never on how many groups
// exist: the registry walks the connection's own groups (socket.io's two maps). Timing would be
// flaky, so this counts the work instead: every call on a Map, a Set or one of their iterators
// while the registry handles the `close`.

class FakeServer extends EventEmitter {
  connections(): Connection[] {
    return [];
  }
}

function fakeConnection(id: string): Connection {
  return { id, state: 'open', context: {} } as unknown as Connection;
}

type Patched = { target: object; key: PropertyKey; original: unknown };

/** Counts calls of every method of Map, Set and their iterators while `action` runs. */
function countCollectionCalls(action: () => void): number {
  let calls = 0;
  const targets = [
    Map.prototype,
    Set.prototype,
    Object.getPrototypeOf(new Map().values()) as object,
    Object.getPrototypeOf(new Set().values()) as object,
  ];
  const patched: Patched[] = [];
  for (const target of targets) {
    for (const key of Reflect.ownKeys(target)) {
      const descriptor = Object.getOwnPropertyDescriptor(target, key);
      if (!descriptor || typeof descriptor.value !== 'function' || key === 'constructor') continue;
      const original = descriptor.value as (...args: unknown[]) => unknown;
      patched.push({ target, key, original });
      Object.defineProperty(target, key, {
        ...descriptor,
        value: function (this: unknown, ...args: unknown[]) {
          calls++;
          return original.apply(this, args);
        },
      });
    }
  }
  try {
    action();
  } finally {
    for (const { target, key, original } of patched) {
      Object.defineProperty(target, key, { ...Object.getOwnPropertyDescriptor(target, key), value: original });
    }
  }
  return calls;
}

/**
 * A registry holding `fillers` connections, each in `groupsEach` groups of its own plus one
 * shared group; then one probe connection in `probeGroups` groups (one shared with everyone) and
 * bound to a flag. Returns the work of closing the probe.
 */
async function closeCost(fillers: number, groupsEach: number, probeGroups: number): Promise<{ calls: number; registry: Registry }> {
  const server = new FakeServer();
  const registry = new Registry(server as unknown as RegistrySource);
  for (let i = 0; i < fillers; i++) {
    const connection = fakeConnection(`f${i}`);
    server.emit('establish', { connection });
    const groups = ['shared'];
    for (let g = 0; g < groupsEach; g++) groups.push(`g${i}-${g}`);
    await registry.join(connection, groups);
  }
  const probe = fakeConnection('probe');
  server.emit('establish', { connection: probe });
  const groups = ['shared'];
  for (let g = 1; g < probeGroups; g++) groups.push(`probe-${g}`);
  await registry.join(probe, groups);
  await registry.bind(probe, 'user');
  assert.equal((await registry.groups()).length, 1 + fillers * groupsEach + probeGroups - 1);
  const calls = countCollectionCalls(() => server.emit('close', { connection: probe }));
  assert.equal(await registry.exists('probe'), false);
  assert.equal(await registry.groupCount('shared'), fillers);
  assert.equal((await registry.groups()).length, 1 + fillers * groupsEach);
  assert.equal(await registry.flagExists('user'), false);
  return { calls, registry };
}

describe('close cost', () => {
  it('does not depend on the number of groups (10 vs 100,000) or connections (1 vs 10,000)', async () => {
    const small = await closeCost(1, 10, 3);
    const large = await closeCost(10_000, 10, 3);
    assert.ok(small.calls > 0, 'the counter sees the work');
    assert.equal(large.calls, small.calls, `close did ${large.calls} collection calls with 100,000 groups, ${small.calls} with 10`);
  });

  it("grows with the connection's own groups", async () => {
    const three = await closeCost(100, 10, 3);
    const thirty = await closeCost(100, 10, 30);
    // Each further group costs the same few calls (look it up, delete the member, drop the empty set).
    const perGroup = (thirty.calls - three.calls) / 27;
    assert.ok(Number.isInteger(perGroup) && perGroup > 0 && perGroup <= 8, `${perGroup} calls per group`);
  });

  it('joining and leaving cost the same with 10 or 100,000 groups', async () => {
    const costs: number[][] = [];
    for (const fillers of [1, 10_000]) {
      const server = new FakeServer();
      const registry = new Registry(server as unknown as RegistrySource);
      for (let i = 0; i < fillers; i++) {
        const connection = fakeConnection(`f${i}`);
        server.emit('establish', { connection });
        await registry.join(connection, Array.from({ length: 10 }, (_, g) => `g${i}-${g}`));
      }
      const probe = fakeConnection('probe');
      server.emit('establish', { connection: probe });
      // The work is done before the returned Promise is: local membership changes at once.
      costs.push([
        countCollectionCalls(() => void registry.join(probe, ['a', 'b', 'c'])),
        countCollectionCalls(() => void registry.leave(probe, ['a', 'b', 'c'])),
      ]);
    }
    assert.deepEqual(costs[1], costs[0]);
  });
});
