// The entry of every connection-serving worker the supervisor forks (node:cluster runs this file).
// It learns who it is from the environment, starts the app in the one start order, then answers
// the supervisor: stop, stats, task results, messages from other workers.
import cluster from 'node:cluster';
import { memoryUsage } from 'node:process';
import { ErrorCode, TaskError } from '../errors.js';
import { WORKER_ENV, type StopReason, type SupervisorToWorker, type WorkerToSupervisor } from './control-messages.js';
import { listenOnOwnPorts } from '../transport/reuse-port.js';
import type { ClusterShape } from './cluster-shape.js';
import type { Distribution } from './distribution.js';
import { envelope, Topic } from './envelope.js';
import { startWorker, type RunningApp } from './start-worker.js';
import { supervisorLink, type SupervisorLink } from './supervisor-link.js';
import { rebuildError, serializeError } from './task-thread.js';
import type { ContextBackend, WorkerIdentity } from './worker-context.js';

/** What the supervisor puts in {@link WORKER_ENV}. */
export interface WorkerSpec extends WorkerIdentity {
  readonly app: string;
  readonly clusterShape: ClusterShape;
  /** How this worker gets connections: through the supervisor's handles, or binding ports itself. */
  readonly distribution: Distribution;
}

/** How long a worker drains when told to go by a signal or by its supervisor's death, not by a stop order. */
const STOP_ON_ORPHAN = 1000;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  name: string;
}

/** The worker's half of the process topic: requests out, replies and orders in. */
class WorkerControl {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private running: RunningApp | undefined;
  private stopping = false;
  private lastCount = 0;
  private perSecond = 0;
  private readonly rate = setInterval(() => this.sample(), 1000).unref();

  constructor(private readonly link: SupervisorLink) {
    link.onMessage((body) => this.receive(body as SupervisorToWorker));
    // The supervisor is gone (killed): nobody will route tasks or stop this worker, so it goes too,
    // rather than serve on as an orphan holding the port.
    link.onDisconnect(() => {
      for (const [id, pending] of this.pending) {
        this.pending.delete(id);
        pending.reject(new TaskError(ErrorCode.SupervisorGone, pending.name, 'the supervisor went away'));
      }
      void this.stop(STOP_ON_ORPHAN);
    });
  }

  backend(): ContextBackend {
    return {
      runTask: (name, data, timeout) => this.request(name, (id) => ({ type: 'task', id, name, data, timeout })),
      sendMessage: async (action, data, to) => (await this.request(action, (id) => ({ type: 'send', id, action, data, to }))) as number,
    };
  }

  started(running: RunningApp): void {
    this.running = running;
    this.send({ type: 'ready', addresses: running.server.addresses() });
  }

  send(body: WorkerToSupervisor): boolean {
    return this.link.send(body);
  }

  async stop(timeout: number, reason: StopReason = 'stop'): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.rate);
    try {
      await this.running?.stop(timeout, reason === 'reload');
    } finally {
      process.exit(0);
    }
  }

  private request(name: string, make: (id: number) => WorkerToSupervisor): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.send(make(id))) {
        reject(new TaskError(ErrorCode.SupervisorGone, name, 'the supervisor went away'));
        return;
      }
      this.pending.set(id, { resolve, reject, name });
    });
  }

  private settle(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    return pending;
  }

  private receive(body: SupervisorToWorker): void {
    switch (body.type) {
      case 'stop':
        void this.stop(body.timeout, body.reason);
        return;
      case 'task-result': {
        const pending = this.settle(body.id);
        if (!pending) return;
        if (body.ok) pending.resolve(body.value);
        else {
          const cause = body.error.cause ? rebuildError(body.error.cause) : undefined;
          pending.reject(new TaskError(body.error.code as ErrorCode, pending.name, body.error.message, cause ? { cause } : undefined));
        }
        return;
      }
      case 'sent':
        this.settle(body.id)?.resolve(body.count);
        return;
      case 'message':
        this.running?.context.emit('message', { action: body.action, data: body.data, from: body.from });
        return;
      case 'stats?': {
        const connections = this.running?.server.connectionCount ?? 0;
        const messages = this.running?.messages() ?? 0;
        this.send({ type: 'stats', id: body.id, stats: { connections, memory: memoryUsage.rss(), messagesPerSecond: this.perSecond, messages } });
        return;
      }
    }
  }

  private sample(): void {
    const count = this.running?.messages() ?? 0;
    this.perSecond = count - this.lastCount;
    this.lastCount = count;
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.env[WORKER_ENV] ?? 'null') as WorkerSpec | null;
  const link = supervisorLink(Topic.Process);
  if (spec === null || link === undefined) {
    process.stderr.write('worker-main runs in a worker forked by the switchboard supervisor\n');
    process.exit(2);
  }
  // Ctrl-C reaches the whole process group; the supervisor decides how the workers stop.
  process.on('SIGINT', () => undefined);
  // node:cluster exits a worker at once (code 0) when its channel closes unexpectedly (the
  // supervisor died), before any other listener runs. Marked as expected here, first, the worker
  // instead rejects what it waits for (tasks: ERR_SUPERVISOR_GONE), says goodbye to its
  // connections and exits after a short drain (WorkerControl's disconnect listener).
  process.prependOnceListener('disconnect', () => {
    if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;
  });
  const control = new WorkerControl(link);
  process.on('SIGTERM', () => void control.stop(STOP_ON_ORPHAN));
  listenOnOwnPorts(spec.distribution === 'reuse-port');
  try {
    const running = await startWorker({
      app: spec.app,
      identity: spec,
      shape: spec.clusterShape,
      backend: () => control.backend(),
    });
    control.started(running);
  } catch (error) {
    // Exit once the message has left, not before (the channel would drop it).
    const failed: WorkerToSupervisor = { type: 'failed', error: serializeError(error) };
    if (!process.send?.(envelope(Topic.Process, failed), () => process.exit(1))) process.exit(1);
  }
}

void main();
