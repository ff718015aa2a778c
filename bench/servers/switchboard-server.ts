// Switchboard's bench server (the app is switchboard-app.ts): in one process, or with
// `--workers N` on a supervisor and N worker processes, and with `--redis URL [--redis-prefix P]`
// as one instance of a Redis cluster: the shapes `switchboard start` runs, with its flags, so that
// the same load generator measures each shape.
import { fileURLToPath } from 'node:url';
import { runApp, Supervisor, type ClusterShape } from '../../src/index.js';
import { BENCH_ENDPOINT, type EndpointArgs } from './switchboard-app.js';
import { announceReady, parseServerArgs } from './server-args.js';

const argv = process.argv.slice(2);

/** Takes `--name VALUE` out of argv (the shared parser knows only the endpoint's options). */
function take(name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  if (at === -1) return undefined;
  const [, value] = argv.splice(at, 2);
  return value;
}

const workersText = take('workers');
const workers = workersText === undefined ? 0 : Number(workersText);
if (!Number.isInteger(workers) || workers < 0) {
  process.stderr.write(`--workers must be a whole number, got ${JSON.stringify(workersText)}\n`);
  process.exit(2);
}
const redis = take('redis');
const prefix = take('redis-prefix');
const shape: ClusterShape | undefined = redis === undefined ? undefined : { type: 'redis', url: redis, ...(prefix !== undefined ? { prefix } : {}) };
const { key: _key, cert: _cert, ...endpoint } = parseServerArgs(argv, ['tcp', 'tls', 'unix', 'ws', 'wss', 'udp']);
process.env[BENCH_ENDPOINT] = JSON.stringify(endpoint satisfies EndpointArgs);
const app = fileURLToPath(new URL('./switchboard-app.js', import.meta.url));

async function main(): Promise<() => Promise<void>> {
  if (workers === 0) {
    const running = await runApp(app, shape ? { shape } : {});
    return () => running.stop(1000);
  }
  const supervisor = new Supervisor({ app, workers, stopTimeout: 1000, ...(shape ? { shape } : {}) });
  await supervisor.start();
  return () => supervisor.stop();
}

main().then(
  (stop) => {
    announceReady();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void stop().then(() => process.exit(0)));
  },
  (error: Error) => {
    process.stderr.write(`switchboard-server: ${error.message}\n`);
    process.exit(1);
  },
);
