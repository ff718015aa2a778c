import type { Target } from '../registry/adapter.js';
import type { TypedEmitter } from '../util/typed-emitter.js';

/**
 * The narrow interface a cluster backend provides; the registry's {@link ClusterAdapter}
 * orchestrates everything else (what a push or a question means, who owns which connection).
 * socket.io's cluster adapter leaves its backends only publish and subscribe for the same reason;
 * ours adds what exact presence needs and pub/sub alone cannot give: request/reply that names the
 * nodes that did not answer, and a presence store whose entries live only as long as their node's
 * lease.
 *
 * One engine per node (a process holding connections). A backend is one file behind this
 * interface: {@link LocalHub} (nodes in one process), Redis (many machines), and the supervisor of
 * worker processes as hub over IPC. A hub that sees a node exit at once (the supervisor) drops
 * that node's presence at once; a backend that cannot (Redis) drops it when its lease runs out.
 *
 * Bodies are plain data a structured clone (or `v8.serialize`) keeps: objects, arrays, strings,
 * numbers, Buffers, Uint8Arrays. The engine never looks inside them.
 */
export interface ClusterEngine extends TypedEmitter<ClusterEngineEvents> {
  /**
   * Joins the cluster as `node`: from now on the node receives requests and messages, and its
   * presence (from `node.snapshot()`) is registered under a fresh lease. Rejects with
   * `ERR_CLUSTER_UNAVAILABLE` when the backend cannot be reached; the engine keeps trying, and
   * emits `status` `up` and `rebuilt` once it succeeds.
   */
  start(node: ClusterNode): Promise<void>;

  /**
   * Sends `body` to other live nodes (every one but this, or those in `to`) and collects their
   * replies. Resolves once every addressed live node answered, or at `timeout` ms with the ones
   * that did not in `unanswered`; never rejects for a slow node. Rejects with a
   * {@link ClusterError} when nothing could be sent (backend down, queue full).
   */
  request(body: unknown, options: RequestOptions): Promise<RequestOutcome>;

  /**
   * Sends `body` to other live nodes without waiting for anything (fire-and-forget). Rejects only
   * when it could not be handed to the backend.
   */
  publish(body: unknown, options?: { to?: readonly string[] }): Promise<void>;

  /** The cluster's presence: writes for this node's connections, reads across every live node. */
  readonly presence: PresenceStore;

  /** Leaves the cluster: this node's presence is removed, subscriptions and connections released. */
  stop(): Promise<void>;
}

export interface RequestOptions {
  /** Only these nodes (those not live are left out, not waited for). Default: every other live node. */
  to?: readonly string[];
  /** How long to wait for the answers, in ms. */
  timeout: number;
}

/** What a request got back. */
export interface RequestOutcome {
  replies: Array<{ node: string; body: unknown }>;
  /** Live nodes that were addressed and did not answer in time. */
  unanswered: string[];
}

/** What a node gives its engine: handlers for what other nodes send, and its own presence. */
export interface ClusterNode {
  readonly nodeId: string;
  /** A request from another node; what it resolves to travels back as the reply. */
  onRequest(from: string, body: unknown): Promise<unknown>;
  /** A message published by another node. */
  onMessage(from: string, body: unknown): void;
  /**
   * Everything this node holds now, for (re)registering it: at start, after the backend came
   * back, and after the node lost its lease (fenced) and got a new one.
   */
  snapshot(): PresenceSnapshot;
}

/** One connection as presence knows it. */
export interface PresenceEntry {
  id: string;
  flag?: string | undefined;
  groups?: readonly string[] | undefined;
}
export type PresenceSnapshot = PresenceEntry[];

/**
 * Who is connected across the cluster: ids, flags, groups, each entry owned by the node that
 * holds the connection and visible only while that node's lease is live.
 *
 * Writes are about this node's connections and resolve once every node's reads see them (read your
 * writes across nodes); a change touching several keys is applied atomically. A write that cannot
 * be made (backend down, lease lost) rejects with a {@link ClusterError}, and the engine
 * re-registers the whole node from `snapshot()` as soon as it can, emitting `status` `rebuilt`.
 * Reads count each connection once and only on live nodes.
 */
export interface PresenceStore {
  add(id: string): Promise<void>;
  /** The connection closed; `flag` and `groups` are what it held. */
  remove(id: string, flag: string | undefined, groups: readonly string[]): Promise<void>;
  /** Binds to `flag`, leaving `previous` if it had one. */
  bind(id: string, flag: string, previous: string | undefined): Promise<void>;
  unbind(id: string, flag: string): Promise<void>;
  join(id: string, groups: readonly string[]): Promise<void>;
  leave(id: string, groups: readonly string[]): Promise<void>;

  count(target: Target): Promise<number>;
  ids(target: Target): Promise<string[]>;
  flagOf(id: string): Promise<string | undefined>;
  groupsOf(id: string): Promise<string[]>;
  groups(): Promise<string[]>;
  /** Ids of the live nodes, this one included if it holds a lease. */
  nodes(): Promise<string[]>;
}

/**
 * What happened to this node's place in the cluster. A union tagged by `type`:
 * - `down`: the backend is unreachable (or part of it: the subscriber); cross-node calls fail.
 * - `up`: it is back; `gapMs` is how long messages from other nodes could have been missed.
 * - `fenced`: this node could not renew its lease in time: the cluster no longer counts its
 *   connections (they stay open here) until it re-registers them.
 * - `rebuilt`: this node's presence was registered again from its snapshot (`reason` says why).
 */
export type ClusterStatus =
  | { type: 'down'; engine: string; part: 'commands' | 'subscriber' | 'hub'; error: Error | undefined }
  | { type: 'up'; engine: string; part: 'commands' | 'subscriber' | 'hub'; gapMs: number }
  | { type: 'fenced'; engine: string; sinceRenewalMs: number }
  | { type: 'rebuilt'; engine: string; reason: 'start' | 'reconnect' | 'fenced' | 'failed-write'; connections: number; flags: number; groups: number };

export interface ClusterEngineEvents {
  status: ClusterStatus;
}

/** Node ids of connection ids: a connection id is `<nodeId>.<n>` and node ids hold no dot. */
export function nodeOf(id: string): string {
  const dot = id.indexOf('.');
  return dot < 0 ? id : id.slice(0, dot);
}

/** How much a snapshot holds, for the `rebuilt` status. */
export function summarize(snapshot: PresenceSnapshot): { connections: number; flags: number; groups: number } {
  const flags = new Set<string>();
  const groups = new Set<string>();
  for (const entry of snapshot) {
    if (entry.flag !== undefined) flags.add(entry.flag);
    if (entry.groups) for (const group of entry.groups) groups.add(group);
  }
  return { connections: snapshot.length, flags: flags.size, groups: groups.size };
}
