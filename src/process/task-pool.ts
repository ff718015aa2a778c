import { Piscina } from 'piscina';
import { ErrorCode, InvalidOptionError, TaskError } from '../errors.js';
import { integerOption } from '../util/validate.js';
import { rebuildError, type TaskOutcome, type TaskRequest } from './task-thread.js';

export interface TaskPoolOptions {
  /** The app file whose `tasks` export the threads run (absolute path). */
  app: string;
  /** Task worker threads, all started up front. */
  threads: number;
  /** Tasks waiting for a thread beyond this are refused at once (`ERR_TASK_QUEUE_FULL`). @default 1024 */
  maxQueue?: number;
}

export const TASK_POOL_DEFAULTS = { maxQueue: 1024 } as const;

/** More threads than this is a typo, not a machine. */
const MAX_TASK_THREADS = 1024;

const THREAD_MODULE = new URL('./task-thread.js', import.meta.url).href;

/**
 * The task workers: a piscina pool of worker threads in the supervisor (or in the one process of
 * `switchboard run`), shared by every connection-serving worker.
 *
 * Threads rather than processes: a task is CPU work on structured-cloneable data, which a thread
 * runs as well as a process for a fraction of the memory and start-up; piscina (well kept, used by
 * Fastify and Vite) already replaces a thread that dies and rejects what it held, bounds the queue
 * and aborts a running task by terminating its thread. The pool lives in the supervisor so that
 * its size is the machine's, not multiplied by the number of workers, and a CPU-heavy job never runs
 * on a thread that serves connections.
 */
export class TaskPool {
  readonly threads: number;
  readonly maxQueue: number;
  private readonly app: string;
  private pool: Piscina<TaskRequest, TaskOutcome>;

  constructor(options: TaskPoolOptions) {
    this.threads = integerOption('taskWorkers', options.threads, 1, MAX_TASK_THREADS);
    this.maxQueue = integerOption('maxQueue', options.maxQueue ?? TASK_POOL_DEFAULTS.maxQueue, 0);
    if (typeof options.app !== 'string') throw new InvalidOptionError('app', options.app, 'the path of the app file');
    this.app = options.app;
    this.pool = this.makePool();
  }

  /** Tasks waiting for a thread now. */
  get queued(): number {
    return this.pool.queueSize;
  }

  /** Tasks finished since the pool (or the last reload) started. */
  get completed(): number {
    return this.pool.completed;
  }

  /** Runs task `name` on a thread; see WorkerContext.task for how it rejects. */
  async run(name: string, data: unknown, timeout: number): Promise<unknown> {
    if (this.pool.queueSize >= this.maxQueue && this.pool.threads.length > 0 && this.pool.idleThreads === 0) {
      throw new TaskError(ErrorCode.TaskQueueFull, name, `task ${name}: the task queue is full (${this.maxQueue} waiting)`);
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeout);
    let outcome: TaskOutcome;
    try {
      outcome = await this.pool.run({ name, data }, { signal: abort.signal });
    } catch (error) {
      if (abort.signal.aborted) {
        throw new TaskError(ErrorCode.TaskTimeout, name, `task ${name} did not finish within ${timeout} ms`, { cause: error });
      }
      throw new TaskError(ErrorCode.TaskWorkerExited, name, `task ${name}: the task worker running it exited`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
    switch (outcome.type) {
      case 'done':
        return outcome.value;
      case 'unknown':
        throw new TaskError(ErrorCode.UnknownTask, name, `no task handler named ${name} (the app's tasks export has none)`);
      case 'failed':
        throw new TaskError(ErrorCode.TaskFailed, name, `task ${name} failed: ${outcome.error.message}`, { cause: rebuildError(outcome.error) });
    }
  }

  /**
   * Replaces every thread with one running the app file's current code: new tasks go to the new
   * threads at once, the old ones finish what they hold and go.
   */
  async reload(): Promise<void> {
    const old = this.pool;
    this.pool = this.makePool();
    await old.close();
  }

  /** Stops every thread; tasks still queued or running reject. */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }

  private makePool(): Piscina<TaskRequest, TaskOutcome> {
    return new Piscina<TaskRequest, TaskOutcome>({
      filename: THREAD_MODULE,
      minThreads: this.threads,
      maxThreads: this.threads,
      // Ours is checked in run(); piscina's own limit would reject with an uncoded error.
      maxQueue: Number.MAX_SAFE_INTEGER,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      workerData: { app: this.app },
    });
  }
}
