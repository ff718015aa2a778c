import type { SupervisorLink } from '../../src/process/supervisor-link.js';
import type { WorkerPort } from '../../src/process/supervisor-extension.js';

type Listener = (body: unknown) => void;

/**
 * A worker's channel to its supervisor inside one process: the two ends the IPC engine and its
 * hub use (a {@link SupervisorLink} and a {@link WorkerPort}), carrying structured clones in
 * order and asynchronously, as a process boundary does. For the engine's own logic (the
 * conformance suite, a stalled hub on a manual clock); the tests with real processes are in
 * ipc-workers.test.ts.
 */
export class InProcessChannel {
  readonly link: SupervisorLink;
  readonly port: WorkerPort;
  private readonly toWorker = new Set<Listener>();
  private readonly toHub = new Set<Listener>();
  private readonly onClose = new Set<() => void>();
  /** Messages of the hub held back while the hub is "stalled". */
  private held: unknown[] | undefined;
  private open = true;
  /** Node's `send` returns false when its backlog is long, and still sends: `true` plays that. */
  backlogged = false;

  constructor(workerId: number, nodeId = `p${workerId}`) {
    this.link = {
      send: (body) => this.deliver(this.toHub, body) && !this.backlogged,
      onMessage: (listener) => add(this.toWorker, listener),
      onDisconnect: (listener) => add(this.onClose, listener),
    };
    this.port = {
      workerId,
      nodeId,
      generation: 1,
      pid: process.pid,
      send: (body) => {
        if (this.held && this.open) {
          this.held.push(structuredClone(body));
          return true;
        }
        return this.deliver(this.toWorker, body);
      },
      onMessage: (listener) => add(this.toHub, listener),
    };
  }

  /** The hub stops answering (its messages are held) until {@link resume}. */
  stall(): void {
    this.held ??= [];
  }

  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const body of held) this.deliver(this.toWorker, body);
  }

  /** The supervisor is gone: nothing more is carried either way. */
  close(): void {
    if (!this.open) return;
    this.open = false;
    setImmediate(() => {
      for (const listener of [...this.onClose]) listener();
    });
  }

  private deliver(listeners: Set<Listener>, body: unknown): boolean {
    if (!this.open) return false;
    const copy = structuredClone(body);
    setImmediate(() => {
      for (const listener of [...listeners]) listener(copy);
    });
    return true;
  }
}

function add<T>(set: Set<T>, item: T): () => void {
  set.add(item);
  return () => void set.delete(item);
}
