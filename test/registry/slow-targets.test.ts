import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Connection, ConnectionLimits, DropEvent } from '../../src/index.js';
import type { RawPeer } from '../helpers/raw-peer.js';
import { tick, until } from '../helpers/wait.js';
import { Fixture } from './fixture.js';

// RELIABILITY.md case 22: a broadcast to 1,000 connections of which 10 are stalled.
const TOTAL = 1000;
const STALLED = 10;
const LIMIT = 64 * 1024;
const BROADCASTS = 20;

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

/**
 * Stalls a peer for real: it stops reading, and the server writes to it until the kernel's
 * buffers are full and the connection's own queue is over its limit.
 */
async function stall(peer: RawPeer, connection: Connection): Promise<void> {
  peer.socket.pause();
  const chunk = Buffer.alloc(16 * 1024, 0x78);
  for (let turns = 0; connection.sendQueueBytes <= LIMIT; turns++) {
    if (turns > 20_000) throw new Error('the stalled connection never filled up');
    connection.send(chunk);
    await tick();
  }
}

/** Each target's own slow-peer policy (`limits.sendBufferFullPolicy`) decides; the registry has none. */
async function run(policy: ConnectionLimits['sendBufferFullPolicy']): Promise<void> {
  fixture = await Fixture.start({ limits: { maxSendBufferSize: LIMIT, sendBufferFullPolicy: policy } });
  const { registry } = fixture;
  const peers = await fixture.connect(TOTAL);
  const connections = peers.map((peer) => fixture!.connectionOf(peer));
  // Spread the stalled ones through the group so that healthy members come after each of them.
  const stalledIndexes = Array.from({ length: STALLED }, (_, i) => i * (TOTAL / STALLED) + 3);
  const stalled = new Set(stalledIndexes);
  for (const connection of connections) await registry.join(connection, 'everyone');
  await Promise.all(stalledIndexes.map((i) => stall(peers[i]!, connections[i]!)));
  const healthyBaseline = peers.map((peer) => peer.received.length);

  const drops: DropEvent[] = [];
  registry.on('drop', (event) => drops.push(event));
  const payload = Buffer.alloc(1000, 0x42);
  for (let n = 0; n < BROADCASTS; n++) {
    assert.equal(await registry.sendToGroup('everyone', payload), TOTAL - STALLED, `broadcast ${n}`);
    await tick();
  }
  const frame = 4 + payload.length;
  await until(
    () => peers.every((peer, i) => stalled.has(i) || peer.received.length - healthyBaseline[i]! >= BROADCASTS * frame),
    10_000,
    'every healthy peer to get every broadcast',
  );
  for (let i = 0; i < TOTAL; i++) {
    if (!stalled.has(i)) assert.equal(peers[i]!.received.length - healthyBaseline[i]!, BROADCASTS * frame, `healthy peer ${i}`);
  }
  // A slow target that slowed the others would hold them for as long as it stalls (forever), so
  // `until` above failing is the check; no timing assertion on a shared machine.

  const stalledIds = stalledIndexes.map((i) => connections[i]!.id);
  if (policy === 'refuse') {
    assert.equal(drops.length, BROADCASTS, 'each broadcast reports its slow targets');
    for (const event of drops) assert.deepEqual(event, { delivered: TOTAL - STALLED, ids: stalledIds });
    for (const i of stalledIndexes) {
      const connection = connections[i]!;
      assert.equal(connection.state, 'open');
      // Memory bounded: what the stall had queued, no more (every broadcast was refused).
      assert.ok(connection.sendQueueBytes <= LIMIT + 16 * 1024, `stalled queue ${connection.sendQueueBytes}`);
    }
    assert.equal(await registry.groupCount('everyone'), TOTAL);
  } else {
    assert.deepEqual(drops, [{ delivered: TOTAL - STALLED, ids: stalledIds }], 'closed at the first, not dropped again');
    await until(() => stalledIndexes.every((i) => connections[i]!.state === 'closed'), 3000, 'stalled ones closed');
    await until(() => fixture!.registered === TOTAL - STALLED, 3000, 'stalled ones unregistered');
    assert.equal(await registry.groupCount('everyone'), TOTAL - STALLED);
    assert.equal(await registry.sendToGroup('everyone', 'after'), TOTAL - STALLED);
  }
}

describe('slow targets', () => {
  it("policy 'refuse': healthy peers get every broadcast, stalled ones miss them, memory bounded", async () => {
    await run('refuse');
  });

  it("policy 'close': stalled peers are closed at the first broadcast, the rest carry on", async () => {
    await run('close');
  });
});
