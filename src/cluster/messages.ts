import type { Payload, Target } from '../registry/adapter.js';

/**
 * What one node's registry asks of another through an engine: plain data, so that every engine
 * can carry it (a structured clone over IPC, `v8.serialize` over Redis).
 */
export type ClusterRequest =
  | { op: 'push'; target: Target; payload: Payload }
  | { op: 'close'; target: Target; finalMessage?: unknown }
  | { op: 'bind'; id: string; flag: string }
  | { op: 'unbind'; id: string }
  | { op: 'join'; id: string; groups: readonly string[] }
  | { op: 'leave'; id: string; groups: readonly string[] }
  | { op: 'updateContext'; id: string; patch: Readonly<Record<string, unknown>> }
  | { op: 'context'; id: string };

/** The answer: a count (push, close), a value (the rest), or the error the node met. */
export interface ClusterReply {
  delivered?: number;
  dropped?: string[];
  /** A push's targets whose codec could not frame it, with the error's text (errors do not travel). */
  unencodable?: Array<{ codec: string; ids: string[]; message: string }>;
  value?: unknown;
  error?: { code: string; message: string };
}

const OPS = new Set(['push', 'close', 'bind', 'unbind', 'join', 'leave', 'updateContext', 'context']);

/** A body from another node is checked before it is trusted with a shape. */
export function isRequest(body: unknown): body is ClusterRequest {
  return typeof body === 'object' && body !== null && OPS.has((body as { op?: unknown }).op as string);
}
