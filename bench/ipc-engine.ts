// The IPC cluster engine's own costs, with real worker processes and a hub in this process (as in
// the supervisor): the round trip of a question (connectionCount, flagExists) from a worker, a
// push from one worker reaching connections on another (sendToAll, each waiting for the count),
// and the time from SIGKILL of a worker to exact answers on the others.
//
//   npx tsc -p . && node dist/bench/ipc-engine.js [--workers 2] [--connections 100] [--calls 2000] [--kills 20]
//
// The load shares the machine's cores with the workers: read the figures as orders of magnitude.
import { performance } from 'node:perf_hooks';
import { IpcMachine } from '../test/cluster/ipc-machine.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : Number(process.argv[at + 1]);
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}

const WORKERS = Math.max(2, option('workers', 2));
const CONNECTIONS = option('connections', 100);
const CALLS = option('calls', 2000);
const KILLS = option('kills', 20);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? NaN;
}

function summary(name: string, samples: number[], rate = true): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const total = samples.reduce((sum, x) => sum + x, 0);
  const perSecond = rate ? `   ${Math.round((samples.length * 1000) / total)} calls/s one after the other` : '';
  console.log(`${name.padEnd(34)} p50 ${percentile(sorted, 50).toFixed(3)} ms   p99 ${percentile(sorted, 99).toFixed(3)} ms${perSecond}`);
}

const machine = new IpcMachine();
try {
  const workers = [];
  for (let i = 0; i < WORKERS; i++) workers.push(await machine.fork(`bench${i}`));
  const [first] = workers;
  console.log(`${WORKERS} workers, ${CONNECTIONS} connections each, ${CALLS} calls per question`);
  // With no connection anywhere, a counted push is the engine's round trip alone: worker -> hub
  // -> every other worker -> hub -> worker.
  summary(`sendToAll (no targets: round trip)`, await first!.call<number[]>('latencies', Math.ceil(CALLS / 4), 'sendToAll', 'x'));
  for (const worker of workers) await worker.connect(CONNECTIONS);
  // The peers live in this process, beside the hub: they stop reading, so that what is measured
  // is the workers and the hub, not test peers keeping everything they receive.
  for (const worker of workers) {
    for (const peer of worker.peers) {
      peer.socket.removeAllListeners('data');
      peer.socket.pause();
    }
  }
  const ids = await first!.call<string[]>('connectionIds');
  await first!.call('bind', ids[0], 'alice');
  summary('connectionCount', await first!.call<number[]>('latencies', CALLS, 'connectionCount'));
  summary('flagExists', await first!.call<number[]>('latencies', CALLS, 'flagExists', 'alice'));
  summary(`sendToAll (${WORKERS * CONNECTIONS} targets, counted)`, await first!.call<number[]>('latencies', Math.ceil(CALLS / 10), 'sendToAll', 'x'));
  for (const worker of workers) for (const peer of worker.peers) peer.socket.destroy();

  // SIGKILL to exact answers: the hub drops the worker when the exit is seen; measured to the
  // first answer of a survivor that excludes it.
  const kills: number[] = [];
  const survivor = workers[0]!;
  for (let k = 0; k < KILLS; k++) {
    const victim = await machine.fork(`victim${k}`);
    await victim.connect(10);
    const before = await survivor.call<number>('connectionCount');
    const start = performance.now();
    victim.child.kill('SIGKILL');
    while ((await survivor.call<number>('connectionCount')) !== before - 10);
    kills.push(performance.now() - start);
    await victim.kill();
  }
  summary(`SIGKILL to exact answers (${KILLS} kills)`, kills, false);
} finally {
  await machine.stop();
}
