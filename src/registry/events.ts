import type { Connection } from '../connection/connection.js';
import type { ClusterStatus } from '../cluster/engine.js';
import type { EncodeFailure } from './adapter.js';

/** A connection of this process entered the registry (on its `establish`). */
export interface RegisterEvent<C = Connection> {
  connection: C;
}

/**
 * A connection of this process left the registry (on its `close`), with the flag and groups it
 * held: by the time a server `close` listener runs they are gone, so this is where to tell a
 * user's rooms that the user left.
 */
export interface UnregisterEvent<C = Connection> {
  connection: C;
  flag: string | undefined;
  groups: string[];
}

/** A push found targets over their send limit: they missed this message (or were closed). */
export interface DropEvent {
  /** Targets the message was handed to. */
  delivered: number;
  /** Ids of the slow targets: they missed this message; those whose `sendBufferFullPolicy` is `close` were closed too (reason `limit`). */
  ids: string[];
}

/**
 * What happened to this node's place in its cluster (`down`, `up`, `fenced`, `rebuilt`): see
 * {@link ClusterStatus}. Never emitted in a single process.
 */
export type ClusterEvent = ClusterStatus;

/**
 * A push met targets whose codec could not frame its message (one event per codec): they were
 * refused (`sendFail`, `encodeFailed`) and the other targets got it.
 */
export interface EncodeFailEvent extends EncodeFailure {
  /** Targets the message was handed to. */
  delivered: number;
}

export interface RegistryEvents<C = Connection> {
  register: RegisterEvent<C>;
  unregister: UnregisterEvent<C>;
  drop: DropEvent;
  encodeFail: EncodeFailEvent;
  cluster: ClusterEvent;
}

export const RegistryEvent = {
  Register: 'register',
  Unregister: 'unregister',
  Drop: 'drop',
  EncodeFail: 'encodeFail',
  Cluster: 'cluster',
} as const satisfies Record<string, keyof RegistryEvents>;
