/**
 * What travels on a worker's IPC channel (node:cluster's, with `serialization: 'advanced'`, so a
 * body may hold Buffers, Maps and typed arrays): one tagged envelope per message. The topic says
 * which part of the supervisor it is for, so that the supervisor's own control messages and a
 * cluster engine's traffic share the channel without knowing about each other.
 *
 * ```
 * { sb: 1, topic: 'process', body: { type: 'ready', ... } }     supervisor <-> worker control
 * { sb: 1, topic: 'cluster', body: <whatever the engine says> }   a cluster engine's hub <-> its worker half
 * ```
 */
export interface Envelope<Body = unknown> {
  /** Marks the message as ours (other code in a worker may use `process.send` too). */
  readonly sb: typeof ENVELOPE_VERSION;
  readonly topic: string;
  readonly body: Body;
}

/** Version tag of the envelope: a worker and a supervisor of different builds never misread each other. */
export const ENVELOPE_VERSION = 1;

/** The topics in use. A {@link SupervisorExtension} owns one topic; these are taken. */
export const Topic = {
  /** The supervisor's own control messages (ready, stop, stats, tasks, worker messages). */
  Process: 'process',
  /** The cluster engine's hub (the IPC engine: registry questions and pushes across workers). */
  Cluster: 'cluster',
} as const;

export function envelope<Body>(topic: string, body: Body): Envelope<Body> {
  return { sb: ENVELOPE_VERSION, topic, body };
}

/** Whether `value` is one of our envelopes (anything else on the channel is ignored). */
export function isEnvelope(value: unknown): value is Envelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { sb?: unknown }).sb === ENVELOPE_VERSION &&
    typeof (value as { topic?: unknown }).topic === 'string'
  );
}
