import { getProcessNodeId } from '../util/node-id.js';
import { resolveAppPath } from './app-file.js';
import type { ClusterShape } from './cluster-shape.js';
import { startWorker, type RunningApp } from './start-worker.js';
import { TaskPool } from './task-pool.js';
import { soloBackend } from './worker-context.js';

export interface RunAppOptions {
  /** Task worker threads in this process (0: `task()` rejects with ERR_NO_TASK_WORKERS). @default 0 */
  taskWorkers?: number;
  /** Tasks waiting beyond this are refused at once. @default 1024 */
  maxTaskQueue?: number;
  /** `single` (this process alone) or `redis` (one instance of many). @default { type: 'single' } */
  shape?: ClusterShape;
}

/** An app running in this process. */
export interface SoloApp extends RunningApp {
  /** Stops the server (goodbye, drain, destroy at `timeout`) and the task workers. */
  stop(timeout: number): Promise<void>;
}

/**
 * Runs an app file in this one process, worker 0 of 1: what `switchboard run app.js` does, and
 * what a user's own `main` may do instead of the command. Same start order as every worker.
 */
export async function runApp(file: string, options: RunAppOptions = {}): Promise<SoloApp> {
  const app = resolveAppPath(file);
  const taskWorkers = options.taskWorkers ?? 0;
  const pool = taskWorkers > 0 ? new TaskPool({ app, threads: taskWorkers, ...(options.maxTaskQueue !== undefined ? { maxQueue: options.maxTaskQueue } : {}) }) : undefined;
  const shape = options.shape ?? { type: 'single' };
  let running: RunningApp;
  try {
    running = await startWorker({
      app,
      identity: { workerId: 0, workerCount: 1, nodeId: getProcessNodeId(), generation: 1, shape: shape.type },
      shape,
      backend: (context) => soloBackend(context, pool ? (name, data, timeout) => pool.run(name, data, timeout) : undefined),
    });
  } catch (error) {
    await pool?.destroy();
    throw error;
  }
  return {
    ...running,
    async stop(timeout) {
      await running.stop(timeout);
      await pool?.destroy();
    },
  };
}
