import { randomBytes } from 'node:crypto';
import { InvalidOptionError } from '../errors.js';

/**
 * Node ids: the first half of every connection id. A node is one process holding connections
 * (one worker, one cluster member). Ids must be unique across processes and machines, so the
 * default is random, fixed for the life of the process; the process layer (workers, `--redis`)
 * may set it before the app makes its servers, and a user may pass `nodeId` to a Server.
 */
let processNodeId: string | undefined;

/** Letters, digits, `_` and `-`: safe in logs, Redis keys and channel names. */
const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** This process's node id: set by {@link setProcessNodeId}, else 8 random base-32 characters. */
export function getProcessNodeId(): string {
  return (processNodeId ??= randomBytes(5).readUIntBE(0, 5).toString(32).padStart(8, '0'));
}

/** Sets this process's node id (the process layer does, before the app runs). */
export function setProcessNodeId(id: string): void {
  processNodeId = validNodeId('nodeId', id);
}

export function validNodeId(name: string, id: unknown): string {
  if (typeof id !== 'string' || !NODE_ID_PATTERN.test(id)) {
    throw new InvalidOptionError(name, id, '1 to 64 letters, digits, "_" or "-"');
  }
  return id;
}

/** One counter per node id, shared by every server and client of the process, so ids never collide. */
const counters = new Map<string, number>();

/**
 * A new connection id `<nodeId>.<n>`, `n` counting in decimal (`kofquub0.17`): opaque to code,
 * unique across the cluster, and readable in logs ("idle close kofquub0.1034", not a base-36 `.sq`).
 */
export function nextConnectionId(nodeId: string): string {
  const n = (counters.get(nodeId) ?? 0) + 1;
  counters.set(nodeId, n);
  // join makes one flat string (32 bytes); a template literal keeps the parts as a tree of
  // concatenations (about 80), held by every connection for its life.
  return [nodeId, n].join('.');
}
