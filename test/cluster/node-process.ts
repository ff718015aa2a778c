import { fork, type ChildProcess } from 'node:child_process';
import { RawPeer } from '../helpers/raw-peer.js';

/** What a call into a node process ended with: a value, or the coded error it threw. */
export type CallError = { code: string; message: string; delivered?: number; unanswered?: string[] };

/**
 * A cluster node in a real child process (node-main.ts), driven over IPC: `call('connectionCount')`
 * runs the registry call there. Killed for real with signals in the fault tests.
 */
export class NodeProcess {
  readonly peers: RawPeer[] = [];
  port = 0;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: CallError) => void }>();
  private readonly exited: Promise<void>;

  private constructor(
    readonly nodeId: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (message: { id?: number; ok?: boolean; value?: unknown; error?: CallError }) => {
      if (message.id === undefined) return;
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

  static async start(config: { nodeId: string; url: string; prefix: string; lease?: number; requestTimeout?: number; commandTimeout?: number; maxPendingCommands?: number }): Promise<NodeProcess> {
    const child = fork(new URL('./node-main.js', import.meta.url), [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const node = new NodeProcess(config.nodeId, child);
    const ready = await new Promise<{ ready: boolean; port?: number; error?: string }>((resolve, reject) => {
      child.once('message', resolve);
      child.once('exit', (code) => reject(new Error(`node ${config.nodeId} exited with ${code} before it was ready`)));
    });
    if (!ready.ready) {
      await node.kill('SIGKILL');
      throw new Error(`node ${config.nodeId} could not join: ${ready.error}`);
    }
    node.port = ready.port!;
    return node;
  }

  /** Runs a registry call (or a harness call of node-main.ts) in the node; rejects with its coded error. */
  call<T = unknown>(call: string, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, call, args });
    });
  }

  /** Connects `count` raw peers to the node and waits until the cluster counts them here. */
  async connect(count: number): Promise<RawPeer[]> {
    const peers = Array.from({ length: count }, () => new RawPeer({ port: this.port }));
    await Promise.all(peers.map((peer) => peer.connected()));
    this.peers.push(...peers);
    const want = this.peers.length;
    for (;;) {
      const ids = await this.call<string[]>('connectionIds');
      if (ids.length >= want) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    // Ordered after the establish writes on this node's Redis connection.
    await this.call('connectionCount');
    return peers;
  }

  /** Frames received by each of this node's peers. */
  frames(): string[][] {
    return this.peers.map((peer) => peer.frames());
  }

  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    for (const peer of this.peers) peer.socket.destroy();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (signal !== 'SIGKILL') this.child.kill('SIGCONT');
    this.child.kill(signal);
    await this.exited;
  }
}

/** Polls `check` (async) until it is true, or rejects after `ms` naming `what`. */
export async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
