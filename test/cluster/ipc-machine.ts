import { fork, type ChildProcess } from 'node:child_process';
import { IpcHub } from '../../src/cluster/index.js';
import { envelope, isEnvelope, Topic } from '../../src/process/envelope.js';
import type { WorkerExit, WorkerPort } from '../../src/process/supervisor-extension.js';
import { RawPeer } from '../helpers/raw-peer.js';

/** What a call into a worker ended with when it threw: its coded error. */
export interface CallError {
  code: string;
  message: string;
  delivered?: number;
  unanswered?: string[];
}

/** How long a worker of these tests lives at most, whatever happens to the test. */
const WORKER_LIFETIME = 120_000;

/**
 * One machine of the IPC engine tests: an {@link IpcHub} in this process, and worker processes
 * forked with an IPC channel as the supervisor forks them (`serialization: 'advanced'`). This
 * plays the supervisor's part of the extension contract and nothing else: `workerOnline` at
 * fork, before the worker can send anything; `workerExit` from the process's `exit`, whatever
 * ended it, before anyone else hears of the exit.
 */
export class IpcMachine {
  readonly hub = new IpcHub();
  readonly workers: IpcWorker[] = [];

  async fork(nodeId: string, options: { requestTimeout?: number; hubTimeout?: number } = {}): Promise<IpcWorker> {
    const config = { nodeId, lifetime: WORKER_LIFETIME, ...options };
    const child = fork(new URL('./ipc-worker-main.js', import.meta.url), [JSON.stringify(config)], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port: WorkerPort = {
      workerId: this.workers.length,
      nodeId,
      generation: 1,
      pid: child.pid ?? 0,
      send: (body) => child.connected && child.send(envelope(Topic.Cluster, body)),
      onMessage(listener) {
        const onMessage = (message: unknown): void => {
          if (isEnvelope(message) && message.topic === Topic.Cluster) listener(message.body);
        };
        child.on('message', onMessage);
        return () => void child.off('message', onMessage);
      },
    };
    // A send racing the worker's death fails with EPIPE on the channel: what counts is the exit,
    // which the hub hears of (the supervisor does the same with its workers' channel errors).
    child.on('error', () => undefined);
    const worker = new IpcWorker(nodeId, child, port);
    this.workers.push(worker);
    // First of every listener, as in the supervisor: the hub hears of the exit before the test.
    child.once('exit', (code, signal) => this.hub.workerExit(port, { code, signal, expected: false } satisfies WorkerExit));
    this.hub.workerOnline(port);
    await worker.ready();
    return worker;
  }

  async stop(): Promise<void> {
    for (const worker of this.workers) await worker.kill('SIGKILL');
    this.hub.dispose();
  }
}

/** A worker process, driven over its channel: `call('connectionCount')` runs the registry call there. */
export class IpcWorker {
  readonly peers: RawPeer[] = [];
  port = 0;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: CallError) => void }>();
  private readonly exited: Promise<void>;

  constructor(
    readonly nodeId: string,
    readonly child: ChildProcess,
    readonly workerPort: WorkerPort,
  ) {
    child.on('message', (message: { id?: number; ok?: boolean; value?: unknown; error?: CallError }) => {
      if (isEnvelope(message) || typeof message?.id !== 'number') return;
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(message.error!);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      for (const waiter of this.waiting.values()) waiter.reject({ code: 'EXITED', message: `worker ${nodeId} exited` });
      this.waiting.clear();
    });
  }

  async ready(): Promise<void> {
    const ready = await new Promise<{ ready?: boolean; port?: number; error?: string }>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean }): void => {
        if (typeof message?.ready !== 'boolean') return;
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', (code) => reject(new Error(`worker ${this.nodeId} exited with ${code} before it was ready`)));
    });
    if (!ready.ready) {
      await this.kill('SIGKILL');
      throw new Error(`worker ${this.nodeId} could not join the hub: ${ready.error}`);
    }
    this.port = ready.port!;
  }

  /** Runs a registry call (or one of the worker script's own) in the worker; rejects with its coded error. */
  call<T = unknown>(call: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, call, args });
    });
  }

  /** Connects `count` raw peers and resolves with their connection ids once this worker counts them. */
  async connect(count: number): Promise<string[]> {
    const before = new Set(await this.call<string[]>('connectionIds'));
    const peers = Array.from({ length: count }, () => new RawPeer({ port: this.port }));
    await Promise.all(peers.map((peer) => peer.connected()));
    this.peers.push(...peers);
    for (;;) {
      const ids = (await this.call<string[]>('connectionIds')).filter((id) => !before.has(id));
      if (ids.length >= count) {
        // The presence writes of an establish are on the channel ahead of this question: once it
        // is answered, every worker's answers count these connections.
        await this.call('connectionCount');
        return ids;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Frames received by each of this worker's peers. */
  frames(): string[][] {
    return this.peers.map((peer) => peer.frames());
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the process has exited (and the hub has dropped it). */
  exit(): Promise<void> {
    return this.exited;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    for (const peer of this.peers) peer.socket.destroy();
    if (!this.alive) return;
    if (signal !== 'SIGKILL') this.child.kill('SIGCONT');
    this.child.kill(signal);
    await this.exited;
  }
}
