import { setDefaultClusterEngine } from '../cluster/default-engine.js';
import { ipcEngine } from '../cluster/ipc-engine.js';
import { UnsupportedError } from '../errors.js';

/** The scale-out shape chosen on the command line: which cluster engine the registry uses. */
export type ClusterShape =
  | { readonly type: 'single' }
  | { readonly type: 'workers' }
  | { readonly type: 'redis'; readonly url: string; readonly prefix: string };

/**
 * Sets the process-wide default cluster engine for a shape, before the app makes its registry
 * (step 2 of the worker start order): `single`, none (each Registry keeps its LocalAdapter);
 * `workers`, the IPC engine, whose hub is the supervisor (the Supervisor plugs an IpcHub in);
 * `redis`, the Redis engine.
 */
export async function installClusterEngine(shape: ClusterShape): Promise<void> {
  switch (shape.type) {
    case 'single':
      return;
    case 'workers':
      setDefaultClusterEngine(ipcEngine());
      return;
    case 'redis':
      throw new UnsupportedError(`--redis needs the Redis cluster engine, which this build does not have yet`);
  }
}
