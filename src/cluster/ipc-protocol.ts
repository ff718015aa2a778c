import type { Target } from '../registry/adapter.js';
import type { PresenceSnapshot } from './engine.js';

/**
 * What the IPC engine's two halves say to each other: the bodies of `Topic.Cluster` envelopes on
 * a worker's channel. Every message names the node it is about, so that one worker process may
 * hold several nodes (several servers, each with its own registry) on one channel.
 *
 * ```
 * worker (IpcEngine)                          supervisor (IpcHub)
 *   join  {node, seq, snapshot}          ->     presence of the node replaced; done {seq}
 *   write {node, seq, write}             ->     applied to the presence table;  done {seq}
 *   ask   {node, seq, question}          ->     answered from the table;        done {seq, value}
 *   request {node, seq, to, timeout, body} ->   request {node: each target, rid, from, body}  -> the targets
 *                                        <-     reply {node: target, rid, body}               <- the targets
 *   done {seq, value: outcome}           <-     once every addressed live node replied, or at the timeout
 *   publish {node, to, body}             ->     message {node: each target, from, body}       -> the targets
 *   leave {node, seq}                    ->     presence dropped;               done {seq}
 * ```
 *
 * A channel is ordered, so a write a worker sent before a question is applied before the question
 * is answered: a node reads its own writes without waiting for the write's `done`.
 */
export type ToHub =
  | { readonly t: 'join'; readonly node: string; readonly seq: number; readonly snapshot: PresenceSnapshot }
  | { readonly t: 'leave'; readonly node: string; readonly seq: number }
  | { readonly t: 'write'; readonly node: string; readonly seq: number; readonly write: PresenceWrite }
  | { readonly t: 'ask'; readonly node: string; readonly seq: number; readonly question: PresenceQuestion }
  | { readonly t: 'request'; readonly node: string; readonly seq: number; readonly to?: readonly string[]; readonly timeout: number; readonly body: unknown }
  | { readonly t: 'publish'; readonly node: string; readonly to?: readonly string[]; readonly body: unknown }
  | { readonly t: 'reply'; readonly node: string; readonly rid: number; readonly body: unknown };

export type FromHub =
  | { readonly t: 'done'; readonly node: string; readonly seq: number; readonly value?: unknown; readonly error?: { readonly code: string; readonly message: string } }
  | { readonly t: 'request'; readonly node: string; readonly rid: number; readonly from: string; readonly body: unknown }
  | { readonly t: 'message'; readonly node: string; readonly from: string; readonly body: unknown };

/** A change to one connection of the writing node (see {@link PresenceStore}). */
export type PresenceWrite =
  | { readonly w: 'add'; readonly id: string }
  | { readonly w: 'remove'; readonly id: string }
  | { readonly w: 'bind'; readonly id: string; readonly flag: string }
  | { readonly w: 'unbind'; readonly id: string }
  | { readonly w: 'join'; readonly id: string; readonly groups: readonly string[] }
  | { readonly w: 'leave'; readonly id: string; readonly groups: readonly string[] };

/** A question about the whole machine's presence. */
export type PresenceQuestion =
  | { readonly q: 'count'; readonly target: Target }
  | { readonly q: 'ids'; readonly target: Target }
  | { readonly q: 'flagOf'; readonly id: string }
  | { readonly q: 'groupsOf'; readonly id: string }
  | { readonly q: 'groups' }
  | { readonly q: 'nodes' };

const TO_HUB = new Set(['join', 'leave', 'write', 'ask', 'request', 'publish', 'reply']);

/**
 * Whether `body` has the outer shape of a {@link ToHub} message: the hub checks it before it trusts
 * a worker's message with a shape (a worker runs user code, which may use the channel too).
 * What is inside a write or a question is checked where it is used.
 */
export function isToHub(body: unknown): body is ToHub {
  if (typeof body !== 'object' || body === null) return false;
  const { t, node, seq, rid } = body as { t?: unknown; node?: unknown; seq?: unknown; rid?: unknown };
  if (typeof t !== 'string' || !TO_HUB.has(t) || typeof node !== 'string') return false;
  if (t === 'publish') return true;
  if (t === 'reply') return typeof rid === 'number';
  return typeof seq === 'number';
}

/** Whether `body` is a {@link FromHub} message for `node`. */
export function isFromHub(body: unknown, node: string): body is FromHub {
  return typeof body === 'object' && body !== null && (body as { node?: unknown }).node === node && typeof (body as { t?: unknown }).t === 'string';
}
