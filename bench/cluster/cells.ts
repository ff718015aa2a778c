// The cluster bench's cells, shared by `npm run bench:cluster` (cluster/run.ts, every cell and the
// SIGKILL measure) and `npm run bench` (run.ts: the broadcast cells beside the single-node ones):
// two nodes on one Redis server (a redis-server of its own, on a free port, unless a URL is
// given), half of the connections on each, Switchboard (counted pushes, and fire-and-forget)
// beside socket.io on @socket.io/redis-adapter, in the same run, driven by the same C load
// generator as the single-node cells (bench/loadgen, connections spread over both nodes). ws-peer.ts
// is the few clients of the SIGKILL measure.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { buildLoadgen, runLoadgen } from '../harness/loadgen.js';
import { freePort } from '../harness/ports.js';
import { WsPeer } from './ws-peer.js';

export interface ClusterBenchOptions {
  /** Connections per broadcast cell (half on each node). */
  readonly sizes: readonly number[];
  /** Measured seconds per cell. */
  readonly seconds: number;
  /** Attempts per cell, interleaved, the best kept. */
  readonly attempts: number;
  /** Broadcasts in flight per cell. */
  readonly window: number;
  /** `switchboard` (counted pushes), `switchboard-ff` (fire-and-forget), `socket.io`. */
  readonly systems: readonly string[];
  /** SIGKILLs of a node for the time to exact answers on a survivor (0: not measured). */
  readonly kills: number;
  /** A Redis of your own; otherwise a redis-server is started on a free port and killed after. */
  readonly redisUrl?: string;
  /** Each cell's raw row as it is measured. */
  readonly onRow?: (row: Row) => void;
}

export type Row = Record<string, number | string>;

export interface ClusterBenchResult {
  /** The best attempt of each system and size, in the order measured. */
  readonly rows: Row[];
  /** flagExists / connectionCount latency on a node of the largest Switchboard cell. */
  readonly presence: Row | undefined;
  readonly kill: Record<string, number> | undefined;
}

const here = new URL('.', import.meta.url);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function startRedis(): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    const ok = await ping(port).catch(() => false);
    if (ok) return { url, child };
    await sleep(50);
  }
  throw new Error('redis-server did not start');
}

/** PING over a plain socket: enough to know redis-server is up. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('error', reject);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data: Buffer) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
  });
}

interface NodeProcess {
  child: ChildProcess;
  port: number;
}

async function startNode(system: string, redisUrl: string, prefix: string, nodeId: string): Promise<NodeProcess> {
  const port = await freePort();
  const script = system === 'socket.io' ? 'socketio-node.js' : 'switchboard-node.js';
  const args = system === 'socket.io' ? [String(port), redisUrl, prefix] : [String(port), redisUrl, prefix, system === 'switchboard-ff' ? 'false' : 'true', nodeId];
  const child = fork(new URL(script, here), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${system} node exited with ${code}`)));
  });
  return { child, port };
}

function ask<T>(node: NodeProcess, message: object): Promise<T> {
  return new Promise((resolve) => {
    node.child.once('message', (answer) => resolve(answer as T));
    node.child.send(message);
  });
}

async function stopNode(node: NodeProcess): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return;
  const exited = new Promise((resolve) => node.child.once('exit', resolve));
  node.child.kill('SIGTERM');
  const timer = setTimeout(() => node.child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** Opens `count` WebSocket clients on a Switchboard node (the SIGKILL measure's connections). */
async function connectPeers(port: number, count: number): Promise<WsPeer[]> {
  const peers = Array.from({ length: count }, () => new WsPeer(port, '/', () => {}));
  await Promise.all(peers.map((peer) => peer.open()));
  return peers;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** The generator's arguments for `size` connections spread over both nodes (connection i on node i mod 2). */
function loadgenArgs(system: string, size: number, nodes: readonly NodeProcess[]): string[] {
  return ['--proto', system === 'socket.io' ? 'eio' : 'ws', '--transport', 'tcp', '--port', nodes.map((n) => n.port).join(','), '--conns', String(size), '--connect-timeout', '120'];
}

async function broadcastCell(system: string, size: number, redisUrl: string, redisPid: number | undefined, askLatency: boolean, options: ClusterBenchOptions): Promise<Row> {
  const prefix = `bench:${system}:${size}:${Date.now()}:`;
  const a = await startNode(system, redisUrl, prefix, `bench${size}a`);
  const b = await startNode(system, redisUrl, prefix, `bench${size}b`);
  try {
    // The C generator (bench/loadgen) is the client, as in every single-node cell: on 2 cores a
    // client in Node spent as much CPU per delivery as the servers did, and capped the faster one.
    // `--senders` broadcasts in flight, from clients of both nodes (senders alternate between them);
    // each sender sends its next once every connection of the cluster has received its last.
    const pids = [a.child.pid, b.child.pid, redisPid].filter((pid): pid is number => pid !== undefined);
    const result = await runLoadgen(
      [...loadgenArgs(system, size, [a, b]), '--workload', 'bcast', '--senders', String(options.window), '--size', '64',
        '--warmup', '1.5', '--duration', String(options.seconds), '--stall', '5', '--server-pid', pids.join(',')],
      (options.seconds + 150) * 1000,
    );
    if (result.connected !== size) throw new Error(`${system}: ${result.connected} of ${size} connections established`);
    let failed = 0;
    if (system !== 'socket.io') failed = (await ask<{ failed: number }>(a, { failed: true })).failed + (await ask<{ failed: number }>(b, { failed: true })).failed;
    let presence: Record<string, number> = {};
    if (askLatency && system === 'switchboard' && size === Math.max(...options.sizes)) presence = await presenceLatency(a, size, [a, b]);
    return {
      system,
      size,
      deliveriesPerSecond: Math.round(result.rate),
      p50ms: result.latency_us.p50 / 1000,
      p99ms: result.latency_us.p99 / 1000,
      // Broadcasts given up after 5 s without reaching every connection, and connections lost.
      lost: result.stalls + result.closed,
      failedPushes: failed,
      // Server-side CPU per delivery (both nodes and Redis): the figure the machine's noise moves least.
      serverCpuUsPerDelivery: result.received === 0 || result.server.cpu_s < 0 ? NaN : (result.server.cpu_s * 1e6) / result.received,
      cpuServers: result.server.cpu_s,
      cpuClient: result.generator.cpu_s,
      ...presence,
    };
  } finally {
    await stopNode(a);
    await stopNode(b);
  }
}

/**
 * flagExists / connectionCount latency on `node` while the cluster holds `size` idle connections
 * (the generator's idle workload holds them), measured once every one of them is registered.
 */
async function presenceLatency(node: NodeProcess, size: number, nodes: readonly NodeProcess[]): Promise<Record<string, number>> {
  const holding = runLoadgen([...loadgenArgs('switchboard', size, nodes), '--workload', 'idle', '--warmup', '15'], 180_000);
  const count = async (): Promise<number> => (await ask<{ count: number }>(node, { count: true })).count;
  const deadline = performance.now() + 120_000;
  while ((await count()) !== size) {
    if (performance.now() > deadline) throw new Error(`presence: ${size} connections never registered`);
    await sleep(100);
  }
  const answer = await ask<{ flagExists: { p50: number; p99: number }; connectionCount: { p50: number; p99: number } }>(node, { latency: 2000 });
  await holding;
  return { flagExistsP50us: answer.flagExists.p50, flagExistsP99us: answer.flagExists.p99, connectionCountP50us: answer.connectionCount.p50, connectionCountP99us: answer.connectionCount.p99 };
}

async function killCell(redisUrl: string, kills: number): Promise<Record<string, number>> {
  const prefix = `bench:kill:${Date.now()}:`;
  const survivor = await startNode('switchboard', redisUrl, prefix, 'benchsurvivor');
  const times: number[] = [];
  const peers: WsPeer[] = [];
  try {
    peers.push(...(await connectPeers(survivor.port, 10)));
    const count = async (): Promise<number> => (await ask<{ count: number }>(survivor, { count: true })).count;
    for (let k = 0; k < kills; k++) {
      const victim = await startNode('switchboard', redisUrl, prefix, `benchvictim${k}`);
      const theirs = await connectPeers(victim.port, 50);
      while ((await count()) !== 60) await sleep(10);
      victim.child.kill('SIGKILL');
      const t0 = performance.now();
      while ((await count()) !== 10) await sleep(5);
      times.push(performance.now() - t0);
      for (const peer of theirs) peer.close();
      await stopNode(victim);
    }
  } finally {
    for (const peer of peers) peer.close();
    await stopNode(survivor);
  }
  times.sort((x, y) => x - y);
  return { kills: times.length, p50ms: percentile(times, 0.5), p99ms: percentile(times, 0.99), maxMs: times[times.length - 1] ?? NaN };
}

/** Every broadcast cell (best of the attempts, interleaved so that noise falls on every system alike), then the kills. */
export async function runClusterBench(options: ClusterBenchOptions): Promise<ClusterBenchResult> {
  buildLoadgen(() => {});
  const redis = options.redisUrl ? { url: options.redisUrl, child: undefined } : await startRedis();
  try {
    const best = new Map<string, Row>();
    let presence: Row | undefined;
    for (let attempt = 0; attempt < options.attempts; attempt++) {
      for (const size of options.sizes) {
        for (const system of options.systems) {
          const row = await broadcastCell(system, size, redis.url, redis.child?.pid, attempt === options.attempts - 1, options);
          options.onRow?.(row);
          if (row['flagExistsP50us'] !== undefined) presence = row;
          const key = `${system}/${size}`;
          const kept = best.get(key);
          if (!kept || Number(row['deliveriesPerSecond']) > Number(kept['deliveriesPerSecond'])) best.set(key, row);
        }
      }
    }
    const kill = options.kills > 0 ? await killCell(redis.url, options.kills) : undefined;
    return { rows: [...best.values()], presence, kill };
  } finally {
    redis.child?.kill('SIGKILL');
  }
}

/** The broadcast cells as a Markdown table, with the presence and kill figures under it. */
export function renderClusterTable(result: ClusterBenchResult): string {
  let out = '| system | connections | deliveries/s | p50 ms | p99 ms | server CPU µs/delivery | lost | failed pushes |\n|---|---|---|---|---|---|---|---|\n';
  for (const r of result.rows) {
    out += `| ${r['system']} | ${r['size']} | ${r['deliveriesPerSecond']} | ${Number(r['p50ms']).toFixed(1)} | ${Number(r['p99ms']).toFixed(1)} | ${Number(r['serverCpuUsPerDelivery']).toFixed(2)} | ${r['lost']} | ${r['failedPushes']} |\n`;
  }
  const presence = result.presence;
  if (presence) {
    out += `\nflagExists p50 ${Number(presence['flagExistsP50us']).toFixed(0)} µs, p99 ${Number(presence['flagExistsP99us']).toFixed(0)} µs; connectionCount p50 ${Number(presence['connectionCountP50us']).toFixed(0)} µs, p99 ${Number(presence['connectionCountP99us']).toFixed(0)} µs (node holding ${presence['size']} / 2 of ${presence['size']} connections, 500 users)\n`;
  }
  const kill = result.kill;
  if (kill) {
    out += `SIGKILL to exact answers on the survivor (lease 3000 ms, ${kill['kills']} kills): p50 ${kill['p50ms']!.toFixed(0)} ms, p99 ${kill['p99ms']!.toFixed(0)} ms, max ${kill['maxMs']!.toFixed(0)} ms\n`;
  }
  return out;
}

/**
 * `npm run bench`'s two-node cells: broadcast to 1,000 and 10,000 (1,000 only with --quick, one
 * short attempt), Switchboard beside socket.io, as a report section. A failure (no redis-server
 * here, a node that does not start) becomes a line in the section, not a failed bench.
 */
export async function clusterSection(quick: boolean, log: (line: string) => void): Promise<string> {
  const options: ClusterBenchOptions = quick
    ? { sizes: [1000], seconds: 1, attempts: 1, window: 8, systems: ['switchboard', 'socket.io'], kills: 0 }
    : { sizes: [1000, 10_000], seconds: 4, attempts: 2, window: 8, systems: ['switchboard', 'switchboard-ff', 'socket.io'], kills: 0 };
  const title = '## Two nodes on one Redis: broadcast\n\n'
    + `Two server processes on one redis-server, half of the connections on each (the C generator, connection i on node i mod 2); a broadcast from a client of either node reaches every connection of both (Switchboard's Registry on the Redis engine, socket.io on @socket.io/redis-adapter), ${options.window} senders alternating between the nodes, each with one broadcast in flight, 64 B, ${options.seconds} s per cell after 1.5 s of warm-up, best of ${options.attempts}. \`switchboard\` counts each push (the sender learns how many it reached), \`switchboard-ff\` does not. Server CPU is both nodes and Redis; lost counts broadcasts that did not reach every connection within 5 s, and connections lost. \`npm run bench:cluster\` adds presence latency and the time from a node's SIGKILL to exact answers.\n\n`;
  log(`cluster: ${options.sizes.length * options.systems.length * options.attempts} two-node broadcast cells`);
  try {
    const result = await runClusterBench({ ...options, onRow: (row) => log(`cluster: ${row['system']} ${row['size']}: ${row['deliveriesPerSecond']} deliveries/s`) });
    return title + renderClusterTable(result);
  } catch (error) {
    log(`cluster cells failed: ${(error as Error).message}`);
    return `${title}Not measured: ${(error as Error).message}\n`;
  }
}
