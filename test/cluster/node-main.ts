// A cluster node in a process of its own, for the fault tests: a Server and a Registry on the
// Redis engine, driven over the IPC channel. Config: JSON in argv[2].
import { Registry, RedisEngine, Server, clusterAdapter, type ClusterStatus, type SwitchboardError } from '../../src/index.js';
import { serveCalls, startAndReport, type Harness } from './serve-calls.js';

interface Config {
  nodeId: string;
  url: string;
  prefix: string;
  lease?: number;
  requestTimeout?: number;
  commandTimeout?: number;
  maxPendingCommands?: number;
}

// The test runner runs every file under dist/test: without the IPC channel of node-process.ts
// this is not a node of any test, so there is nothing to do.
if (!process.send) process.exit(0);

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
let engine: RedisEngine | undefined;
const server = new Server({ nodeId: config.nodeId, endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
const engineOptions = {
  url: config.url,
  prefix: config.prefix,
  ...(config.lease ? { lease: config.lease } : {}),
  ...(config.commandTimeout ? { commandTimeout: config.commandTimeout } : {}),
  ...(config.maxPendingCommands ? { maxPendingCommands: config.maxPendingCommands } : {}),
};
const registry = new Registry(server, {
  adapter: clusterAdapter(() => (engine = new RedisEngine(engineOptions)), config.requestTimeout ? { requestTimeout: config.requestTimeout } : {}),
});
const statuses: ClusterStatus[] = [];
registry.on('cluster', (status) => statuses.push(status));
let maxPending = 0;
setInterval(() => (maxPending = Math.max(maxPending, engine?.pending ?? 0)), 1).unref();

/** Broadcasts in a loop, recording how each ended, until told to stop. */
const loop = { running: false, ok: 0, errors: {} as Record<string, number> };

const extra: Harness = {
  connectionIds: () => [...server.connections()].map((c) => c.id),
  statuses: () => statuses.map(({ ...s }) => ({ ...s, error: undefined })),
  maxPending: () => maxPending,
  startLoop: (message: string, everyMs: number) => {
    loop.running = true;
    const tick = async (): Promise<void> => {
      while (loop.running) {
        try {
          await registry.sendToAll(message);
          loop.ok++;
        } catch (error) {
          const code = (error as SwitchboardError).code ?? 'unknown';
          loop.errors[code] = (loop.errors[code] ?? 0) + 1;
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
    };
    void tick();
    return true;
  },
  stopLoop: () => {
    loop.running = false;
    return { ok: loop.ok, errors: loop.errors };
  },
  /** `n` pushes at once; how each ended, by code. */
  burst: async (n: number, message: string) => {
    const codes: Record<string, number> = {};
    await Promise.all(
      Array.from({ length: n }, async () => {
        try {
          await registry.sendToAll(message);
          codes['ok'] = (codes['ok'] ?? 0) + 1;
        } catch (error) {
          const code = (error as SwitchboardError).code ?? 'unknown';
          codes[code] = (codes[code] ?? 0) + 1;
        }
      }),
    );
    return codes;
  },
};

serveCalls(registry, extra);

process.on('disconnect', () => process.exit(0));

await startAndReport(server, registry);
