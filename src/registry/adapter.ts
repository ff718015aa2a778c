import type { AnyConnection } from '../connection/connection.js';
import type { ClusterStatus } from '../cluster/engine.js';
import type { Holdings } from './membership.js';
import type { SwitchboardError } from '../errors.js';

/**
 * Which connections a push, a close or a question is about. Plain data, so that a cluster adapter
 * can ship it to other processes as it is.
 */
export type Target =
  | { readonly type: 'ids'; readonly ids: readonly string[] }
  | { readonly type: 'flags'; readonly flags: readonly string[] }
  | { readonly type: 'groups'; readonly groups: readonly string[]; readonly except?: readonly string[] }
  | { readonly type: 'all'; readonly except?: readonly string[] };

/** What a push writes: a message for the codec, or bytes that skip it. */
export type Payload =
  | { readonly type: 'message'; readonly message: unknown }
  | { readonly type: 'raw'; readonly data: Buffer | Uint8Array | string };

/** Connections that share one encoder that could not frame a push's message. */
export interface EncodeFailure {
  /** The codec's name (`length-field`, `json`, a user codec's). */
  codec: string;
  /** Ids of that codec's targets: each was refused (`sendFail`, `encodeFailed`) and missed this message. */
  ids: string[];
  /** Why, as `connection.send` would report it: `ERR_INVALID_MESSAGE` with the codec's error as `cause`. */
  error: SwitchboardError;
}

/** What a push did. */
export interface PushResult {
  /** Connections the message was handed to (queued for writing). */
  delivered: number;
  /** Ids of targets whose send queue was over its limit: they missed this message (and, with their policy `close`, were closed). */
  dropped: string[];
  /**
   * Cluster nodes that were live but did not answer in time: their connections may or may not have
   * got the message, and are not in `delivered`. Absent or empty when every live node answered.
   */
  unanswered?: string[];
  /**
   * Targets whose codec could not frame the message, one entry per codec: the others got it.
   * Absent when every target's codec could.
   */
  unencodable?: EncodeFailure[];
}

/**
 * What the registry hands an adapter it makes. A target's slow-peer policy is its own
 * (`limits.sendBufferFullPolicy`), not the registry's.
 */
export interface AdapterInit {
  /** The node the registry's connections live on (its source's `nodeId`). */
  nodeId: string;
  /** Reports what happens to the node's place in a cluster; the registry emits it as `cluster`. */
  onStatus: (status: ClusterStatus) => void;
}

/**
 * Where the registry keeps membership and how a push reaches connections. The registry validates
 * and normalises arguments, then calls its adapter; the adapter answers for every connection it
 * can reach. {@link LocalAdapter} knows this process's connections; a cluster adapter (worker
 * processes, Redis) adds the others, delivering locally and publishing the rest, and answers
 * questions for the whole cluster. Everything but `register`/`unregister` is asynchronous for
 * that reason. Ids in a {@link Target} that no reachable connection has are ignored.
 */
export interface RegistryAdapter {
  /** A local connection is established. */
  register(connection: AnyConnection): void;
  /** A local connection closed: forget it; returns what it held (undefined if unknown). */
  unregister(connection: AnyConnection): Holdings | undefined;

  /** Binds a connection to a flag (moving it from its previous one); false if the id is unknown. */
  bind(id: string, flag: string): Promise<boolean>;
  /** Removes a connection's flag; false if the id is unknown or it had none. */
  unbind(id: string): Promise<boolean>;
  /** Adds a connection to groups; false if the id is unknown. */
  join(id: string, groups: readonly string[]): Promise<boolean>;
  /** Removes a connection from groups; false if the id is unknown. */
  leave(id: string, groups: readonly string[]): Promise<boolean>;
  /** Merges `patch` into a connection's context; false if the id is unknown. */
  updateContext(id: string, patch: Readonly<Record<string, unknown>>): Promise<boolean>;

  /** Writes the payload to each target once; targets whose codec cannot frame it are named in `unencodable`. */
  push(target: Target, payload: Payload): Promise<PushResult>;
  /** Closes the targets gracefully (after `finalMessage`, if any); resolves to how many. */
  close(target: Target, finalMessage?: unknown): Promise<number>;

  /** Ids of the targets (each once). */
  ids(target: Target): Promise<string[]>;
  /** How many targets (each once). */
  count(target: Target): Promise<number>;
  flagOf(id: string): Promise<string | undefined>;
  /**
   * The flag and groups of a connection of this process, answered synchronously from this
   * process's own index (undefined for an id that is not registered here).
   */
  holdingsOf?(id: string): Holdings | undefined;
  /** The connection's groups; empty for an unknown id. */
  groupsOf(id: string): Promise<string[]>;
  /** Every group with at least one member. */
  groups(): Promise<string[]>;
  /** A copy of the connection's context; undefined for an unknown id. */
  context(id: string): Promise<Record<string, unknown> | undefined>;

  /**
   * Resolves once the adapter has joined its cluster (at once for a local one); rejects with a
   * coded error if it cannot, while it keeps trying in the background.
   */
  ready?(): Promise<void>;

  /** The registry is being disposed of: release timers, subscriptions, connections to backends. */
  dispose?(): Promise<void> | void;
}
