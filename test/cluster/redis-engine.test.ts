import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { LengthFieldCodec, Registry, Server, redisAdapter, redisEngine, ErrorCode, type SwitchboardError } from '../../src/index.js';
import { until } from '../helpers/wait.js';
import { Node } from './cluster-fixture.js';
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

describe('Redis engine: atomic changes and encoding once per node', () => {
  it('a flag move is atomic: another node never sees the connection on both flags or on neither', async (t) => {
    const adapter = redisAdapter({ url: REDIS_URL, prefix: testPrefix() });
    const a = await Node.start(adapter);
    const b = await Node.start(adapter);
    t.after(async () => {
      await a.stop();
      await b.stop();
    });
    const [connection] = await a.connect(1);
    await a.registry.bind(connection!, 'x');
    let moving = true;
    const mover = (async () => {
      for (let i = 0; moving; i++) await a.registry.bind(connection!, i % 2 === 0 ? 'y' : 'x');
    })();
    const seen = new Set<number>();
    for (let i = 0; i < 300; i++) {
      seen.add(await b.registry.flagCount(['x', 'y']));
      seen.add((await b.registry.flagConnections(['x', 'y'])).length);
    }
    moving = false;
    await mover;
    assert.deepEqual([...seen], [1]);
  });

  it('encodes a push once per encoder on each node, however many targets it has there', async (t) => {
    const adapter = redisAdapter({ url: REDIS_URL, prefix: testPrefix() });
    const codecs = [new CountingCodec(), new CountingCodec()];
    const a = await Node.start(adapter, undefined, codecs[0]);
    const b = await Node.start(adapter, undefined, codecs[1]);
    t.after(async () => {
      await a.stop();
      await b.stop();
    });
    await a.connect(3);
    await b.connect(4);
    assert.equal(await a.registry.sendToAll('once'), 7);
    assert.deepEqual(codecs.map((codec) => codec.encodes), [1, 1]);
  });
});

/** The default length-field framing, counting how many times it encodes. */
class CountingCodec extends LengthFieldCodec {
  encodes = 0;
  override encode(message: Buffer | Uint8Array | string): Buffer {
    this.encodes++;
    return super.encode(message);
  }
}

describe('Redis engine: one live node per node id', () => {
  it('a second live process with the same node id is refused, and joins once the first has left', async (t) => {
    const adapter = redisAdapter({ url: REDIS_URL, prefix: testPrefix(), joinTimeout: 500 });
    const first = await Node.start(adapter, 'twin');
    let second: Node | undefined;
    t.after(async () => {
      await second?.stop();
      await first.stop();
    });
    await first.connect(2);
    const server = new Server({ nodeId: 'twin', endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
    const registry = new Registry(server, { adapter });
    const statuses: string[] = [];
    registry.on('cluster', (status) => statuses.push(status.type));
    t.after(async () => {
      await server.stop({ timeout: 1000 });
      await registry.dispose();
    });
    await server.start();
    await assert.rejects(registry.ready(), (e: SwitchboardError) => e.code === ErrorCode.ClusterUnavailable && e.message.includes('held by another live node'));
    // The first node's presence is untouched.
    assert.equal(await first.registry.connectionCount(), 2);
    assert.equal(await registry.connectionCount(), 2);
    await first.registry.dispose();
    await until(() => statuses.includes('rebuilt'), 30_000, 'the second node to join');
    await registry.ready();
    assert.equal(await registry.connectionCount(), 0);
  });
});
