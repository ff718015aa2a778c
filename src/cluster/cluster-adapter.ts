import type { AnyConnection as Connection } from '../connection/connection.js';
import { ClusterError, ClusterIncompleteError, ErrorCode, InvalidMessageError, SwitchboardError, asError } from '../errors.js';
import type { AdapterInit, Payload, PushResult, RegistryAdapter, Target } from '../registry/adapter.js';
import { LocalAdapter } from '../registry/local-adapter.js';
import type { Holdings } from '../registry/membership.js';
import { booleanOption, integerOption } from '../util/validate.js';
import { nodeOf, type ClusterEngine, type ClusterNode, type PresenceSnapshot, type RequestOutcome } from './engine.js';
import { isRequest, type ClusterReply, type ClusterRequest } from './messages.js';

export interface ClusterOptions {
  /**
   * How long a push, a close or a call about another node's connection waits for the other nodes'
   * answers, in ms. A live node that has not answered by then is named in the result
   * (`ERR_CLUSTER_INCOMPLETE`), never silently left out.
   * @default 2000
   */
  requestTimeout?: number;
  /**
   * Whether a push waits for every live node to say how many connections it reached. `false` is
   * fire-and-forget: one publish and no replies, so a push costs the sender one message to the
   * backend instead of a round trip to every node; the Promise then resolves to this node's count
   * only, and a node that missed the message (its subscriber down, paused) is not named.
   * @default true
   */
  countPushes?: boolean;
}

export const CLUSTER_DEFAULTS = {
  requestTimeout: 2000,
  countPushes: true,
} as const satisfies Required<ClusterOptions>;

/** Checks {@link ClusterOptions} up front, naming the option and the value. */
export function clusterOptions(options: ClusterOptions): Required<ClusterOptions> {
  return {
    requestTimeout: integerOption('requestTimeout', options.requestTimeout ?? CLUSTER_DEFAULTS.requestTimeout, 1, 600_000),
    countPushes: booleanOption('countPushes', options.countPushes ?? CLUSTER_DEFAULTS.countPushes),
  };
}

/**
 * The registry across nodes, over any {@link ClusterEngine}. This node's connections live in a
 * {@link LocalAdapter}; their presence is written to the engine's store so that every node answers
 * questions about the whole cluster from it; a push or a close reaches local targets at once and
 * the other nodes through the engine, each node writing to its own connections (so each target
 * once: a connection lives on exactly one node), encoded once per encoder on each node.
 * A change to another node's connection (bind, join, context) is a request to the node that holds
 * it, which applies it and writes its presence before it answers: read your writes, everywhere.
 */
export class ClusterAdapter implements RegistryAdapter {
  private readonly local: LocalAdapter;
  private readonly nodeId: string;
  private readonly options: Required<ClusterOptions>;
  private readonly started: Promise<void>;
  private disposed = false;
  private joined = false;

  constructor(
    init: AdapterInit,
    private readonly engine: ClusterEngine,
    options: ClusterOptions = {},
  ) {
    this.options = clusterOptions(options);
    this.local = new LocalAdapter(init);
    this.nodeId = init.nodeId;
    engine.on('status', (status) => {
      if (status.type === 'rebuilt') this.joined = true;
      init.onStatus(status);
    });
    const node: ClusterNode = {
      nodeId: init.nodeId,
      onRequest: (from, body) => this.onRequest(from, body),
      onMessage: (from, body) => this.onMessage(from, body),
      snapshot: (): PresenceSnapshot => this.local.snapshot(),
    };
    this.started = engine.start(node);
    // The registry's ready() reports a failed start; the engine keeps trying meanwhile.
    this.started.catch(() => {});
  }

  ready(): Promise<void> {
    // A start that timed out rejected, but the engine kept trying: once it has joined, ready.
    return this.joined ? Promise.resolve() : this.started;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.engine.stop();
  }

  // ---- this node's connections come and go ------------------------------------------------

  register(connection: Connection): void {
    this.local.register(connection);
    // Nobody awaits an establish: a write that fails makes the engine rebuild this node's
    // presence from its snapshot once it can, and it reports that as `rebuilt`.
    this.engine.presence.add(connection.id).catch(ignore);
  }

  unregister(connection: Connection): Holdings | undefined {
    const holdings = this.local.unregister(connection);
    if (holdings) this.engine.presence.remove(connection.id, holdings.flag, holdings.groups).catch(ignore);
    return holdings;
  }

  // ---- membership: applied by the node holding the connection -----------------------------

  async bind(id: string, flag: string): Promise<boolean> {
    if (!this.isLocal(id)) return this.askOwner(id, { op: 'bind', id, flag }, false);
    if (!this.local.has(id)) return false;
    const previous = this.local.flagNow(id);
    await this.local.bind(id, flag);
    if (previous !== flag) await this.engine.presence.bind(id, flag, previous);
    return true;
  }

  async unbind(id: string): Promise<boolean> {
    if (!this.isLocal(id)) return this.askOwner(id, { op: 'unbind', id }, false);
    const previous = this.local.flagNow(id);
    if (!(await this.local.unbind(id)) || previous === undefined) return false;
    await this.engine.presence.unbind(id, previous);
    return true;
  }

  async join(id: string, groups: readonly string[]): Promise<boolean> {
    if (!this.isLocal(id)) return this.askOwner(id, { op: 'join', id, groups }, false);
    if (!this.local.has(id)) return false;
    const added = this.local.groupsNotIn(id, groups);
    await this.local.join(id, groups);
    if (added.length > 0) await this.engine.presence.join(id, added);
    return true;
  }

  async leave(id: string, groups: readonly string[]): Promise<boolean> {
    if (!this.isLocal(id)) return this.askOwner(id, { op: 'leave', id, groups }, false);
    if (!this.local.has(id)) return false;
    const removed = this.local.groupsIn(id, groups);
    await this.local.leave(id, groups);
    if (removed.length > 0) await this.engine.presence.leave(id, removed);
    return true;
  }

  async updateContext(id: string, patch: Readonly<Record<string, unknown>>): Promise<boolean> {
    if (!this.isLocal(id)) return this.askOwner(id, { op: 'updateContext', id, patch }, false);
    return this.local.updateContext(id, patch);
  }

  async context(id: string): Promise<Record<string, unknown> | undefined> {
    if (!this.isLocal(id)) return this.askOwner(id, { op: 'context', id }, undefined);
    return this.local.context(id);
  }

  // ---- push and close: local at once, the others through the engine -----------------------

  async push(target: Target, payload: Payload): Promise<PushResult> {
    const local = this.local.pushNow(target, payload);
    const request: ClusterRequest = { op: 'push', target, payload };
    const to = remoteOwners(target, this.nodeId);
    if (to?.length === 0) return local;
    if (!this.options.countPushes) {
      await this.publishOrFail(request, to, local.delivered);
      return local;
    }
    const outcome = await this.requestOrFail(request, to, local.delivered);
    let delivered = local.delivered;
    const dropped = local.dropped;
    const unencodable = local.unencodable ?? [];
    for (const { body } of outcome.replies) {
      const reply = body as ClusterReply;
      if (typeof reply.delivered === 'number') delivered += reply.delivered;
      if (Array.isArray(reply.dropped)) dropped.push(...(reply.dropped as string[]));
      if (Array.isArray(reply.unencodable)) {
        for (const failure of reply.unencodable) {
          unencodable.push({ codec: String(failure.codec), ids: failure.ids, error: new InvalidMessageError(String(failure.message)) });
        }
      }
    }
    const result: PushResult = { delivered, dropped, unanswered: outcome.unanswered };
    if (unencodable.length > 0) result.unencodable = unencodable;
    return result;
  }

  async close(target: Target, finalMessage?: unknown): Promise<number> {
    let closed = this.local.closeNow(target, finalMessage);
    const to = remoteOwners(target, this.nodeId);
    if (to?.length === 0) return closed;
    const outcome = await this.requestOrFail({ op: 'close', target, finalMessage }, to, closed);
    for (const { body } of outcome.replies) closed += Number((body as ClusterReply).delivered ?? 0);
    if (outcome.unanswered.length > 0) throw new ClusterIncompleteError(closed, outcome.unanswered);
    return closed;
  }

  // ---- questions: the presence store answers for every live node --------------------------

  // A question about this node's own connections only is answered here: this node's membership
  // is the truth the store is written from (never behind it), and it answers with the engine down.

  async ids(target: Target): Promise<string[]> {
    if (this.allLocal(target)) return this.local.ids(target);
    return this.engine.presence.ids(target);
  }

  async count(target: Target): Promise<number> {
    if (this.allLocal(target)) return this.local.countNow(target);
    return this.engine.presence.count(target);
  }

  async flagOf(id: string): Promise<string | undefined> {
    if (this.isLocal(id)) return this.local.flagNow(id);
    return this.engine.presence.flagOf(id);
  }

  async groupsOf(id: string): Promise<string[]> {
    if (this.isLocal(id)) return this.local.groupsOf(id);
    return this.engine.presence.groupsOf(id);
  }

  holdingsOf(id: string): Holdings | undefined {
    return this.local.holdingsOf(id);
  }

  async groups(): Promise<string[]> {
    return this.engine.presence.groups();
  }

  // ---- what other nodes ask of this one ---------------------------------------------------

  private async onRequest(_from: string, body: unknown): Promise<ClusterReply> {
    if (!isRequest(body)) return { error: { code: ErrorCode.InvalidArgument, message: 'not a cluster request' } };
    try {
      switch (body.op) {
        case 'push': {
          const result = this.local.pushNow(body.target, body.payload);
          const reply: ClusterReply = { delivered: result.delivered, dropped: result.dropped };
          if (result.unencodable) reply.unencodable = result.unencodable.map(({ codec, ids, error }) => ({ codec, ids, message: error.message }));
          return reply;
        }
        case 'close':
          return { delivered: this.local.closeNow(body.target, body.finalMessage) };
        case 'bind':
          return { value: await this.bind(body.id, body.flag) };
        case 'unbind':
          return { value: await this.unbind(body.id) };
        case 'join':
          return { value: await this.join(body.id, body.groups) };
        case 'leave':
          return { value: await this.leave(body.id, body.groups) };
        case 'updateContext':
          return { value: await this.updateContext(body.id, body.patch) };
        case 'context':
          return { value: await this.context(body.id) };
      }
    } catch (error) {
      const e = asError(error);
      return { error: { code: e instanceof SwitchboardError ? e.code : ErrorCode.ClusterRemoteFailed, message: e.message } };
    }
  }

  private onMessage(_from: string, body: unknown): void {
    // Fire-and-forget pushes: nobody waits for a count, so a payload that cannot be encoded here
    // has no one to fail; it reaches no one on this node.
    if (!isRequest(body) || body.op !== 'push') return;
    try {
      this.local.pushNow(body.target, body.payload);
    } catch {
      // see above
    }
  }

  // ---- internals ---------------------------------------------------------------------------

  private isLocal(id: string): boolean {
    return nodeOf(id) === this.nodeId;
  }

  private allLocal(target: Target): boolean {
    return target.type === 'ids' && target.ids.every((id) => this.isLocal(id));
  }

  /** A call about one connection of another node; `unknown` if that node is not live. */
  private async askOwner<T>(id: string, request: ClusterRequest, unknown: T): Promise<T> {
    const owner = nodeOf(id);
    const outcome = await this.requestOrFail(request, [owner], 0);
    if (outcome.unanswered.length > 0) {
      throw new ClusterError(ErrorCode.ClusterTimeout, `node ${owner} did not answer within ${this.options.requestTimeout} ms`);
    }
    const reply = outcome.replies[0]?.body as ClusterReply | undefined;
    if (!reply) return unknown;
    if (reply.error) throw new ClusterError(ErrorCode.ClusterRemoteFailed, `node ${owner}: ${reply.error.code}: ${reply.error.message}`);
    return reply.value as T;
  }

  private async requestOrFail(body: ClusterRequest, to: readonly string[] | undefined, delivered: number): Promise<RequestOutcome> {
    try {
      return await this.engine.request(body, { timeout: this.options.requestTimeout, ...(to ? { to } : {}) });
    } catch (error) {
      throw withDelivered(error, delivered);
    }
  }

  private async publishOrFail(body: ClusterRequest, to: readonly string[] | undefined, delivered: number): Promise<void> {
    try {
      await this.engine.publish(body, to ? { to } : {});
    } catch (error) {
      throw withDelivered(error, delivered);
    }
  }
}

/** The nodes other than `self` a target can reach; undefined for every node. */
function remoteOwners(target: Target, self: string): string[] | undefined {
  if (target.type !== 'ids') return undefined;
  const nodes = new Set<string>();
  for (const id of target.ids) {
    const node = nodeOf(id);
    if (node !== self) nodes.add(node);
  }
  return [...nodes];
}

/** A cluster failure after local delivery: says how many local connections got it anyway. */
function withDelivered(error: unknown, delivered: number): Error {
  const e = asError(error);
  if (e instanceof ClusterError) {
    return new ClusterError(e.code as ConstructorParameters<typeof ClusterError>[0], `${e.message} (delivered to ${delivered} connection(s) on this node)`, { cause: e, delivered });
  }
  return e;
}

function ignore(): void {}
