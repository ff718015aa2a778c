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
  | 'stop';

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
  /** A datagram could not reach the peer (ICMP port unreachable); see `error`. */
  | 'unreachable';

export interface ConnectionEventBase {
  connection: Connection;
}
export interface EstablishEvent extends ConnectionEventBase {}
export interface MessageEvent<M = unknown> extends ConnectionEventBase {
  message: M;
}
export interface CloseEvent extends ConnectionEventBase {
  reason: CloseReason;
  /** Set when reason is `error` (and for `limit`/`peer` when an error said so). */
  error?: SwitchboardError;
  /** The close code, where the transport has one (WebSocket). */
  code?: number;
  /** The close reason text, where the transport has one (WebSocket). */
  closeReason?: string;
}
export interface ReceiveBufferFullEvent extends ConnectionEventBase {
  bufferedBytes: number;
  limit: number;
}
export interface DecodeFailEvent extends ConnectionEventBase {
  error: SwitchboardError;
}
export interface SendBufferFullEvent extends ConnectionEventBase {
  queuedBytes: number;
  limit: number;
}
export interface SendBufferDrainEvent extends ConnectionEventBase {}
export interface SendFailEvent extends ConnectionEventBase {
  code: SendFailCode;
  /** Messages lost (1 for a refused send; the number still queued when a connection closed). */
  lostMessages: number;
  /** Bytes lost, as framed for the wire (0 when the message never got encoded). */
  lostBytes: number;
  error?: SwitchboardError;
}

/** Events of one connection; a server re-emits each of them with the same event object. */
export interface ConnectionEvents {
  establish: EstablishEvent;
  message: MessageEvent;
  close: CloseEvent;
  receiveBufferFull: ReceiveBufferFullEvent;
  decodeFail: DecodeFailEvent;
  sendBufferFull: SendBufferFullEvent;
  sendBufferDrain: SendBufferDrainEvent;
  sendFail: SendFailEvent;
  /** The heartbeat found the connection silent; it closes unless a listener prevents it. */
  idle: IdleEvent;
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
