import { envelope, isEnvelope } from './envelope.js';

/**
 * A worker's side of its IPC channel to the supervisor, on one {@link Envelope} topic: what a
 * cluster engine's worker half (and the worker's own control code) uses. Undefined when this
 * process is not a worker of a supervisor (`process.send` is missing).
 */
export interface SupervisorLink {
  /** Sends `body` to the supervisor on this topic. False (nothing sent) once the channel is closed. */
  send(body: unknown): boolean;
  /** Calls `listener` with each body the supervisor sends on this topic; returns a function that stops it. */
  onMessage(listener: (body: unknown) => void): () => void;
  /** Calls `listener` once when the channel closes (the supervisor died or let the worker go). */
  onDisconnect(listener: () => void): () => void;
}

type Listener = (body: unknown) => void;

/** Topic -> listeners, fed by one `process.on('message')` for every topic. */
const listeners = new Map<string, Set<Listener>>();
let routing = false;

function route(message: unknown): void {
  if (!isEnvelope(message)) return;
  const set = listeners.get(message.topic);
  if (set) for (const listener of [...set]) listener(message.body);
}

/** The link to the supervisor on `topic`, or undefined outside a worker. */
export function supervisorLink(topic: string): SupervisorLink | undefined {
  if (typeof process.send !== 'function') return undefined;
  if (!routing) {
    routing = true;
    process.on('message', route);
  }
  return {
    send(body) {
      if (!process.connected || typeof process.send !== 'function') return false;
      return process.send(envelope(topic, body));
    },
    onMessage(listener) {
      let set = listeners.get(topic);
      if (!set) listeners.set(topic, (set = new Set()));
      set.add(listener);
      return () => void set.delete(listener);
    },
    onDisconnect(listener) {
      const once = (): void => listener();
      process.once('disconnect', once);
      return () => void process.off('disconnect', once);
    },
  };
}
