import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { redisAdapter, redisEngine, ErrorCode, type SwitchboardError } from '../../src/index.js';
import { clusterConformance } from './conformance.js';
import { REDIS_URL, testPrefix } from './redis-url.js';

describe('cluster over Redis (nodes in one process, the real Redis server)', async () => {
  // Fails with a clear message rather than skipping: a skipped test hides a gap.
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new Error(`Redis is not answering at ${REDIS_URL} (set REDIS_URL, or start redis-server): ${String(error)}`);
  } finally {
    probe.disconnect();
  }
  clusterConformance(() => redisAdapter({ url: REDIS_URL, prefix: testPrefix(), requestTimeout: 5000 }));

  it('checks its options at once, naming the option', () => {
    for (const [options, name] of [
      [{ url: 'http://x' }, 'url'],
      [{ prefix: 'has space' }, 'prefix'],
      [{ lease: 10 }, 'lease'],
      [{ commandTimeout: 0 }, 'commandTimeout'],
      [{ maxPendingCommands: 0 }, 'maxPendingCommands'],
    ] as const) {
      assert.throws(() => redisEngine(options), (e: SwitchboardError) => e.code === ErrorCode.InvalidOption && e.message.includes(name));
    }
  });
});
