import type { Server } from '../server/server.js';
import { setProcessNodeId } from '../util/node-id.js';
import { checkServer, loadApp, type AppModule } from './app-file.js';
import { installClusterEngine, type ClusterShape } from './cluster-shape.js';
import { releaseDefaultAdapters } from '../cluster/default-engine.js';
import { WorkerContext, type ContextBackend, type WorkerIdentity } from './worker-context.js';

export interface StartWorkerOptions {
  /** The app file (a path; relative ones resolve against the working directory). */
  app: string;
  /** Who this process is; `shape` picks the cluster engine. */
  identity: WorkerIdentity;
  shape: ClusterShape;
  /** How the context reaches task workers and other workers. */
  backend: (context: () => WorkerContext) => ContextBackend;
}

/** An app started by {@link startWorker}. */
export interface RunningApp {
  readonly server: Server;
  readonly context: WorkerContext;
  readonly module: AppModule;
  /** Messages received since the start (for `switchboard status`). */
  readonly messages: () => number;
  /**
   * Stops the server: stop accepting, the app's goodbye to every connection, drain, and destroy
   * what is still open after `timeout` ms (stalled peers), so that this resolves by the deadline.
   * `restart`: the worker goes for a reload, so connections close as restarting (WebSocket 1012).
   */
  stop(timeout: number, restart?: boolean): Promise<void>;
}

/**
 * The one start order of every process that runs an app (the command's workers, `switchboard
 * run`, tests):
 *
 * 1. the node id (unique across machines and restarts: the supervisor's random id, the worker
 *    id, the generation), so that every connection id the app's server makes is unique;
 * 2. the default cluster engine for the shape, so that a Registry the app makes without an
 *    adapter spans the workers (IPC) or the machines (Redis);
 * 3. import the app file, call its default export with the context, check it returned a Server;
 * 4. start the server.
 */
export async function startWorker(options: StartWorkerOptions): Promise<RunningApp> {
  setProcessNodeId(options.identity.nodeId);
  await installClusterEngine(options.shape);
  const module = await loadApp(options.app);
  let made: WorkerContext | undefined;
  const context = new WorkerContext(
    options.identity,
    options.backend(() => made as WorkerContext),
  );
  made = context;
  const server = checkServer(options.app, await module.default(context));
  // Messages received since the start, for `status`: what closed connections had received, plus
  // the open ones' counters, read when asked. Not a 'message' listener: a second listener beside the
  // app's makes Node copy the listener list on every message (measured ~3% of a small echo).
  let closedMessages = 0;
  server.on('close', ({ connection }) => void (closedMessages += connection.requests));
  const messages = (): number => {
    let count = closedMessages;
    for (const connection of server.connections()) count += connection.requests;
    return count;
  };
  await server.start();
  return {
    server,
    context,
    module,
    messages,
    async stop(timeout, restart = false) {
      // The goodbye is the app's, on a stop and on a reload alike (clients reconnect to the other
      // workers); the close code tells WebSocket clients which of the two it is (1001 or 1012).
      await server.stop({ timeout, restart, ...(module.goodbye !== undefined ? { finalMessage: module.goodbye } : {}) });
      // Then leave the cluster (IPC or Redis) at once, rather than letting the lease run out.
      await releaseDefaultAdapters();
    },
  };
}
