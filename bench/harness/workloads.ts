// The workloads: each is one run of the generator against a freshly started server.
export type WorkloadKind = 'echo' | 'bcast' | 'idle';

export interface Workload {
  readonly id: string;
  readonly kind: WorkloadKind;
  readonly conns: number;
  /** echo: messages in flight per connection. */
  readonly inflight: number;
  /** Payload bytes. */
  readonly size: number;
  /** bcast: broadcasts in flight (each from its own connection, until all have it). */
  readonly senders: number;
  /** Only for these servers (by id prefix); every server when absent. */
  readonly onlyFor?: readonly string[];
}

export interface Timing {
  /** Seconds of load before measuring (idle: settle time before memory is read). */
  readonly warmup: number;
  readonly duration: number;
  /**
   * Idle: seconds the connections stay open after the first memory reading, before the settled
   * one. V8 gives back the young generation grown by the connect burst only when its memory
   * reducer runs, 8 to 25 s after the burst's last full collection here (sampled each second: node:net 9 s,
   * ws 17 s, Switchboard tcp 17 s, ws 25 s); before that the figure counts that burst's garbage.
   */
  readonly idleHold: number;
  readonly connectTimeout: number;
}

export const FULL_TIMING: Timing = { warmup: 0.5, duration: 2, idleHold: 35, connectTimeout: 30 };
export const QUICK_TIMING: Timing = { warmup: 0.2, duration: 0.5, idleHold: 0.5, connectTimeout: 10 };

const BROADCASTS_IN_FLIGHT = 4;

export function workloads(quick: boolean): Workload[] {
  // Quick mode keeps the shapes and cuts the connection counts, so CI sees every code path.
  const many = quick ? 100 : 1000;
  const lots = quick ? 200 : 10_000;
  return [
    { id: 'echo', kind: 'echo', conns: 100, inflight: 1, size: 32, senders: 0 },
    { id: 'echo-pipelined', kind: 'echo', conns: many, inflight: 16, size: 32, senders: 0 },
    { id: 'echo-1k', kind: 'echo', conns: 100, inflight: 4, size: 1024, senders: 0 },
    { id: 'bcast', kind: 'bcast', conns: many, inflight: 1, size: 32, senders: BROADCASTS_IN_FLIGHT },
    { id: 'bcast-large', kind: 'bcast', conns: lots, inflight: 1, size: 32, senders: BROADCASTS_IN_FLIGHT },
    { id: 'idle', kind: 'idle', conns: lots, inflight: 0, size: 32, senders: 0 },
    // Two connections, which round robin puts on different workers: each broadcast is one push
    // from the sender's worker to a connection on another (and one local delivery). Beside the
    // one-process figure of the same workload, it is the price of crossing workers.
    { id: 'push-across', kind: 'bcast', conns: 2, inflight: 1, size: 32, senders: 1, onlyFor: ['switchboard'] },
  ];
}

export function describe(w: Workload): string {
  const n = w.conns.toLocaleString('en-US');
  switch (w.kind) {
    case 'echo':
      return `Echo, ${n} connections × ${w.inflight} in flight, ${w.size} B payload`;
    case 'bcast':
      if (w.id === 'push-across') return 'Push across workers: a broadcast between 2 connections (one per worker with 2 workers)';
      return `Broadcast to ${n} connections, ${w.senders} broadcasts in flight, ${w.size} B payload`;
    case 'idle':
      return `${n} idle connections`;
  }
}
