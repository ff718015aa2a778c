// Executes cases: starts each server, drives it with the generator, stops it.
import type { ChildProcess } from 'node:child_process';
import { rssPerConnKiB } from './results.js';
import { integer, micros, percent } from './format.js';
import { runLoadgen, type LoadgenResult } from './loadgen.js';
import type { Case } from './matrix.js';
import { ServerProcess, UnsupportedTransportError } from './server-process.js';
import type { TlsFiles } from './tls-material.js';
import { REDUCER_ROUNDS_MS, type Timing, type Workload } from './workloads.js';

export interface Attempt {
  readonly case: Case;
  readonly result?: LoadgenResult;
  readonly error?: string;
  readonly unsupported?: string;
}

export interface RunnerOptions {
  /** One server per server and transport for all workloads, instead of one per run. */
  readonly shareServers: boolean;
  readonly quick: boolean;
  readonly timing: Timing;
  readonly procs: number;
  readonly tls: TlsFiles;
  readonly log: (line: string) => void;
}

const PAUSE_BETWEEN_RUNS_MS = 200;

/**
 * Ends an idle hold once the server's memory has settled: `REDUCER_ROUNDS_MS` after the first
 * memory-reducing collection that follows the generator's first reading (it says "holding" on
 * stderr then), SIGUSR1 makes the generator take the second reading. Returns the stop.
 */
function endHoldWhenSettled(loadgen: ChildProcess, server: ServerProcess): () => void {
  let holding = false;
  let timer: NodeJS.Timeout | undefined;
  loadgen.stderr?.setEncoding('utf8').on('data', (d: string) => {
    if (d.includes('loadgen: holding')) holding = true;
  });
  const unsubscribe = server.onMemoryReduced(() => {
    if (!holding || timer) return;
    timer = setTimeout(() => loadgen.kill('SIGUSR1'), REDUCER_ROUNDS_MS);
  });
  return () => {
    unsubscribe();
    clearTimeout(timer);
  };
}

function loadgenArgs(c: Case, server: ServerProcess, o: RunnerOptions): string[] {
  const w = c.workload;
  const stream = c.transport === 'ws' ? 'tcp' : c.transport === 'wss' ? 'tls' : c.transport;
  const args = [
    '--proto', c.server.proto(c.transport), '--transport', stream,
    '--workload', w.kind, '--conns', String(w.conns), '--size', String(w.size),
    '--inflight', String(Math.max(1, w.inflight)), '--senders', String(Math.max(1, w.senders)),
    '--procs', String(o.procs), '--warmup', String(o.timing.warmup), '--duration', String(w.kind === 'idle' ? o.timing.idleHold : o.timing.duration),
    '--connect-timeout', String(o.timing.connectTimeout), '--stall', o.quick ? '0.5' : '2',
    '--server-pid', String(server.pid),
  ];
  if (stream === 'unix') args.push('--path', server.endpoint.path);
  else args.push('--port', String(server.endpoint.port));
  return args;
}

export function summary(x: LoadgenResult, w: Workload): string {
  if (w.kind === 'idle') {
    return `${integer(x.connected)} conns, ${integer(x.connect_rate)}/s, ${(rssPerConnKiB(x, 'burst') ?? 0).toFixed(1)} KiB/conn after connecting, ` +
      `${(rssPerConnKiB(x) ?? 0).toFixed(1)} after ${(x.held_s ?? 0).toFixed(1)} s more`;
  }
  return `${integer(x.rate)}/s p50 ${micros(x.latency_us.p50)} p99 ${micros(x.latency_us.p99)} ` +
    `(server ${percent(x.server.cpu_pct)}, generator ${percent(x.generator.cpu_pct)})`;
}

export class Runner {
  private readonly unsupported = new Map<string, string>();
  private done = 0;

  constructor(private readonly o: RunnerOptions, private readonly total: number) {}

  /** Runs each case once, in order; cases on a transport found unsupported are not started. */
  async pass(cases: readonly Case[]): Promise<Attempt[]> {
    const attempts: Attempt[] = [];
    for (const group of this.group(cases)) {
      const first = group[0];
      if (!first) continue;
      const key = `${first.server.id}/${first.transport}`;
      let server: ServerProcess | undefined;
      let startError = '';
      if (!this.unsupported.has(key)) {
        try {
          server = await ServerProcess.start(first.server.script(first.transport), first.transport, this.o.tls, first.server.args);
        } catch (error) {
          if (error instanceof UnsupportedTransportError) this.unsupported.set(key, error.message);
          startError = `server did not start: ${(error as Error).message}`;
        }
      }
      for (const c of group) {
        const skip = this.unsupported.get(key);
        const attempt: Attempt = skip !== undefined
          ? { case: c, unsupported: `${c.server.label} does not serve ${c.transport}` }
          : server ? await this.drive(c, server) : { case: c, error: startError };
        attempts.push(attempt);
        this.done++;
        const what = attempt.result ? summary(attempt.result, c.workload) : attempt.unsupported ? `skipped (${attempt.unsupported})` : `FAILED ${attempt.error ?? ''}`;
        this.o.log(`[${this.done}/${this.total}] ${c.id}: ${what}`);
      }
      await server?.stop();
      await new Promise((resolve) => setTimeout(resolve, PAUSE_BETWEEN_RUNS_MS));
    }
    return attempts;
  }

  /** Shared servers: one group per server and transport, idle first so its memory baseline is a fresh process's. */
  private group(cases: readonly Case[]): Case[][] {
    if (!this.o.shareServers) return cases.map((c) => [c]);
    const groups = new Map<string, Case[]>();
    for (const c of cases) {
      const key = `${c.server.id}/${c.transport}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const idleFirst = (a: Case, b: Case): number => Number(b.workload.kind === 'idle') - Number(a.workload.kind === 'idle');
    return [...groups.values()].map((list) => list.sort(idleFirst));
  }

  private async drive(c: Case, server: ServerProcess): Promise<Attempt> {
    const t = this.o.timing;
    const budgetMs = (t.connectTimeout + t.warmup + (c.workload.kind === 'idle' ? t.idleHold : t.duration) + 15) * 1000;
    let stopWatching: (() => void) | undefined;
    const onSpawn = c.workload.kind === 'idle' ? (loadgen: ChildProcess): void => {
      stopWatching = endHoldWhenSettled(loadgen, server);
    } : undefined;
    try {
      const result = await runLoadgen(loadgenArgs(c, server, this.o), budgetMs, onSpawn);
      if (!server.alive) return { case: c, error: `server died during the run (${server.errors})` };
      return { case: c, result };
    } catch (error) {
      return { case: c, error: (error as Error).message + (server.alive ? '' : ` (server ${server.errors})`) };
    } finally {
      stopWatching?.();
    }
  }
}
