// The cluster bench's cells, shared by `npm run bench:cluster` (cluster/run.ts, every cell and the
// SIGKILL measure) and `npm run bench` (run.ts: the broadcast cells beside the single-node ones):
// two nodes on one Redis server (a redis-server of its own, on a free port, unless a URL is
// given), half of the connections on each, Switchboard (counted pushes, and fire-and-forget)
// beside socket.io on @socket.io/redis-adapter, in the same run, through the same Node WebSocket
// client (ws-peer.ts).
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
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

/** CPU seconds a process has used (user + system), from /proc: what the servers cost, whatever the noise. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

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

/** Broadcast state shared by every client of one cell. */
class Cell {
  readonly peers: WsPeer[] = [];
  private readonly remaining = new Map<number, { left: number; sentAt: number }>();
  private seq = 0;
  delivered = 0;
  measuring = false;
  /** Set once measured: no more broadcasts, so that what is measured next runs on a quiet node. */
  stopped = false;
  latencies: number[] = [];
  lost = 0;

  constructor(
    readonly system: string,
    readonly size: number,
  ) {}

  /** What a client does with a text frame. */
  readonly onText = (data: Buffer, start: number, end: number, peer: WsPeer): void => {
    // Read in place, no string per frame: the client must cost as little as it can, and the same
    // for both systems.
    let at = start;
    if (this.system === 'socket.io') {
      if (end - start === 1 && data[start] === 0x32) return peer.send('3'); // Engine.IO ping
      if (data[start] !== 0x34 || data[start + 1] !== 0x32) return; // 42["bcast","...
      at = start + 12;
    }
    if (data[at] !== 0x42) return;
    let seq = 0;
    for (at += 2; at < end && data[at] !== 0x7c; at++) seq = seq * 10 + data[at]! - 48;
    const entry = this.remaining.get(seq);
    if (!entry) return;
    if (this.measuring) {
      this.delivered++;
      if ((this.delivered & 7) === 0) this.latencies.push(performance.now() - entry.sentAt);
    }
    if (--entry.left === 0) {
      this.remaining.delete(seq);
      this.sendOne();
    }
  };

  sendOne(): void {
    if (this.stopped) return;
    const seq = ++this.seq;
    const sentAt = performance.now();
    this.remaining.set(seq, { left: this.size, sentAt });
    const payload = `B|${seq}|${'x'.repeat(48)}`;
    const sender = this.peers[0]!;
    sender.send(this.system === 'socket.io' ? `42${JSON.stringify(['bcast', payload])}` : payload);
  }

  /** Broadcasts that never complete (a delivery lost) are dropped after 5 s so that the window goes on. */
  reap(): void {
    const now = performance.now();
    for (const [seq, entry] of this.remaining) {
      if (now - entry.sentAt > 5000) {
        this.remaining.delete(seq);
        this.lost += entry.left;
        this.sendOne();
      }
    }
  }
}

async function connectClients(cell: Cell, port: number, count: number): Promise<void> {
  const path = cell.system === 'socket.io' ? '/socket.io/?EIO=4&transport=websocket' : '/';
  for (let start = 0; start < count; start += 250) {
    const batch: WsPeer[] = [];
    const joined: Promise<void>[] = [];
    for (let i = start; i < Math.min(count, start + 250); i++) {
      let resolveJoin!: () => void;
      joined.push(new Promise((resolve) => (resolveJoin = resolve)));
      // socket.io: the Engine.IO open packet, then connect to namespace '/' and wait for its ack.
      const onText = cell.system === 'socket.io'
        ? (data: Buffer, start: number, end: number, peer: WsPeer): void => {
            if (data[start] === 0x30 && data[start + 1] === 0x7b) peer.send('40'); // 0{ : open
            else if (data[start] === 0x34 && data[start + 1] === 0x30) resolveJoin(); // 40 : connected
            else cell.onText(data, start, end, peer);
          }
        : cell.onText;
      const peer = new WsPeer(port, path, onText);
      if (cell.system !== 'socket.io') void peer.open().then(resolveJoin);
      batch.push(peer);
    }
    await Promise.all(batch.map((peer) => peer.open()));
    await Promise.all(joined);
    cell.peers.push(...batch);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

async function broadcastCell(system: string, size: number, redisUrl: string, redisPid: number | undefined, askLatency: boolean, options: ClusterBenchOptions): Promise<Row> {
  const prefix = `bench:${system}:${size}:${Date.now()}:`;
  const a = await startNode(system, redisUrl, prefix, `bench${size}a`);
  const b = await startNode(system, redisUrl, prefix, `bench${size}b`);
  const cell = new Cell(system, size);
  try {
    await connectClients(cell, a.port, size / 2);
    await connectClients(cell, b.port, size / 2);
    // Let presence writes and joins settle before measuring.
    await sleep(1000);
    cell.stopped = false;
    const reaper = setInterval(() => cell.reap(), 500);
    for (let i = 0; i < options.window; i++) cell.sendOne();
    await sleep(1000); // warm-up
    const pids = [a.child.pid, b.child.pid, redisPid];
    const cpu0 = pids.map(cpuSeconds);
    const client0 = process.cpuUsage();
    cell.measuring = true;
    const t0 = performance.now();
    await sleep(options.seconds * 1000);
    cell.measuring = false;
    cell.stopped = true;
    const cpu = pids.map((pid, i) => cpuSeconds(pid) - cpu0[i]!);
    const clientCpu = process.cpuUsage(client0);
    const elapsed = (performance.now() - t0) / 1000;
    clearInterval(reaper);
    const latencies = cell.latencies.sort((x, y) => x - y);
    let failed = 0;
    if (system !== 'socket.io') failed = (await ask<{ failed: number }>(a, { failed: true })).failed + (await ask<{ failed: number }>(b, { failed: true })).failed;
    let presence: Record<string, number> = {};
    if (askLatency && system === 'switchboard' && size === Math.max(...options.sizes)) {
      const answer = await ask<{ flagExists: { p50: number; p99: number }; connectionCount: { p50: number; p99: number } }>(a, { latency: 2000 });
      presence = { flagExistsP50us: answer.flagExists.p50, flagExistsP99us: answer.flagExists.p99, connectionCountP50us: answer.connectionCount.p50, connectionCountP99us: answer.connectionCount.p99 };
    }
    return {
      system,
      size,
      deliveriesPerSecond: Math.round(cell.delivered / elapsed),
      p50ms: percentile(latencies, 0.5),
      p99ms: percentile(latencies, 0.99),
      lost: cell.lost,
      failedPushes: failed,
      // Server-side CPU per delivery (both nodes and Redis): the figure the machine's noise moves least.
      serverCpuUsPerDelivery: cell.delivered === 0 ? NaN : ((cpu[0]! + cpu[1]! + cpu[2]!) * 1e6) / cell.delivered,
      cpuNodeA: cpu[0]!,
      cpuNodeB: cpu[1]!,
      cpuRedis: cpu[2]!,
      cpuClient: (clientCpu.user + clientCpu.system) / 1e6,
      ...presence,
    };
  } finally {
    for (const peer of cell.peers) peer.close();
    await stopNode(a);
    await stopNode(b);
  }
}

async function killCell(redisUrl: string, kills: number): Promise<Record<string, number>> {
  const prefix = `bench:kill:${Date.now()}:`;
  const survivor = await startNode('switchboard', redisUrl, prefix, 'benchsurvivor');
  const times: number[] = [];
  const peers: WsPeer[] = [];
  try {
    const mine = new Cell('switchboard', 0);
    await connectClients(mine, survivor.port, 10);
    peers.push(...mine.peers);
    const count = async (): Promise<number> => (await ask<{ count: number }>(survivor, { count: true })).count;
    for (let k = 0; k < kills; k++) {
      const victim = await startNode('switchboard', redisUrl, prefix, `benchvictim${k}`);
      const theirs = new Cell('switchboard', 0);
      await connectClients(theirs, victim.port, 50);
      while ((await count()) !== 60) await sleep(10);
      victim.child.kill('SIGKILL');
      const t0 = performance.now();
      while ((await count()) !== 10) await sleep(5);
      times.push(performance.now() - t0);
      for (const peer of theirs.peers) peer.close();
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
    + `Two server processes on one redis-server, half of the connections on each; a broadcast from a client of the first node reaches every connection of both (Switchboard's Registry on the Redis engine, socket.io on @socket.io/redis-adapter), ${options.window} broadcasts in flight, ${options.seconds} s per cell, best of ${options.attempts}. \`switchboard\` counts each push (the sender learns how many it reached), \`switchboard-ff\` does not. Server CPU is both nodes and Redis. \`npm run bench:cluster\` adds presence latency and the time from a node's SIGKILL to exact answers.\n\n`;
  log(`cluster: ${options.sizes.length * options.systems.length * options.attempts} two-node broadcast cells`);
  try {
    const result = await runClusterBench({ ...options, onRow: (row) => log(`cluster: ${row['system']} ${row['size']}: ${row['deliveriesPerSecond']} deliveries/s`) });
    return title + renderClusterTable(result);
  } catch (error) {
    log(`cluster cells failed: ${(error as Error).message}`);
    return `${title}Not measured: ${(error as Error).message}\n`;
  }
}
