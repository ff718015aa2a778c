// A worker of the IPC engine tests, in a process of its own as the supervisor forks it: a Server
// and a Registry made the way an app makes them (no adapter option: the default engine is the IPC
// engine, as the process layer sets it before the app runs), driven by the test over its channel
// with plain `{ id, call, args }` messages beside the engine's envelopes. Config: JSON in argv[2].
import { Registry, Server, setDefaultClusterEngine, type ClusterStatus } from '../../src/index.js';
import { ipcEngine } from '../../src/cluster/index.js';
import { serveCalls, startAndReport, type Harness } from './serve-calls.js';

interface Config {
  nodeId: string;
  requestTimeout?: number;
  hubTimeout?: number;
  /** Ends the worker after this long whatever happens, so that no test can leave it behind. */
  lifetime: number;
}

// The test runner runs every file under test/ as a test: without a channel, this one has nothing to do.
if (typeof process.send !== 'function') process.exit(0);

const config = JSON.parse(process.argv[2] ?? '{}') as Config;
setTimeout(() => process.exit(3), config.lifetime).unref();
process.on('disconnect', () => process.exit(0));

setDefaultClusterEngine(ipcEngine(config.hubTimeout ? { hubTimeout: config.hubTimeout } : {}), config.requestTimeout ? { requestTimeout: config.requestTimeout } : {});
const server = new Server({ nodeId: config.nodeId, endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
const registry = new Registry(server);
const statuses: ClusterStatus[] = [];
registry.on('cluster', (status) => statuses.push(status));

const harness: Harness = {
  connectionIds: () => [...server.connections()].map((c) => c.id),
  statuses: () => statuses.map((s) => ({ ...s, error: undefined })),
  /** A raw push whose bytes travel between processes as a Buffer. */
  sendRawToAll: (text: string) => registry.sendRawToAll(Buffer.concat([Buffer.from([0, 0, 0, text.length]), Buffer.from(text)])),
  dispose: () => registry.dispose(),
  /** Runs a registry call `n` times one after the other; the milliseconds each took (for the bench). */
  latencies: async (n: number, call: string, ...args: unknown[]) => {
    const fn = (registry as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[call]!;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      await fn.apply(registry, args);
      out.push(performance.now() - start);
    }
    return out;
  },
};

serveCalls(registry, harness);
await startAndReport(server, registry);
