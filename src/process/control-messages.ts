// The supervisor's own messages with its workers, the bodies of Topic.Process envelopes.
import type { ListeningAddress } from '../transport/endpoint.js';
import type { SerializedError } from './task-thread.js';

/** Why a worker is asked to stop: the goodbye differs (WebSocket close 1001 on a stop, 1012 on a reload). */
export type StopReason = 'stop' | 'reload';

/** What a worker tells about itself for `switchboard status`. */
export interface WorkerStats {
  readonly connections: number;
  /** Resident set size, bytes. */
  readonly memory: number;
  /** Messages received in the last whole second. */
  readonly messagesPerSecond: number;
  /** Messages received since the worker started. */
  readonly messages: number;
}

/** A task's or a request's failure as it crosses the channel. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly cause?: SerializedError;
}

export type WorkerToSupervisor =
  | { readonly type: 'ready'; readonly addresses: ListeningAddress[] }
  | { readonly type: 'failed'; readonly error: SerializedError }
  | { readonly type: 'task'; readonly id: number; readonly name: string; readonly data: unknown; readonly timeout: number }
  | { readonly type: 'send'; readonly id: number; readonly action: string; readonly data: unknown; readonly to: readonly number[] | 'all' }
  | { readonly type: 'stats'; readonly id: number; readonly stats: WorkerStats };

export type SupervisorToWorker =
  | { readonly type: 'stop'; readonly timeout: number; readonly reason: StopReason }
  | { readonly type: 'task-result'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'task-result'; readonly id: number; readonly ok: false; readonly error: WireError }
  | { readonly type: 'sent'; readonly id: number; readonly count: number }
  | { readonly type: 'message'; readonly action: string; readonly data: unknown; readonly from: number }
  | { readonly type: 'stats?'; readonly id: number };

/** How a worker learns who it is: JSON in this environment variable, set by the supervisor at fork. */
export const WORKER_ENV = 'SWITCHBOARD_WORKER';
