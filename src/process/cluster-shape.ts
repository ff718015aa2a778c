import { setDefaultClusterEngine } from '../cluster/default-engine.js';
import { ipcEngine } from '../cluster/ipc-engine.js';
import { redisEngine } from '../cluster/redis-adapter.js';

/** The scale-out shape chosen on the command line: which cluster engine the registry uses. */
export type ClusterShape =
  | { readonly type: 'single' }
  | { readonly type: 'workers' }
  | { readonly type: 'redis'; readonly url: string; readonly prefix?: string };

/**
 * Sets the process-wide default cluster engine for a shape, before the app makes its registry
 * (step 2 of the worker start order): `single`, none (each Registry keeps its LocalAdapter);
 * `workers`, the IPC engine, whose hub is the supervisor (the Supervisor plugs an IpcHub in);
 * `redis`, the Redis engine: each worker (or the one process) is a node of the cluster of every
 * instance sharing the Redis server and the prefix.
 */
export async function installClusterEngine(shape: ClusterShape): Promise<void> {
  switch (shape.type) {
    case 'single':
      return;
    case 'workers':
      setDefaultClusterEngine(ipcEngine());
      return;
    case 'redis':
      setDefaultClusterEngine(redisEngine({ url: shape.url, ...(shape.prefix !== undefined ? { prefix: shape.prefix } : {}) }));
      return;
  }
}
