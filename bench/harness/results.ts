// One run's outcome, and the Switchboard-versus-peer pairs the report is built from.
import type { BenchTransport } from '../servers/server-args.js';
import type { Proto, ServerId } from './catalogue.js';
import type { LoadgenResult } from './loadgen.js';
import type { Workload } from './workloads.js';

export interface RunResult {
  readonly id: string;
  readonly workload: Workload;
  readonly serverId: ServerId;
  readonly serverLabel: string;
  readonly transport: BenchTransport;
  readonly proto: Proto;
  /** The best of the successful attempts: highest rate (idle: highest connect rate). */
  readonly result?: LoadgenResult;
  /** Every successful attempt, in order. */
  readonly attempts: readonly LoadgenResult[];
  /** (best − worst) ÷ best of the headline figure, over the attempts. */
  readonly spread?: number;
  /** Set when no attempt succeeded. */
  readonly error?: string;
  /** Set when the server does not serve the transport. */
  readonly skipped?: string;
}

/** The figure "best" is judged by: what CPU interference from other processes lowers. */
export function headline(w: Workload, r: LoadgenResult): number {
  return w.kind === 'idle' ? r.connect_rate : r.rate;
}

/** Keeps the best attempt: throughput on a shared machine is only ever lowered by noise. */
export function bestOf(w: Workload, attempts: readonly LoadgenResult[]): { result?: LoadgenResult; spread?: number } {
  if (attempts.length === 0) return {};
  const sorted = [...attempts].sort((a, b) => headline(w, b) - headline(w, a));
  const best = sorted[0]!;
  const worst = sorted[sorted.length - 1]!;
  const top = headline(w, best);
  return { result: best, spread: attempts.length > 1 && top > 0 ? (top - headline(w, worst)) / top : undefined };
}

/** Messages (or deliveries) per second of server CPU time: steadier than the rate when the
 * server had to share its core. */
export function ratePerCpuSecond(r: LoadgenResult): number | undefined {
  return r.server.cpu_pct > 0 ? r.rate / (r.server.cpu_pct / 100) : undefined;
}

export interface Comparison {
  readonly workload: Workload;
  readonly transport: BenchTransport;
  readonly switchboard: RunResult;
  readonly peer: RunResult;
  /** Switchboard ÷ peer: messages (or deliveries) per second. Higher is better. */
  readonly rate?: number;
  /** Switchboard ÷ peer: p99 latency. Lower is better. */
  readonly p99?: number;
  /** Switchboard ÷ peer: server memory per idle connection, settled. Lower is better. */
  readonly rssPerConn?: number;
  /** The same just after connecting (the connect burst's garbage counted). */
  readonly rssPerConnBurst?: number;
  /** Switchboard ÷ peer: connections established per second. Higher is better. */
  readonly connectRate?: number;
  /** How many times better Switchboard does on the workload's headline figure (>1: better). */
  readonly advantage?: number;
}

/**
 * Server memory growth per connection, in KiB, from before connecting: `settled` (the default)
 * read after the connections were idle for the timing's idleHold, `burst` just after connecting.
 */
export function rssPerConnKiB(r: LoadgenResult, when: 'settled' | 'burst' = 'settled'): number | undefined {
  const { rss_before_kb: before, rss_after_kb: burst, rss_end_kb: settled } = r.server;
  const after = when === 'burst' ? burst : settled;
  if (before < 0 || after < 0 || r.connected === 0) return undefined;
  return (after - before) / r.connected;
}

function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined || !(b > 0) || !(a > 0) ? undefined : a / b;
}

export function compare(results: readonly RunResult[]): Comparison[] {
  const out: Comparison[] = [];
  for (const sb of results) {
    if (sb.serverId !== 'switchboard' || !sb.result) continue;
    for (const peer of results) {
      if (peer.serverId.startsWith('switchboard') || peer.workload.id !== sb.workload.id || peer.transport !== sb.transport) continue;
      const a = sb.result;
      const b = peer.result;
      if (!b) {
        out.push({ workload: sb.workload, transport: sb.transport, switchboard: sb, peer });
        continue;
      }
      if (sb.workload.kind === 'idle') {
        const rss = ratio(rssPerConnKiB(a), rssPerConnKiB(b));
        out.push({
          workload: sb.workload, transport: sb.transport, switchboard: sb, peer,
          rssPerConn: rss, rssPerConnBurst: ratio(rssPerConnKiB(a, 'burst'), rssPerConnKiB(b, 'burst')),
          connectRate: ratio(a.connect_rate, b.connect_rate), advantage: rss === undefined ? undefined : 1 / rss,
        });
      } else {
        const rate = ratio(a.rate, b.rate);
        out.push({
          workload: sb.workload, transport: sb.transport, switchboard: sb, peer,
          rate, p99: ratio(a.latency_us.p99, b.latency_us.p99), advantage: rate,
        });
      }
    }
  }
  return out;
}
