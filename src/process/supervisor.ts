import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Backoff, type ReconnectOptions } from '../client/backoff.js';
import { IpcHub } from '../cluster/ipc-hub.js';
import { AlreadyStartedError, CommandError, ErrorCode, InvalidOptionError, SwitchboardError, TaskError, UnsupportedError, WorkerStartError } from '../errors.js';
import type { ListeningAddress } from '../transport/endpoint.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { reusePortSupported } from '../transport/reuse-port.js';
import { integerOption, oneOfOption } from '../util/validate.js';
import { resolveAppPath } from './app-file.js';
import type { ClusterShape } from './cluster-shape.js';
import { chooseDistribution, DISTRIBUTION_CHOICES, type Distribution, type DistributionChoice } from './distribution.js';
import { WORKER_ENV, type StopReason, type SupervisorToWorker, type WireError, type WorkerStats, type WorkerToSupervisor } from './control-messages.js';
import { envelope, isEnvelope, Topic } from './envelope.js';
import type { SupervisorExtension, WorkerExit, WorkerPort } from './supervisor-extension.js';
import { TaskPool } from './task-pool.js';
import { rebuildError, serializeError } from './task-thread.js';
import type { WorkerSpec } from './worker-main.js';

export interface SupervisorOptions {
  /** The app file every worker runs (and whose `tasks` the task workers run). */
  app: string;
  /** Connection-serving worker processes. @default os.availableParallelism() */
  workers?: number;
  /** Task worker threads (0: `task()` rejects with ERR_NO_TASK_WORKERS). @default 0 */
  taskWorkers?: number;
  /** Tasks waiting for a task worker beyond this are refused at once. @default 1024 */
  maxTaskQueue?: number;
  /** The scale-out shape: which cluster engine the workers' registries use. @default { type: 'workers' } */
  shape?: ClusterShape;
  /** How long a stop may take: workers drain, then whatever is left is killed. @default 10 s */
  stopTimeout?: number;
  /** How long a worker may take to start its app before it counts as failed. @default 30 s */
  startTimeout?: number;
  /** A worker that lived this long before it died is restarted at once (its backoff starts over). @default 10 s */
  stableAfter?: number;
  /** Delays between restarts of a worker that keeps dying. @default { initialDelay: 100, maxDelay: 30 s, factor: 2, jitter: 0 } */
  restartBackoff?: ReconnectOptions;
  /**
   * How connections reach the workers: `round-robin` (the supervisor accepts and hands each one
   * to the next worker), `reuse-port` (each worker binds its fixed ports itself with
   * SO_REUSEPORT; refused with ERR_UNSUPPORTED where the running Node has none), or `auto`
   * (reuse-port where the running Node has it, round robin elsewhere). See docs/PROCESS.md.
   * @default 'auto'
   */
  distribution?: DistributionChoice;
  /** Cluster engines' hubs plugged into every worker's channel. @default an IpcHub in the workers shape (unless one on its topic is given) */
  extensions?: SupervisorExtension[];
  clock?: Clock;
}

export const SUPERVISOR_DEFAULTS = {
  taskWorkers: 0,
  distribution: 'auto' as DistributionChoice,
  stopTimeout: 10_000,
  startTimeout: 30_000,
  stableAfter: 10_000,
  restartBackoff: { initialDelay: 100, maxDelay: 30_000, factor: 2, jitter: 0 },
} as const;

/** How long `status` waits for a worker's figures before it shows the worker without them. */
const STATS_TIMEOUT = 2000;

/** One process of a worker id (a replacement or a reload makes a new one). */
interface Incarnation {
  readonly workerId: number;
  readonly generation: number;
  readonly nodeId: string;
  readonly worker: Worker;
  readonly pid: number;
  readonly startedAt: number;
  readonly routes: Map<string, Set<(body: unknown) => void>>;
  readonly ports: WorkerPort[];
  state: 'starting' | 'ready' | 'stopping';
  /** The supervisor asked it to go: its exit is no crash. */
  expected: boolean;
  addresses: ListeningAddress[];
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  settleReady(error?: Error): void;
}

interface Slot {
  readonly workerId: number;
  generation: number;
  current: Incarnation | undefined;
  failures: number;
  restartTimer: TimerHandle | undefined;
}

export interface WorkerEvent {
  readonly workerId: number;
  readonly pid: number;
  readonly nodeId: string;
  readonly generation: number;
}
export interface WorkerReadyEvent extends WorkerEvent {
  readonly addresses: ListeningAddress[];
}
export interface WorkerFailEvent extends WorkerEvent {
  /** What the worker reported (its app threw, its listen failed), rebuilt. */
  readonly error: Error;
}
export interface WorkerExitEvent extends WorkerEvent, WorkerExit {
  /** Set when the worker will be replaced: after this many ms (the backoff of a worker that keeps dying). */
  readonly restartIn?: number;
}
export interface ReloadEvent {
  readonly status: 'started' | 'finished' | 'failed';
  readonly error?: Error;
}

export interface SupervisorEvents {
  workerStart: WorkerEvent;
  workerReady: WorkerReadyEvent;
  workerFail: WorkerFailEvent;
  workerExit: WorkerExitEvent;
  reload: ReloadEvent;
  stop: Record<string, never>;
}

/** One worker in `status`. */
export interface WorkerStatus extends WorkerEvent {
  readonly state: 'starting' | 'ready' | 'stopping' | 'restarting';
  /** Seconds since this process started. */
  readonly uptime: number;
  /** Undefined when the worker did not answer in time. */
  readonly stats: WorkerStats | undefined;
}

export interface SupervisorStatus {
  readonly pid: number;
  readonly app: string;
  readonly shape: ClusterShape['type'];
  /** How connections reach the workers (what `auto` chose). */
  readonly distribution: Distribution;
  /** Seconds since the supervisor started. */
  readonly uptime: number;
  readonly reloading: boolean;
  readonly workers: WorkerStatus[];
  readonly taskWorkers: { readonly threads: number; readonly queued: number; readonly completed: number };
}

type SupervisorState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The workers shape's supervisor (Swoole's manager, BASE mode): N worker processes each serving
 * every endpoint of the app, task worker threads, crash replacement with backoff, rolling reload,
 * graceful stop. One per process: it is node:cluster's primary.
 *
 * Connections reach the workers by the `distribution` option (docs/PROCESS.md): node:cluster's
 * round robin (the supervisor holds each listening socket, accepts, and hands each connection to
 * the next worker: on Node 20 the only way for N processes to share a port evenly, and the port
 * never closes while workers come and go), or, where the running Node has SO_REUSEPORT in
 * net.Server (22.12+), each worker binding its fixed ports itself and the kernel spreading
 * connections.
 */
export class Supervisor extends TypedEmitter<SupervisorEvents> {
  readonly id: string;
  readonly app: string;
  readonly workers: number;
  readonly shape: ClusterShape;
  private readonly taskWorkers: number;
  private readonly distributionChoice: DistributionChoice;
  private distributionNow: Distribution = 'round-robin';
  private readonly maxTaskQueue: number | undefined;
  private readonly stopTimeout: number;
  private readonly startTimeout: number;
  private readonly stableAfter: number;
  private readonly backoff: Backoff;
  private readonly clock: Clock;
  private readonly extensions: SupervisorExtension[];
  private readonly slots: Slot[] = [];
  private readonly live = new Set<Incarnation>();
  private tasks: TaskPool | undefined;
  private stateNow: SupervisorState = 'idle';
  private startedAt = 0;
  private reloading: { done: number } | undefined;
  private stopping: Promise<void> | undefined;
  private nextRequest = 1;
  private readonly statsWaiters = new Map<number, (stats: WorkerStats) => void>();

  constructor(options: SupervisorOptions) {
    super();
    if (!cluster.isPrimary) throw new UnsupportedError('a Supervisor runs in a primary process, not in a cluster worker');
    if (typeof options.app !== 'string') throw new InvalidOptionError('app', options.app, 'the path of the app file');
    this.app = resolveAppPath(options.app);
    this.workers = integerOption('workers', options.workers ?? availableParallelism(), 1, 1024);
    this.taskWorkers = integerOption('taskWorkers', options.taskWorkers ?? SUPERVISOR_DEFAULTS.taskWorkers, 0, 1024);
    this.distributionChoice = oneOfOption('distribution', options.distribution ?? SUPERVISOR_DEFAULTS.distribution, DISTRIBUTION_CHOICES);
    this.maxTaskQueue = options.maxTaskQueue;
    this.shape = options.shape ?? { type: 'workers' };
    this.stopTimeout = integerOption('stopTimeout', options.stopTimeout ?? SUPERVISOR_DEFAULTS.stopTimeout, 0);
    this.startTimeout = integerOption('startTimeout', options.startTimeout ?? SUPERVISOR_DEFAULTS.startTimeout, 1);
    this.stableAfter = integerOption('stableAfter', options.stableAfter ?? SUPERVISOR_DEFAULTS.stableAfter, 0);
    this.backoff = new Backoff({ ...SUPERVISOR_DEFAULTS.restartBackoff, ...options.restartBackoff });
    this.clock = options.clock ?? systemClock;
    this.extensions = [...(options.extensions ?? [])];
    for (const extension of this.extensions) {
      if (extension.topic === Topic.Process) throw new InvalidOptionError('extensions', extension.topic, `a topic other than "${Topic.Process}" (the supervisor's own)`);
    }
    // The workers' registries use the IPC engine (installClusterEngine): this supervisor is their hub.
    if (this.shape.type === 'workers' && !this.extensions.some((extension) => extension.topic === Topic.Cluster)) {
      this.extensions.push(new IpcHub());
    }
    // Unique across machines and restarts of the supervisor; worker and generation are added per fork.
    this.id = randomBytes(4).readUInt32BE(0).toString(36);
    for (let workerId = 0; workerId < this.workers; workerId++) {
      this.slots.push({ workerId, generation: 0, current: undefined, failures: 0, restartTimer: undefined });
    }
  }

  /** How connections reach the workers: what `distribution` chose (known once `start()` ran). */
  get distribution(): Distribution {
    return this.distributionNow;
  }

  get state(): SupervisorState {
    return this.stateNow;
  }

  /** Plugs a cluster engine's hub into every worker's channel (before `start()`). */
  use(extension: SupervisorExtension): void {
    if (this.stateNow !== 'idle') throw new AlreadyStartedError('extensions are added before start()');
    if (extension.topic === Topic.Process) throw new InvalidOptionError('extension.topic', extension.topic, `a topic other than "${Topic.Process}"`);
    this.extensions.push(extension);
  }

  /**
   * Starts the task workers and every worker, and resolves once each worker's app is listening.
   * If any worker cannot start (the app throws, a port is in use), every worker is stopped and
   * this rejects with a {@link WorkerStartError}: no orphan is left behind.
   */
  async start(): Promise<void> {
    if (this.stateNow !== 'idle') throw new AlreadyStartedError(`supervisor is ${this.stateNow}`);
    this.stateNow = 'starting';
    try {
      // Before any fork: a forced reuse-port this Node cannot do leaves nothing behind.
      this.distributionNow = chooseDistribution(this.distributionChoice, await reusePortSupported());
    } catch (error) {
      this.stateNow = 'idle';
      throw error;
    }
    this.startedAt = this.clock.now();
    // Round robin also under reuse-port: for port 0 and Unix socket endpoints, which stay shared.
    cluster.schedulingPolicy = cluster.SCHED_RR;
    cluster.setupPrimary({ exec: fileURLToPath(new URL('./worker-main.js', import.meta.url)), serialization: 'advanced' });
    if (this.taskWorkers > 0) {
      this.tasks = new TaskPool({ app: this.app, threads: this.taskWorkers, ...(this.maxTaskQueue !== undefined ? { maxQueue: this.maxTaskQueue } : {}) });
    }
    const first = this.slots.map((slot) => (slot.current = this.fork(slot)));
    const results = await Promise.allSettled(first.map((incarnation) => incarnation.ready));
    const failed = results.findIndex((result) => result.status === 'rejected');
    if (failed !== -1) {
      await this.stop({ timeout: 0 });
      throw (results[failed] as PromiseRejectedResult).reason;
    }
    this.stateNow = 'running';
  }

  /**
   * Graceful stop: each worker stops accepting, says the app's goodbye, drains, and exits; a
   * worker still there at the deadline (stalled peers, a hung app) is killed, so that this
   * resolves by `timeout` (plus the time to see the kill).
   */
  stop(options: { timeout?: number } = {}): Promise<void> {
    this.stopping ??= this.stopNow(integerOption('timeout', options.timeout ?? this.stopTimeout, 0));
    return this.stopping;
  }

  /**
   * Rolling restart with the app file's current code, one worker at a time: the new worker
   * listens before the old one stops accepting, then the old one says goodbye, drains and exits
   * (its clients reconnect to the other workers). Rejects with `ERR_RELOAD_IN_PROGRESS` while one
   * runs; if a new worker cannot start, the reload stops there and the old workers keep serving.
   */
  async reload(): Promise<void> {
    if (this.reloading) {
      throw new CommandError(ErrorCode.ReloadInProgress, `a reload is already running (${this.reloading.done} of ${this.workers} workers replaced); try again when it is done`);
    }
    if (this.stateNow !== 'running') throw new CommandError(ErrorCode.NotRunning, `cannot reload: the supervisor is ${this.stateNow}`);
    const progress = { done: 0 };
    this.reloading = progress;
    this.emit('reload', { status: 'started' });
    try {
      for (const slot of this.slots) {
        if (this.stateNow !== 'running') throw new CommandError(ErrorCode.NotRunning, 'the supervisor stopped during the reload');
        await this.replace(slot);
        progress.done++;
      }
      this.emit('reload', { status: 'finished' });
    } catch (error) {
      this.emit('reload', { status: 'failed', error: error as Error });
      throw error;
    } finally {
      this.reloading = undefined;
    }
  }

  /** Replaces every task worker thread with one running the current code (`reload --tasks-only`). */
  async reloadTasks(): Promise<void> {
    if (this.stateNow !== 'running') throw new CommandError(ErrorCode.NotRunning, `cannot reload: the supervisor is ${this.stateNow}`);
    if (!this.tasks) throw new CommandError(ErrorCode.NoTaskWorkers, 'there are no task workers to reload (start with --task-workers N)');
    await this.tasks.reload();
  }

  /** A message to some or all workers (imi's sendMessage from outside the workers), as their `message` event. */
  sendMessage(action: string, data: unknown, to: readonly number[] | 'all' = 'all', from = -1): number {
    let count = 0;
    for (const slot of this.slots) {
      if (to !== 'all' && !to.includes(slot.workerId)) continue;
      const incarnation = slot.current;
      if (incarnation && this.sendTo(incarnation, { type: 'message', action, data, from })) count++;
    }
    return count;
  }

  /** What `switchboard status` shows: the supervisor and each worker, with figures each worker sends. */
  async status(): Promise<SupervisorStatus> {
    const now = this.clock.now();
    const workers = await Promise.all(
      this.slots.map(async (slot): Promise<WorkerStatus> => {
        const incarnation = slot.current;
        if (!incarnation) return { workerId: slot.workerId, pid: 0, nodeId: '', generation: slot.generation, state: 'restarting', uptime: 0, stats: undefined };
        return {
          workerId: slot.workerId,
          pid: incarnation.pid,
          nodeId: incarnation.nodeId,
          generation: incarnation.generation,
          state: incarnation.state,
          uptime: Math.round((now - incarnation.startedAt) / 1000),
          stats: await this.statsOf(incarnation),
        };
      }),
    );
    return {
      pid: process.pid,
      app: this.app,
      shape: this.shape.type,
      distribution: this.distributionNow,
      uptime: Math.round((now - this.startedAt) / 1000),
      reloading: this.reloading !== undefined,
      workers,
      taskWorkers: { threads: this.taskWorkers, queued: this.tasks?.queued ?? 0, completed: this.tasks?.completed ?? 0 },
    };
  }

  /** The addresses the workers listen on (the first ready worker's: every worker serves them all). */
  addresses(): ListeningAddress[] {
    for (const slot of this.slots) if (slot.current?.state === 'ready') return slot.current.addresses;
    return [];
  }

  // ---- workers --------------------------------------------------------------------------------

  private fork(slot: Slot): Incarnation {
    slot.generation++;
    const nodeId = `${this.id}-w${slot.workerId}-g${slot.generation}`;
    const spec: WorkerSpec = { app: this.app, clusterShape: this.shape, workerId: slot.workerId, workerCount: this.workers, nodeId, generation: slot.generation, shape: this.shape.type, distribution: this.distributionNow };
    const worker = cluster.fork({ [WORKER_ENV]: JSON.stringify(spec) });
    let settleReady!: (error?: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      settleReady = (error) => (error ? reject(error) : resolve());
    });
    ready.catch(() => undefined); // a failed start is handled where it is awaited, or by the exit
    let exited!: () => void;
    const incarnation: Incarnation = {
      workerId: slot.workerId,
      generation: slot.generation,
      nodeId,
      worker,
      pid: worker.process.pid ?? 0,
      startedAt: this.clock.now(),
      routes: new Map(),
      ports: [],
      state: 'starting',
      expected: false,
      addresses: [],
      ready,
      exited: new Promise<void>((resolve) => (exited = resolve)),
      settleReady: (error) => settleReady(error),
    };
    this.live.add(incarnation);
    const startTimer = this.clock.setTimeout(() => {
      if (incarnation.state !== 'starting') return;
      incarnation.settleReady(new WorkerStartError(slot.workerId, `worker ${slot.workerId} did not start its app within ${this.startTimeout} ms`));
      worker.process.kill('SIGKILL');
    }, this.startTimeout);
    worker.on('error', () => undefined); // a send racing the worker's death: its exit is what counts
    worker.on('message', (message: unknown) => {
      if (!isEnvelope(message)) return;
      if (message.topic === Topic.Process) this.fromWorker(incarnation, message.body as WorkerToSupervisor);
      else for (const listener of [...(incarnation.routes.get(message.topic) ?? [])]) listener(message.body);
    });
    worker.once('exit', (code: number | null, signal: string | null) => {
      this.clock.clear(startTimer);
      exited();
      this.exitOf(slot, incarnation, { code, signal, expected: incarnation.expected });
    });
    this.emit('workerStart', this.describe(incarnation));
    // Synchronous, before any message of the worker can arrive (see SupervisorExtension).
    for (const extension of this.extensions) {
      const port = this.portFor(incarnation, extension.topic);
      incarnation.ports.push(port);
      extension.workerOnline(port);
    }
    return incarnation;
  }

  private fromWorker(incarnation: Incarnation, body: WorkerToSupervisor): void {
    switch (body.type) {
      case 'ready':
        incarnation.state = 'ready';
        incarnation.addresses = body.addresses;
        incarnation.settleReady();
        this.emit('workerReady', { ...this.describe(incarnation), addresses: body.addresses });
        return;
      case 'failed': {
        const cause = rebuildError(body.error);
        const error = new WorkerStartError(incarnation.workerId, `worker ${incarnation.workerId} could not start the app: ${cause.message}`, { cause });
        incarnation.settleReady(error);
        this.emit('workerFail', { ...this.describe(incarnation), error: cause });
        return;
      }
      case 'task':
        void this.runTask(incarnation, body.id, body.name, body.data, body.timeout);
        return;
      case 'send': {
        const count = this.sendMessage(body.action, body.data, body.to, incarnation.workerId);
        this.sendTo(incarnation, { type: 'sent', id: body.id, count });
        return;
      }
      case 'stats':
        this.statsWaiters.get(body.id)?.(body.stats);
        return;
    }
  }

  private async runTask(incarnation: Incarnation, id: number, name: string, data: unknown, timeout: number): Promise<void> {
    try {
      if (!this.tasks) throw new TaskError(ErrorCode.NoTaskWorkers, name, `task ${name}: no task workers are running (start with --task-workers N)`);
      const value = await this.tasks.run(name, data, timeout);
      this.sendTo(incarnation, { type: 'task-result', id, ok: true, value });
    } catch (error) {
      this.sendTo(incarnation, { type: 'task-result', id, ok: false, error: wireError(error) });
    }
  }

  private exitOf(slot: Slot, incarnation: Incarnation, exit: WorkerExit): void {
    this.live.delete(incarnation);
    incarnation.settleReady(new WorkerStartError(slot.workerId, `worker ${slot.workerId} exited before its app started (${exit.signal ?? `code ${exit.code}`})`));
    // First the hubs, so that the dead worker's connections leave every answer before anything else happens.
    incarnation.ports.forEach((port, i) => this.extensions[i]?.workerExit(port, exit));
    incarnation.routes.clear();
    const replace = !exit.expected && slot.current === incarnation && this.stateNow === 'running';
    if (slot.current === incarnation) slot.current = undefined;
    if (!replace) {
      this.emit('workerExit', { ...this.describe(incarnation), ...exit });
      return;
    }
    // A worker that lived long enough starts its backoff over; one that keeps dying waits longer each time.
    slot.failures = this.clock.now() - incarnation.startedAt >= this.stableAfter ? 1 : slot.failures + 1;
    const restartIn = this.backoff.delay(slot.failures);
    this.emit('workerExit', { ...this.describe(incarnation), ...exit, restartIn });
    slot.restartTimer = this.clock.setTimeout(() => {
      slot.restartTimer = undefined;
      if (this.stateNow === 'running' && slot.current === undefined) slot.current = this.fork(slot);
    }, restartIn);
  }

  /** Forks the slot's next generation, waits for it to listen, then retires the old one. */
  private async replace(slot: Slot): Promise<void> {
    if (slot.restartTimer !== undefined) {
      this.clock.clear(slot.restartTimer);
      slot.restartTimer = undefined;
    }
    const old = slot.current;
    const next = this.fork(slot);
    try {
      await next.ready;
    } catch (error) {
      next.expected = true;
      next.worker.process.kill('SIGKILL');
      throw error;
    }
    slot.current = next;
    slot.failures = 0;
    if (old) await this.retire(old, this.stopTimeout, 'reload');
  }

  /** Asks a worker to stop (goodbye, drain) and kills it if it is still there after `timeout`. */
  private async retire(incarnation: Incarnation, timeout: number, reason: StopReason): Promise<void> {
    incarnation.expected = true;
    incarnation.state = 'stopping';
    // The worker's drain ends a little before the deadline, so that it exits by it on its own.
    const drain = Math.max(0, timeout - Math.min(500, Math.floor(timeout / 4)));
    if (!this.sendTo(incarnation, { type: 'stop', timeout: drain, reason })) incarnation.worker.process.kill('SIGKILL');
    const timer = this.clock.setTimeout(() => incarnation.worker.process.kill('SIGKILL'), timeout);
    await incarnation.exited;
    this.clock.clear(timer);
  }

  private async stopNow(timeout: number): Promise<void> {
    this.stateNow = 'stopping';
    for (const slot of this.slots) {
      if (slot.restartTimer !== undefined) this.clock.clear(slot.restartTimer);
      slot.restartTimer = undefined;
    }
    await Promise.all([...this.live].map((incarnation) => this.retire(incarnation, timeout, 'stop')));
    await this.tasks?.destroy();
    for (const extension of this.extensions) await extension.dispose?.();
    this.stateNow = 'stopped';
    this.emit('stop', {});
  }

  private sendTo(incarnation: Incarnation, body: SupervisorToWorker): boolean {
    return this.sendRaw(incarnation, Topic.Process, body);
  }

  private sendRaw(incarnation: Incarnation, topic: string, body: unknown): boolean {
    if (!this.live.has(incarnation) || !incarnation.worker.isConnected()) return false;
    return incarnation.worker.send(envelope(topic, body));
  }

  private portFor(incarnation: Incarnation, topic: string): WorkerPort {
    return {
      workerId: incarnation.workerId,
      nodeId: incarnation.nodeId,
      generation: incarnation.generation,
      pid: incarnation.pid,
      send: (body) => this.sendRaw(incarnation, topic, body),
      onMessage: (listener) => {
        let set = incarnation.routes.get(topic);
        if (!set) incarnation.routes.set(topic, (set = new Set()));
        set.add(listener);
        return () => void set.delete(listener);
      },
    };
  }

  private statsOf(incarnation: Incarnation): Promise<WorkerStats | undefined> {
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      const done = (stats: WorkerStats | undefined): void => {
        this.clock.clear(timer);
        this.statsWaiters.delete(id);
        resolve(stats);
      };
      const timer = this.clock.setTimeout(() => done(undefined), STATS_TIMEOUT);
      this.statsWaiters.set(id, done);
      if (!this.sendTo(incarnation, { type: 'stats?', id })) done(undefined);
    });
  }

  private describe(incarnation: Incarnation): WorkerEvent {
    return { workerId: incarnation.workerId, pid: incarnation.pid, nodeId: incarnation.nodeId, generation: incarnation.generation };
  }
}

function wireError(error: unknown): WireError {
  if (error instanceof SwitchboardError) {
    const cause = error.cause === undefined ? undefined : serializeError(error.cause);
    return { code: error.code, message: error.message, ...(cause ? { cause } : {}) };
  }
  return { code: ErrorCode.TaskFailed, message: (error as Error)?.message ?? String(error), cause: serializeError(error) };
}
