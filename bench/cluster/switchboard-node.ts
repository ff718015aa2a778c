// One Switchboard node of the cluster bench: a WebSocket server and a Registry on the Redis engine.
// A text message starting with 'B' is broadcast to every connection of the cluster, as the bench
// server does (DESIGN.md, "Benchmark protocol"). argv: port, redis URL, prefix, countPushes, nodeId.
// IPC: { latency: n } measures flagExists / connectionCount; the answer is { flagExists, connectionCount }
// with p50/p99 in microseconds.
import { performance } from 'node:perf_hooks';
import { Registry, Server, redisAdapter } from '../../src/index.js';

const [portArg, url, prefix, countArg, nodeId] = process.argv.slice(2);
const server = new Server({
  ...(nodeId ? { nodeId } : {}),
  endpoints: [{ transport: 'ws', host: '127.0.0.1', port: Number(portArg), path: '/', backlog: 4096 }],
  limits: { maxSendBufferSize: 64 * 1024 * 1024 },
});
const registry = new Registry(server, { adapter: redisAdapter({ url: url!, prefix: prefix!, countPushes: countArg !== 'false' }) });
let users = 0;
let failed = 0;
server.on('establish', ({ connection }) => {
  void registry.bind(connection, `u${users++ % 500}`).catch(() => {});
});
server.on('message', ({ message }) => {
  if (typeof message === 'string' && message.charCodeAt(0) === 0x42) {
    registry.sendToAll(message).catch(() => failed++);
  }
});

process.on('message', async (request: { latency?: number; failed?: true; count?: true }) => {
  if (request.failed) {
    process.send!({ failed });
    return;
  }
  if (request.count) {
    process.send!({ count: await registry.connectionCount().catch(() => -1) });
    return;
  }
  const n = request.latency ?? 1000;
  const measure = async (call: () => Promise<unknown>): Promise<{ p50: number; p99: number }> => {
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await call();
      samples.push((performance.now() - t0) * 1000);
    }
    samples.sort((a, b) => a - b);
    return { p50: samples[Math.floor(n * 0.5)]!, p99: samples[Math.floor(n * 0.99)]! };
  };
  let i = 0;
  const flagExists = await measure(() => registry.flagExists(`u${i++ % 1000}`));
  const connectionCount = await measure(() => registry.connectionCount());
  process.send!({ flagExists, connectionCount });
});
// Leave the cluster on the way out, so that a bench against a Redis of your own leaves no keys.
const leave = (): void => void registry.dispose().finally(() => process.exit(0));
process.on('disconnect', leave);
process.once('SIGTERM', leave);

await server.start();
await registry.ready();
process.send!({ ready: true });
