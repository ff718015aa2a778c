import { UnsupportedError } from '../errors.js';

/** The scale-out shape chosen on the command line: which cluster engine the registry uses. */
export type ClusterShape =
  | { readonly type: 'single' }
  | { readonly type: 'workers' }
  | { readonly type: 'redis'; readonly url: string; readonly prefix: string };

/**
 * Sets the process-wide default cluster engine for a shape, before the app makes its registry
 * (step 2 of the worker start order). `single`: none (each Registry keeps its LocalAdapter).
 *
 * `workers` and `redis` need the cluster engines (the IPC engine and issue 10's redisAdapter
 * behind `setDefaultClusterEngine`); until they are on this build, `workers` runs each worker's
 * registry on its own (said in the docs and by `switchboard status`) and `redis` is refused.
 */
export async function installClusterEngine(shape: ClusterShape): Promise<void> {
  switch (shape.type) {
    case 'single':
    case 'workers':
      return;
    case 'redis':
      throw new UnsupportedError(`--redis needs the Redis cluster engine, which this build does not have yet`);
  }
}

/** Whether the registries of this shape span every worker (false until the IPC engine is wired in). */
export function registrySpansWorkers(shape: ClusterShape): boolean {
  return shape.type === 'single';
}
