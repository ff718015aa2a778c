// The cluster bench (`npm run bench:cluster`): two nodes on one Redis server (a redis-server of
// its own, on a free port), half of the connections on each, broadcast to 1,000 and 10,000;
// Switchboard (counted pushes, and fire-and-forget) beside socket.io on @socket.io/redis-adapter,
// in the same run, through the same Node WebSocket client (ws-peer.ts). Then flagExists and
// connectionCount latency on a node holding 10,000 connections, and the time from SIGKILL of a
// node to exact answers on a survivor (default lease), over --kills kills.
//
//   npm run bench:cluster                      # everything, about 3 to 4 minutes
//   node dist/bench/cluster/run.js --sizes 1000 --kills 5 --seconds 3 --attempts 1
//   node dist/bench/cluster/run.js --redis redis://10.0.0.5:6379   # a Redis of your own
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import { freePort } from '../harness/ports.js';
import { WsPeer } from './ws-peer.js';

const argv = process.argv.slice(2);
function arg(name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1]! : fallback;
}
const SIZES = arg('sizes', '1000,10000').split(',').map(Number);
const KILLS = Number(arg('kills', '20'));
const SECONDS = Number(arg('seconds', '4'));
const ATTEMPTS = Number(arg('attempts', '2'));
const WINDOW = Number(arg('window', '8'));
const SYSTEMS = arg('systems', 'switchboard,switchboard-ff,socket.io').split(',');

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

async function broadcastCell(system: string, size: number, redisUrl: string, redisPid: number | undefined, askLatency: boolean): Promise<Record<string, number | string>> {
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
    for (let i = 0; i < WINDOW; i++) cell.sendOne();
    await sleep(1000); // warm-up
    const pids = [a.child.pid, b.child.pid, redisPid];
    const cpu0 = pids.map(cpuSeconds);
    const client0 = process.cpuUsage();
    cell.measuring = true;
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
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
    if (askLatency && system === 'switchboard' && size === Math.max(...SIZES)) {
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

async function killCell(redisUrl: string): Promise<Record<string, number>> {
  const prefix = `bench:kill:${Date.now()}:`;
  const survivor = await startNode('switchboard', redisUrl, prefix, 'benchsurvivor');
  const times: number[] = [];
  const peers: WsPeer[] = [];
  try {
    const mine = new Cell('switchboard', 0);
    await connectClients(mine, survivor.port, 10);
    peers.push(...mine.peers);
    const count = async (): Promise<number> => (await ask<{ count: number }>(survivor, { count: true })).count;
    for (let k = 0; k < KILLS; k++) {
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

// --redis URL measures against a Redis of your own (another machine, a managed one) instead.
const external = arg('redis', '');
const redis = external ? { url: external, child: undefined } : await startRedis();
try {
  // Best of --attempts per cell, the attempts interleaved (every system once, then again) so
  // that the noise of a shared machine falls on every system alike.
  const best = new Map<string, Record<string, number | string>>();
  let presence: Record<string, number | string> | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    for (const size of SIZES) {
      for (const system of SYSTEMS) {
        const row = await broadcastCell(system, size, redis.url, redis.child?.pid, attempt === ATTEMPTS - 1);
        process.stdout.write(`${JSON.stringify(row)}\n`);
        if (row['flagExistsP50us'] !== undefined) presence = row;
        const key = `${system}/${size}`;
        const kept = best.get(key);
        if (!kept || Number(row['deliveriesPerSecond']) > Number(kept['deliveriesPerSecond'])) best.set(key, row);
      }
    }
  }
  const rows = [...best.values()];
  process.stdout.write('\n| system | connections | deliveries/s | p50 ms | p99 ms | server CPU µs/delivery | lost | failed pushes |\n|---|---|---|---|---|---|---|---|\n');
  for (const r of rows) {
    process.stdout.write(`| ${r['system']} | ${r['size']} | ${r['deliveriesPerSecond']} | ${Number(r['p50ms']).toFixed(1)} | ${Number(r['p99ms']).toFixed(1)} | ${Number(r['serverCpuUsPerDelivery']).toFixed(2)} | ${r['lost']} | ${r['failedPushes']} |\n`);
  }
  if (presence) {
    process.stdout.write(`\nflagExists p50 ${Number(presence['flagExistsP50us']).toFixed(0)} µs, p99 ${Number(presence['flagExistsP99us']).toFixed(0)} µs; connectionCount p50 ${Number(presence['connectionCountP50us']).toFixed(0)} µs, p99 ${Number(presence['connectionCountP99us']).toFixed(0)} µs (node holding ${presence['size']} / 2 of ${presence['size']} connections, 500 users)\n`);
  }
  if (KILLS > 0) {
    const kill = await killCell(redis.url);
    process.stdout.write(`SIGKILL to exact answers on the survivor (lease 3000 ms, ${kill['kills']} kills): p50 ${kill['p50ms']!.toFixed(0)} ms, p99 ${kill['p99ms']!.toFixed(0)} ms, max ${kill['maxMs']!.toFixed(0)} ms\n`);
  }
} finally {
  redis.child?.kill('SIGKILL');
}
