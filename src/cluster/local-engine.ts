import { ClusterError, ErrorCode } from '../errors.js';
import type { Target } from '../registry/adapter.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import { summarize, type ClusterEngine, type ClusterEngineEvents, type ClusterNode, type PresenceStore, type RequestOptions, type RequestOutcome } from './engine.js';
import { PresenceTable } from './presence-table.js';

/**
 * A cluster of nodes inside one process: each {@link Registry} made with `hub.engine()` is a node,
 * and the hub carries requests between them and holds their presence in a {@link PresenceTable}.
 * What it is for: one process serving several servers as separate nodes, and proving the
 * registry's orchestration without a backend. It is also the shape of the worker engine, whose hub
 * is the supervisor: a node's lease is its life in the hub, so `stop()` (or a worker's exit) drops
 * its presence at once.
 *
 * Bodies are handed over with `structuredClone`, as a process boundary would, so that no node
 * shares an object with another.
 */
export class LocalHub {
  readonly presence = new PresenceTable();
  private readonly nodes = new Map<string, ClusterNode>();

  /** An engine for one more node of this hub. */
  engine(): ClusterEngine {
    return new LocalEngine(this);
  }

  /** @internal */
  join(node: ClusterNode): void {
    if (this.nodes.has(node.nodeId)) {
      throw new ClusterError(ErrorCode.ClusterUnavailable, `node ${node.nodeId} is already in this hub`);
    }
    this.nodes.set(node.nodeId, node);
    this.presence.replace(node.nodeId, node.snapshot());
  }

  /** @internal */
  leave(nodeId: string): void {
    this.nodes.delete(nodeId);
    this.presence.drop(nodeId);
  }

  /** @internal The live nodes `to` names (or all), but `from`. */
  targets(from: string, to: readonly string[] | undefined): ClusterNode[] {
    const out: ClusterNode[] = [];
    if (to) {
      for (const id of to) {
        const node = this.nodes.get(id);
        if (node && id !== from) out.push(node);
      }
    } else {
      for (const [id, node] of this.nodes) if (id !== from) out.push(node);
    }
    return out;
  }
}

class LocalEngine extends TypedEmitter<ClusterEngineEvents> implements ClusterEngine {
  private node: ClusterNode | undefined;
  readonly presence: PresenceStore;

  constructor(private readonly hub: LocalHub) {
    super();
    this.presence = new LocalPresence(hub.presence, () => this.joined().nodeId);
  }

  async start(node: ClusterNode): Promise<void> {
    this.hub.join(node);
    this.node = node;
    this.emit('status', { type: 'rebuilt', engine: 'local', reason: 'start', ...summarize(node.snapshot()) });
  }

  async request(body: unknown, options: RequestOptions): Promise<RequestOutcome> {
    const self = this.joined();
    const targets = this.hub.targets(self.nodeId, options.to);
    const outcome: RequestOutcome = { replies: [], unanswered: [] };
    await Promise.all(
      targets.map(async (node) => {
        const reply = await withTimeout(node.onRequest(self.nodeId, structuredClone(body)), options.timeout);
        if (reply === TIMED_OUT) outcome.unanswered.push(node.nodeId);
        else outcome.replies.push({ node: node.nodeId, body: structuredClone(reply) });
      }),
    );
    return outcome;
  }

  async publish(body: unknown, options: { to?: readonly string[] } = {}): Promise<void> {
    const self = this.joined();
    for (const node of this.hub.targets(self.nodeId, options.to)) {
      const copy = structuredClone(body);
      queueMicrotask(() => node.onMessage(self.nodeId, copy));
    }
  }

  async stop(): Promise<void> {
    if (!this.node) return;
    this.hub.leave(this.node.nodeId);
    this.node = undefined;
  }

  private joined(): ClusterNode {
    if (!this.node) throw new ClusterError(ErrorCode.ClusterUnavailable, 'this node has not joined its local hub (or left it)');
    return this.node;
  }
}

/** The hub's table seen from one node: writes are about that node's connections. */
class LocalPresence implements PresenceStore {
  constructor(
    private readonly table: PresenceTable,
    private readonly self: () => string,
  ) {}
  async add(id: string): Promise<void> {
    this.table.add(this.self(), id);
  }
  async remove(id: string): Promise<void> {
    this.table.remove(this.self(), id);
  }
  async bind(id: string, flag: string): Promise<void> {
    this.table.bind(this.self(), id, flag);
  }
  async unbind(id: string): Promise<void> {
    this.table.unbind(this.self(), id);
  }
  async join(id: string, groups: readonly string[]): Promise<void> {
    this.table.join(this.self(), id, groups);
  }
  async leave(id: string, groups: readonly string[]): Promise<void> {
    this.table.leave(this.self(), id, groups);
  }
  async count(target: Target): Promise<number> {
    return this.table.count(target);
  }
  async ids(target: Target): Promise<string[]> {
    return this.table.ids(target);
  }
  async flagOf(id: string): Promise<string | undefined> {
    return this.table.flagOf(id);
  }
  async groupsOf(id: string): Promise<string[]> {
    return this.table.groupsOf(id);
  }
  async groups(): Promise<string[]> {
    return this.table.groups();
  }
  async nodes(): Promise<string[]> {
    return this.table.nodes();
  }
}

const TIMED_OUT = Symbol('timed out');

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
