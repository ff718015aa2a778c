// Switchboard's bench server (the app is switchboard-app.ts): in one process, or with
// `--workers N` on a supervisor and N worker processes, the shape `switchboard start --workers N`
// runs, so that the same load generator measures each shape.
import { fileURLToPath } from 'node:url';
import { runApp, Supervisor } from '../../src/index.js';
import { BENCH_ENDPOINT, type EndpointArgs } from './switchboard-app.js';
import { announceReady, parseServerArgs } from './server-args.js';

const argv = process.argv.slice(2);
const at = argv.indexOf('--workers');
const workers = at === -1 ? 0 : Number(argv[at + 1]);
if (at !== -1) argv.splice(at, 2);
if (!Number.isInteger(workers) || workers < 0) {
  process.stderr.write(`--workers must be a whole number, got ${JSON.stringify(process.argv[at + 3])}\n`);
  process.exit(2);
}
const { key: _key, cert: _cert, ...endpoint } = parseServerArgs(argv, ['tcp', 'tls', 'unix', 'ws', 'wss', 'udp']);
process.env[BENCH_ENDPOINT] = JSON.stringify(endpoint satisfies EndpointArgs);
const app = fileURLToPath(new URL('./switchboard-app.js', import.meta.url));

async function main(): Promise<() => Promise<void>> {
  if (workers === 0) {
    const running = await runApp(app);
    return () => running.stop(1000);
  }
  const supervisor = new Supervisor({ app, workers, stopTimeout: 1000 });
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
