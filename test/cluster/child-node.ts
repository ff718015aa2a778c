import type { ChildProcess } from 'node:child_process';
import { RawPeer } from '../helpers/raw-peer.js';

/** What a call into a node process ended with when it threw: its coded error. */
export interface CallError {
  code: string;
  message: string;
  delivered?: number;
  unanswered?: string[];
}

/**
 * A cluster node in a child process of its own (a worker of the IPC tests, a Redis node of the
 * fault tests), driven over its IPC channel with `{ id, call, args }` messages that
 * `serveCalls` answers there: `call('connectionCount')` runs the registry call in the node.
 * Killed for real with signals.
 */
export class ChildNode {
  readonly peers: RawPeer[] = [];
  port = 0;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: CallError) => void }>();
  private readonly exited: Promise<void>;

  constructor(
    readonly nodeId: string,
    readonly child: ChildProcess,
  ) {
    // Other messages on the channel (an engine's envelopes, the ready message) carry no numeric id.
    child.on('message', (message: { id?: number; ok?: boolean; value?: unknown; error?: CallError }) => {
      if (typeof message?.id !== 'number') return;
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(message.error!);
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    void this.exited.then(() => {
      for (const waiter of this.waiting.values()) waiter.reject({ code: 'EXITED', message: `node ${nodeId} exited` });
      this.waiting.clear();
    });
  }

  /** Waits for the node's ready message (`sendReady`); kills it and throws if it could not join. */
  async ready(): Promise<void> {
    const ready = await new Promise<{ ready?: boolean; port?: number; error?: string }>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean }): void => {
        if (typeof message?.ready !== 'boolean') return;
        this.child.off('message', onMessage);
        resolve(message);
      };
      this.child.on('message', onMessage);
      this.child.once('exit', (code) => reject(new Error(`node ${this.nodeId} exited with ${code} before it was ready`)));
    });
    if (!ready.ready) {
      await this.kill('SIGKILL');
      throw new Error(`node ${this.nodeId} could not join its cluster: ${ready.error}`);
    }
    this.port = ready.port!;
  }

  /** Runs a registry call (or one of the node script's own) in the node; rejects with its coded error. */
  call<T = unknown>(call: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, call, args });
    });
  }

  /** Connects `count` raw peers and resolves with their connection ids once this node counts them. */
  async connect(count: number): Promise<string[]> {
    const before = new Set(await this.call<string[]>('connectionIds'));
    const peers = Array.from({ length: count }, () => new RawPeer({ port: this.port }));
    await Promise.all(peers.map((peer) => peer.connected()));
    this.peers.push(...peers);
    for (;;) {
      const ids = (await this.call<string[]>('connectionIds')).filter((id) => !before.has(id));
      if (ids.length >= count) {
        // The presence writes of an establish are on their way ahead of this question: once it
        // is answered, every node's answers count these connections.
        await this.call('connectionCount');
        return ids;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Frames received by each of this node's peers. */
  frames(): string[][] {
    return this.peers.map((peer) => peer.frames());
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the process has exited. */
  exit(): Promise<void> {
    return this.exited;
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    for (const peer of this.peers) peer.socket.destroy();
    if (!this.alive) return;
    if (signal !== 'SIGKILL') this.child.kill('SIGCONT');
    this.child.kill(signal);
    await this.exited;
  }
}
