/**
 * Where a cluster engine's hub plugs into the supervisor (the IPC engine: the supervisor as hub of
 * the registry across workers). The supervisor owns the worker processes and their IPC channels;
 * an extension owns one {@link Envelope} topic on every channel and is told, in order:
 *
 * 1. `workerOnline(port)`: the worker process was just forked. Called synchronously at fork time,
 *    before the worker can have sent anything, so the extension never misses a message. The
 *    worker's app may not be started yet: the engine's worker half is installed first (see
 *    startWorker's order), so it can talk to the hub before the app makes its server.
 * 2. `workerExit(port, exit)`: the process exited, cleanly or not (SIGKILL included). Called as
 *    soon as the supervisor sees the exit, before any replacement is forked, so the hub can drop
 *    everything that worker held at once: its connections vanish from every answer.
 *
 * Node ids are unique for every fork (`<supervisor id>-w<worker id>-g<generation>`), so a
 * replacement of worker 2 is a new node: nothing of the dead one is ever attributed to it.
 */
export interface SupervisorExtension {
  /** The envelope topic this extension owns (e.g. `Topic.Cluster`); not `Topic.Process`. */
  readonly topic: string;
  workerOnline(port: WorkerPort): void;
  workerExit(port: WorkerPort, exit: WorkerExit): void;
  /** The supervisor is stopping: release timers and state. */
  dispose?(): void | Promise<void>;
}

/** One worker process as an extension sees it: ids and a channel on the extension's topic. */
export interface WorkerPort {
  /** 0 to workers-1; a replacement keeps the id of the worker it replaces. */
  readonly workerId: number;
  /** Unique for this process (never reused by a replacement): the node id of its connections. */
  readonly nodeId: string;
  /** 1 for the first fork of this worker id, +1 for each replacement or reload. */
  readonly generation: number;
  readonly pid: number;
  /** Sends `body` to the worker on this topic. False (nothing sent) once the worker is gone. */
  send(body: unknown): boolean;
  /** Calls `listener` with each body the worker sends on this topic; returns a function that stops it. */
  onMessage(listener: (body: unknown) => void): () => void;
}

/** How a worker process ended. */
export interface WorkerExit {
  /** The exit code, or null when a signal ended it. */
  readonly code: number | null;
  /** The signal that ended it (`'SIGKILL'`, ...), or null. */
  readonly signal: string | null;
  /** True when the supervisor asked it to go (stop, reload); false for a crash or an outside kill. */
  readonly expected: boolean;
}
