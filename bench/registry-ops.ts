// Registry operations at scale: join, leave and close with 10,000 connections spread over
// 1,000 or 100,000 groups, plus the registry's own cost per target of a group push.
//
//   npx tsc -p . && node dist/bench/registry-ops.js [--connections 10000] [--groups-each 10]
//
// In-process, no sockets: connections are stand-ins with an id (and a sendFrame that only
// counts), so the figures are the registry's own work. "Registry" is the public API (a Promise
// per call); "index" is the membership index underneath (src/registry/membership.ts).
import { EventEmitter } from 'node:events';
import type { WireEncoder } from '../src/codec/wire-encoder.js';
import { encoderOf, sendFrame } from '../src/connection/internal.js';
import { Registry, type Connection, type RegistrySource } from '../src/index.js';
import { Membership } from '../src/registry/membership.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at === -1 ? undefined : Number(process.argv[at + 1]);
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback;
}

const CONNECTIONS = option('connections', 10_000);
const GROUPS_EACH = option('groups-each', 10);
const POOLS = [1_000, 100_000];

class StandInServer extends EventEmitter {
  connections(): Connection[] {
    return [];
  }
}

const encoder: WireEncoder = { encode: () => Buffer.alloc(8), encodeParts: (_message, out) => { out.push(Buffer.alloc(8)); return 8; }, encodeRaw: () => Buffer.alloc(8) };
let framesWritten = 0;

function standIn(id: string): Connection {
  return { id, state: 'open', context: {}, [encoderOf]: encoder, [sendFrame]: () => (framesWritten++, true) } as unknown as Connection;
}

/** Group names of connection i: GROUPS_EACH of them, from a pool of `pool` names. */
function groupsOf(i: number, pool: number): string[] {
  const names: string[] = [];
  for (let k = 0; k < GROUPS_EACH; k++) names.push(`g${(i * GROUPS_EACH + k) % pool}`);
  return names;
}

function rate(ops: number, ms: number): number {
  return ops / (ms / 1000);
}

interface Row {
  operation: string;
  groups: number;
  ops: number;
  registry: number;
  index: number;
}

/** One round through the public API: register all, join all, leave all, join again, close all. */
async function registryRound(pool: number): Promise<Omit<Row, 'index'>[]> {
  const server = new StandInServer();
  const registry = new Registry(server as unknown as RegistrySource);
  const connections = Array.from({ length: CONNECTIONS }, (_, i) => standIn(`c${i}`));
  for (const connection of connections) server.emit('establish', { connection });
  const names = connections.map((_, i) => groupsOf(i, pool));
  const ops = CONNECTIONS * GROUPS_EACH;

  let t = performance.now();
  for (let i = 0; i < CONNECTIONS; i++) for (const name of names[i]!) void registry.join(connections[i]!, name);
  await Promise.resolve();
  const join = performance.now() - t;
  const groupsNow = (await registry.groups()).length;

  t = performance.now();
  for (let i = 0; i < CONNECTIONS; i++) for (const name of names[i]!) void registry.leave(connections[i]!, name);
  await Promise.resolve();
  const leave = performance.now() - t;

  for (let i = 0; i < CONNECTIONS; i++) void registry.join(connections[i]!, names[i]!);
  // A group push, measured per target: 1,000 members in 'hot'.
  for (let i = 0; i < 1000; i++) void registry.join(connections[i]!, 'hot');
  const pushes = 200;
  framesWritten = 0;
  t = performance.now();
  for (let n = 0; n < pushes; n++) await registry.sendToGroup('hot', 'x');
  const push = performance.now() - t;
  if (framesWritten !== pushes * 1000) throw new Error(`push wrote ${framesWritten} frames`);

  t = performance.now();
  for (const connection of connections) server.emit('close', { connection });
  const close = performance.now() - t;
  if ((await registry.groups()).length !== 0) throw new Error('groups left after closing everyone');
  await registry.dispose();

  return [
    { operation: 'join (1 group)', groups: groupsNow, ops, registry: rate(ops, join) },
    { operation: 'leave (1 group)', groups: groupsNow, ops, registry: rate(ops, leave) },
    { operation: `close (in ${GROUPS_EACH} groups)`, groups: groupsNow, ops: CONNECTIONS, registry: rate(CONNECTIONS, close) },
    { operation: 'push to 1,000: targets', groups: groupsNow, ops: pushes * 1000, registry: rate(pushes * 1000, push) },
  ];
}

/** The same round on the index alone. */
function indexRound(pool: number): number[] {
  const membership = new Membership();
  const connections = Array.from({ length: CONNECTIONS }, (_, i) => standIn(`c${i}`));
  const members = connections.map((connection) => membership.add(connection));
  const names = connections.map((_, i) => groupsOf(i, pool));
  const ops = CONNECTIONS * GROUPS_EACH;

  let t = performance.now();
  for (let i = 0; i < CONNECTIONS; i++) for (const name of names[i]!) membership.join(members[i]!, name);
  const join = performance.now() - t;
  t = performance.now();
  for (let i = 0; i < CONNECTIONS; i++) for (const name of names[i]!) membership.leave(members[i]!, name);
  const leave = performance.now() - t;
  for (let i = 0; i < CONNECTIONS; i++) for (const name of names[i]!) membership.join(members[i]!, name);
  t = performance.now();
  for (const connection of connections) membership.remove(connection.id);
  const close = performance.now() - t;
  return [rate(ops, join), rate(ops, leave), rate(CONNECTIONS, close), Number.NaN];
}

function format(value: number): string {
  if (Number.isNaN(value)) return '-';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(0)} k`;
  return value.toFixed(0);
}

async function main(): Promise<void> {
  // A warm-up round so that the JIT has settled before anything is measured.
  await registryRound(POOLS[0]!);
  indexRound(POOLS[0]!);

  const rows: Row[] = [];
  for (const pool of POOLS) {
    const best = await bestOf(3, () => registryRound(pool));
    const index = bestIndex(3, () => indexRound(pool));
    best.forEach((row, i) => rows.push({ ...row, index: index[i]! }));
  }
  const header = ['operation', 'groups', 'members/group', 'ops', 'Registry ops/s', 'index ops/s'];
  const lines = rows.map((row) => [
    row.operation,
    row.groups.toLocaleString('en-US'),
    ((CONNECTIONS * GROUPS_EACH) / row.groups).toLocaleString('en-US'),
    row.ops.toLocaleString('en-US'),
    format(row.registry),
    format(row.index),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
  const print = (cells: string[]): void => console.log(`| ${cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`);
  console.log(`registry-ops: ${CONNECTIONS.toLocaleString('en-US')} connections, each in ${GROUPS_EACH} groups; Node ${process.version}; best of 3`);
  print(header);
  console.log(`|${widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|')}|`);
  for (const line of lines) print(line);
  console.log('With one member per group, every join makes a group (a Set) and every leave or close deletes one:');
  console.log('that allocation, not the number of groups, is the difference between the two halves.');
}

async function bestOf(runs: number, round: () => Promise<Omit<Row, 'index'>[]>): Promise<Omit<Row, 'index'>[]> {
  let best: Omit<Row, 'index'>[] | undefined;
  for (let r = 0; r < runs; r++) {
    const rows = await round();
    best = best ? best.map((row, i) => (rows[i]!.registry > row.registry ? rows[i]! : row)) : rows;
  }
  return best!;
}

function bestIndex(runs: number, round: () => number[]): number[] {
  let best: number[] = [];
  for (let r = 0; r < runs; r++) best = round().map((value, i) => Math.max(value, best[i] ?? 0));
  return best;
}

await main();
