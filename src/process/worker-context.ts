import { ErrorCode, InvalidArgumentError, TaskError } from '../errors.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { integerOption } from '../util/validate.js';

/** The scale-out shape a process runs in (DESIGN.md, "Scale-out"). */
export type ShapeName = 'single' | 'workers' | 'redis';

/** Options of one `task()` call. */
export interface TaskOptions {
  /** Reject with `ERR_TASK_TIMEOUT` after this long; a late result is discarded. @default 30 s */
  timeout?: number;
}

export const TASK_DEFAULTS = { timeout: 30_000 } as const satisfies Required<TaskOptions>;

/** A message from {@link WorkerContext.sendMessage}, as the receiving worker gets it. */
export interface WorkerMessageEvent {
  readonly action: string;
  readonly data: unknown;
  /** The worker id of the sender. */
  readonly from: number;
}

export interface WorkerContextEvents {
  /** Another worker (or this one) called `sendMessage` with this worker among the targets. */
  message: WorkerMessageEvent;
}

/** What a context needs from the process it runs in (the supervisor's channel, or this process). */
export interface ContextBackend {
  runTask(name: string, data: unknown, timeout: number): Promise<unknown>;
  sendMessage(action: string, data: unknown, to: readonly number[] | 'all'): Promise<number>;
}

/** Who this worker is, as the supervisor told it. */
export interface WorkerIdentity {
  readonly workerId: number;
  readonly workerCount: number;
  readonly nodeId: string;
  readonly generation: number;
  readonly shape: ShapeName;
}

/**
 * What an app's default export is handed: which worker this is, and the calls that reach beyond
 * it: task workers (`task`) and the other workers (`sendMessage`, the `message` event). The same
 * calls work in one process (worker 0 of 1, messages to itself) and on N workers.
 */
export class WorkerContext extends TypedEmitter<WorkerContextEvents> implements WorkerIdentity {
  readonly workerId: number;
  readonly workerCount: number;
  /** The node id of this process's connections (`<nodeId>.<n>`), unique across workers and machines. */
  readonly nodeId: string;
  /** 1 for the first fork of this worker id, +1 for each replacement or reload. */
  readonly generation: number;
  readonly shape: ShapeName;

  constructor(
    identity: WorkerIdentity,
    private readonly backend: ContextBackend,
  ) {
    super();
    this.workerId = identity.workerId;
    this.workerCount = identity.workerCount;
    this.nodeId = identity.nodeId;
    this.generation = identity.generation;
    this.shape = identity.shape;
  }

  /**
   * Runs the app's task handler `name` on a task worker (`--task-workers N`) and resolves to its
   * result; rejects with a {@link TaskError}: the handler threw (`ERR_TASK_FAILED`, `cause`), the
   * timeout passed (`ERR_TASK_TIMEOUT`), the queue is full (`ERR_TASK_QUEUE_FULL`), the task
   * worker died (`ERR_TASK_WORKER_EXITED`), no such task (`ERR_UNKNOWN_TASK`), no task workers
   * (`ERR_NO_TASK_WORKERS`).
   */
  async task<T = unknown>(name: string, data?: unknown, options: TaskOptions = {}): Promise<T> {
    if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('name', name, 'a task name');
    const timeout = integerOption('timeout', options.timeout ?? TASK_DEFAULTS.timeout, 1);
    return (await this.backend.runTask(name, data, timeout)) as T;
  }

  /**
   * imi's `sendMessage(action, data, workerIds)`: a `message` event on each target worker (all by
   * default, this one included). Resolves to how many workers it was handed to. `data` must be
   * structured-cloneable.
   */
  async sendMessage(action: string, data?: unknown, workerIds?: number | readonly number[]): Promise<number> {
    if (typeof action !== 'string' || action === '') throw new InvalidArgumentError('action', action, 'a non-empty string');
    let to: readonly number[] | 'all' = 'all';
    if (workerIds !== undefined) {
      const ids = typeof workerIds === 'number' ? [workerIds] : workerIds;
      if (!Array.isArray(ids) || ids.some((id) => !Number.isInteger(id) || id < 0)) {
        throw new InvalidArgumentError('workerIds', workerIds, 'a worker id or an array of worker ids');
      }
      to = [...new Set(ids)];
    }
    return this.backend.sendMessage(action, data, to);
  }
}

/** The backend of a context with no task workers and no other workers (one process, or a test). */
export function soloBackend(context: () => WorkerContext, runTask?: ContextBackend['runTask']): ContextBackend {
  return {
    runTask:
      runTask ??
      ((name) => Promise.reject(new TaskError(ErrorCode.NoTaskWorkers, name, `task ${name}: no task workers are running (start with --task-workers N)`))),
    async sendMessage(action, data, to) {
      const self = context();
      if (to !== 'all' && !to.includes(self.workerId)) return 0;
      // Asynchronous, as it is across workers: a listener never runs inside the sender's call.
      setImmediate(() => self.emit('message', { action, data, from: self.workerId }));
      return 1;
    },
  };
}
