import type { SwitchboardError } from '../errors.js';
import type { Connection } from './connection.js';
import type { IdleEvent } from './idle-event.js';

/** Why a connection closed. */
export type CloseReason =
  /** The peer ended or reset the connection. */
  | 'peer'
  /** This side called `close()` or `destroy()`. */
  | 'local'
  /** A transport, TLS, decode or handler error: see `error`. */
  | 'error'
  /** Silent for longer than the heartbeat timeout, and no `idle` listener prevented the close. */
  | 'idle'
  /** A buffer limit was passed (receive buffer, or send buffer with policy `close`). */
  | 'limit'
  /** The server is stopping. */
  | 'stop'
  /** The server is stopping to restart (a reload): clients should reconnect (WebSocket close 1012). */
  | 'restart';

/** Why a send did not reach the wire. */
export type SendFailCode =
  /** The send buffer was over `maxSendBufferSize`; the message was refused. */
  | 'bufferFull'
  /** The connection is closing or closed: refused, or queued bytes that will never be written. */
  | 'remoteClosed'
  /** The codec could not encode the message (see `error`). */
  | 'encodeFailed'
  /** A client's offline queue was full. */
  | 'offlineQueueFull'
  /** A message waited in a client's offline queue longer than its `maxAge`, and was dropped. */
  | 'offlineExpired'
  /** A datagram could not reach the peer (ICMP port unreachable); see `error`. */
  | 'unreachable';

/** What a connection's context holds unless you type it (`Server<In, Out, Context>`). */
export type DefaultContext = Record<string, unknown>;

export interface ConnectionEventBase<C = Connection> {
  connection: C;
}
export interface EstablishEvent<C = Connection> extends ConnectionEventBase<C> {}
/** One whole decoded message; `M` is the type the codec decodes. */
export interface MessageEvent<M = unknown, C = Connection<M>> extends ConnectionEventBase<C> {
  message: M;
}
export interface CloseEvent<C = Connection> extends ConnectionEventBase<C> {
  reason: CloseReason;
  /** Set when reason is `error` (and for `limit`/`peer` when an error said so). */
  error?: SwitchboardError;
  /** The close code, where the transport has one (WebSocket). */
  code?: number;
  /** The close reason text, where the transport has one (WebSocket). */
  closeReason?: string;
}
export interface ReceiveBufferFullEvent<C = Connection> extends ConnectionEventBase<C> {
  bufferedBytes: number;
  limit: number;
}
export interface DecodeFailEvent<C = Connection> extends ConnectionEventBase<C> {
  error: SwitchboardError;
}
export interface SendBufferFullEvent<C = Connection> extends ConnectionEventBase<C> {
  queuedBytes: number;
  limit: number;
}
export interface SendBufferDrainEvent<C = Connection> extends ConnectionEventBase<C> {}
export interface SendFailEvent<C = Connection> extends ConnectionEventBase<C> {
  code: SendFailCode;
  /** Messages lost (1 for a refused send; the number still queued when a connection closed). */
  lostMessages: number;
  /** Bytes lost, as framed for the wire (0 when the message never got encoded). */
  lostBytes: number;
  error?: SwitchboardError;
}

/**
 * Events of one connection; a server re-emits each of them with the same event object. `In` is
 * the type of decoded messages, `Out` what `send` takes, `Context` the type of `context`.
 */
export interface ConnectionEvents<In = unknown, Out = In, Context extends object = DefaultContext> {
  establish: EstablishEvent<Connection<In, Out, Context>>;
  message: MessageEvent<In, Connection<In, Out, Context>>;
  close: CloseEvent<Connection<In, Out, Context>>;
  receiveBufferFull: ReceiveBufferFullEvent<Connection<In, Out, Context>>;
  decodeFail: DecodeFailEvent<Connection<In, Out, Context>>;
  sendBufferFull: SendBufferFullEvent<Connection<In, Out, Context>>;
  sendBufferDrain: SendBufferDrainEvent<Connection<In, Out, Context>>;
  sendFail: SendFailEvent<Connection<In, Out, Context>>;
  /** The heartbeat found the connection silent; it closes unless a listener prevents it. */
  idle: IdleEvent<Connection<In, Out, Context>>;
}

/** The familiar names, for `connection.on(ConnectionEvent.Message, ...)`. */
export const ConnectionEvent = {
  Establish: 'establish',
  Message: 'message',
  Close: 'close',
  ReceiveBufferFull: 'receiveBufferFull',
  DecodeFail: 'decodeFail',
  SendBufferFull: 'sendBufferFull',
  SendBufferDrain: 'sendBufferDrain',
  SendFail: 'sendFail',
  Idle: 'idle',
} as const satisfies Record<string, keyof ConnectionEvents>;
