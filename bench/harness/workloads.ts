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
   * Idle: the longest the connections stay open after the first memory reading, before the
   * settled one. V8 gives back the young generation grown by the connect burst only when its
   * memory reducer runs; the hold ends 2.5 s after that (runner.ts), and before that the figure
   * counts the burst's garbage. The reducer ran 8 s to over 60 s after the burst here, the same
   * server varying from run to run (node:net over TCP: 16 s, then not within 63 s); only its
   * watchdog, 100 s after the last full collection and checked every 8 s, bounds the wait.
   */
  readonly idleHold: number;
  readonly connectTimeout: number;
}

/**
 * V8's memory reducer collects up to three times, about 0.6 s apart (seen with --trace-gc): the
 * settled reading waits this long after its first collection.
 */
export const REDUCER_ROUNDS_MS = 2500;

export const FULL_TIMING: Timing = { warmup: 0.5, duration: 2, idleHold: 110, connectTimeout: 30 };
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
