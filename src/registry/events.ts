import type { Connection } from '../connection/connection.js';
import type { ClusterStatus } from '../cluster/engine.js';

/** A connection of this process entered the registry (on its `establish`). */
export interface RegisterEvent {
  connection: Connection;
}

/**
 * A connection of this process left the registry (on its `close`), with the flag and groups it
 * held: by the time a server `close` listener runs they are gone, so this is where to tell a
 * user's rooms that the user left.
 */
export interface UnregisterEvent {
  connection: Connection;
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

export interface RegistryEvents {
  register: RegisterEvent;
  unregister: UnregisterEvent;
  drop: DropEvent;
  cluster: ClusterEvent;
}

export const RegistryEvent = {
  Register: 'register',
  Unregister: 'unregister',
  Drop: 'drop',
  Cluster: 'cluster',
} as const satisfies Record<string, keyof RegistryEvents>;
