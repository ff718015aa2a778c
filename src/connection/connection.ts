import type { Codec } from '../codec/codec.js';
import { deliverMessage, framingFailed, mayDeliver, resumeFraming, type FramerSink, type InboundFramer } from '../codec/inbound-framer.js';
import type { MessageCodec } from '../codec/message-codec.js';
import {
  DecodeError,
  ErrorCode,
  HandlerFailedError,
  asInvalidMessage,
  ReceiveBufferFullError,
  SendBufferFullError,
  SwitchboardError,
  asError,
} from '../errors.js';
import {
  linkAbort,
  linkClose,
  linkClosed,
  linkData,
  linkDrain,
  linkEnd,
  linkError,
  linkCanQueue,
  linkReady,
  linkSend,
  linkUnreachable,
  type Link,
  type LinkSink,
  type TransportName,
} from '../transport/link.js';
import type { Framing } from '../transport/framing.js';
import type { WebSocketInfo } from '../transport/websocket/websocket-link.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type { CloseEvent, CloseReason, ConnectionEvents, DefaultContext, SendFailCode } from './events.js';
import { scheduleFlush, type Flushable } from './flush-scheduler.js';
import { settleWrites } from '../transport/write-batch.js';
import { IdleEvent } from './idle-event.js';
import { closeGracefully, destroyWith, encoderOf, refuseEncoded, establish, flushNow, handlerFailed, idle, linkOf, ownerClosed, ownerRelay, probe, sendFrame } from './internal.js';
import { CHUNK_OVERHEAD_BYTES, resolveLimits, type ConnectionLimits, type ResolvedLimits } from './limits.js';
import { MessageIterator } from './message-iterator.js';
import { appendFrame, dropRun, ownCopies, sealRun, slabHeld } from '../transport/output-slab.js';
import type { WireEncoder } from '../codec/wire-encoder.js';

export type { TransportName } from '../transport/link.js';

export const ConnectionState = {
  Connecting: 'connecting',
  Open: 'open',
  Closing: 'closing',
  Closed: 'closed',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/** Who owns a connection (a server or a client): it hears every event and the final close. */
export interface ConnectionOwner {
  [ownerRelay]<K extends keyof ConnectionEvents>(name: K, event: ConnectionEvents[K]): void;
  [ownerClosed](connection: AnyConnection): void;
}

/** A connection of any message and context types: what the layers that only move bytes hold. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConnection = Connection<any, any, any>;

/**
 * What every connection of an endpoint (or of a client) shares: one object, referenced by each
 * connection, instead of the same six fields copied into each (idle connections are what a
 * long-connection server holds most of).
 */
export interface ConnectionTemplate extends Framing {
  readonly limits: ResolvedLimits;
  readonly clock: Clock;
  /** How long a graceful `close()` may wait for queued bytes before the link is destroyed. */
  readonly closeTimeout: number;
  readonly owner: ConnectionOwner | undefined;
  /** The name of the endpoint (or the client's target) the connections came in on; see {@link Connection.endpoint}. */
  endpoint: string;
}

/** What a closing connection remembers: one object made when it starts closing, not five fields on every live one. */
interface Ending {
  reason: CloseReason | undefined;
  error: SwitchboardError | undefined;
  timer: TimerHandle | undefined;
  /** Unsent bytes (and messages) seen just before the link was torn down (Node empties its buffer on destroy). */
  unsentBytes: number;
  unsentMessages: number;
}

/** @see ConnectionTemplate.closeTimeout @default 10 s */
export const DEFAULT_CLOSE_TIMEOUT = 10_000;

/**
 * Connection times are kept relative to this (the wall clock when the module loaded): V8 keeps an
 * integer field in the object while it fits 31 bits (24 days of milliseconds), and boxes a
 * larger number (such as `Date.now()`) in a heap number of its own.
 */
const TIME_BASE = Date.now();

/**
 * One live peer over any link (TCP, TLS, Unix socket, WebSocket, UDP): a link, an inbound framer
 * and an outbound encoder composed, with the receive and send buffers, limits, counters, state and
 * events every transport shares. `send()` never throws; it answers `true` (accepted, nothing
 * waiting ahead of it on the peer), `null` (accepted, queued behind output the peer has not taken
 * yet) or `false` (refused: a `sendFail` event says why).
 */
export class Connection<In = unknown, Out = In, Context extends object = DefaultContext>
  extends TypedEmitter<ConnectionEvents<In, Out, Context>>
  implements Flushable, LinkSink, FramerSink, AsyncIterable<In>
{
  readonly id: string;
  /**
   * User data: whatever the application wants to keep with this connection, typed by the server's
   * or client's `Context` parameter. Starts as an empty object (so give a typed context's fields
   * at `establish`, or make them optional). Cleared on close.
   */
  get context(): Context {
    // Made on first use: most connections of a large server never carry any.
    return (this.contextNow ??= {} as Context);
  }
  set context(value: Context) {
    this.contextNow = value;
  }
  /** Messages decoded from the peer. */
  requests = 0;
  /** Bytes received from the link. */
  readBytes = 0;
  /** Bytes handed to the link for writing. */
  writtenBytes = 0;
  /** When something was last received from the peer (clock ms); the heartbeat sweep reads it. */
  get lastHeartbeat(): number {
    return TIME_BASE + this.heartbeatAt;
  }
  /** When the connection was accepted or dialled (clock ms). */
  get createdAt(): number {
    return TIME_BASE + this.createdAtNow;
  }

  /**
   * {@link lastHeartbeat} and {@link createdAt} less {@link TIME_BASE}: small integers, held in
   * the object itself, where a clock reading (about 1.7e12) would be a 16-byte heap number each.
   */
  private heartbeatAt: number;
  private readonly createdAtNow: number;
  private readonly link: Link;
  private readonly template: ConnectionTemplate;
  private limitsNow: ResolvedLimits;
  private owner: ConnectionOwner | undefined;
  private stateNow: ConnectionState;
  private contextNow: Context | undefined;
  /** Made by the first bytes received. */
  private framer: InboundFramer | undefined;
  private receivePausedNow = false;
  /** Frames queued this turn; made by the first send after each flush. */
  private pending: Buffer[] | undefined;
  private pendingBytes = 0;
  /** Messages in `pending` (a message may be more than one piece: a header beside its body). */
  private pendingMessages = 0;
  private flushQueued = false;
  private overSendLimit = false;
  /** Why and how the connection is closing; made when it starts to (a live connection holds none). */
  private ending: Ending | undefined;
  private iterators: Set<{ end(): void }> | undefined;

  /** @internal Made by servers and clients, never by users. */
  constructor(id: string, link: Link, template: ConnectionTemplate, state: 'connecting' | 'open' = 'connecting') {
    super({ captureRejections: true });
    // EventEmitter's constructor gives every instance a null-prototype listener table, which V8
    // keeps in dictionary mode (~180 bytes). Most connections never get a listener of their own
    // (servers listen on the server), and Node's EventEmitter makes the table on the first `on()`
    // when `_events` is undefined, so it is left to that.
    (this as unknown as { _events: unknown })._events = undefined;
    this.id = id;
    this.link = link;
    this.template = template;
    this.owner = template.owner;
    this.limitsNow = template.limits;
    this.stateNow = state;
    this.createdAtNow = this.heartbeatAt = template.clock.now() - TIME_BASE;
    link.attach(this);
  }

  // ---- identity and state ----------------------------------------------------------------

  /**
   * The name of the endpoint this connection came in on (its `name` option; by default its
   * listening address, such as `tcp://0.0.0.0:7000`), so that one handler can tell two TCP
   * endpoints apart. A client's connection names its target.
   */
  get endpoint(): string {
    return this.template.endpoint;
  }
  /** The transport of this connection's link. */
  get transport(): TransportName {
    return this.link.transport;
  }
  /** The codec messages go through: a stream codec, or a WebSocket endpoint's message codec. */
  get codec(): Codec | MessageCodec {
    return this.template.codec;
  }
  get state(): ConnectionState {
    return this.stateNow;
  }
  /**
   * What a WebSocket connection has beyond this vocabulary (the upgrade request, the subprotocol,
   * a close with a code of your choosing); undefined on other transports.
   */
  get websocket(): WebSocketInfo | undefined {
    const transport = this.link.transport;
    return transport === 'ws' || transport === 'wss' ? (this.link as unknown as WebSocketInfo) : undefined;
  }
  get localAddress(): string | undefined {
    return this.link.localAddress;
  }
  get localPort(): number | undefined {
    return this.link.localPort;
  }
  get remoteAddress(): string | undefined {
    return this.link.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.link.remotePort;
  }
  /** Bytes queued and not yet taken by the kernel. */
  get sendQueueBytes(): number {
    return this.pendingBytes + this.link.writableLength;
  }
  /** Bytes of incomplete messages held, plus the per-chunk overhead. */
  get receiveBufferBytes(): number {
    const framer = this.framer;
    return framer === undefined ? 0 : framer.bufferedBytes + framer.bufferedChunks * CHUNK_OVERHEAD_BYTES;
  }
  get limits(): Readonly<ResolvedLimits> {
    return this.limitsNow;
  }
  get receivePaused(): boolean {
    return this.receivePausedNow;
  }

  /** Changes this connection's limits; unspecified ones keep their value. */
  setLimits(limits: ConnectionLimits): void {
    this.limitsNow = resolveLimits(this.limitsNow, limits);
    this.framer?.setMaxMessageBytes(this.limitsNow.maxReceiveBufferSize);
  }

  // ---- sending ---------------------------------------------------------------------------

  /**
   * Encodes and queues a message; written with everything else queued this turn. A byte stream's
   * small frames are copied into the turn's output as they are sent; a message of bytes (a Buffer
   * or Uint8Array) of 16 KiB or more is not copied where the codec frames it as header + body (the
   * length-field codec), nor is a WebSocket binary frame's: leave it unchanged until the turn's
   * flush, as with `socket.write`.
   */
  send(message: Out): boolean | null {
    // Read once per send: a getter on the link, then on Node's socket and its writable state.
    const writable = this.link.writableLength;
    const refusal = this.refusal(writable);
    if (refusal !== undefined) return this.refuse(refusal, 0);
    const pending = (this.pending ??= []);
    const encoder = this.template.encoder;
    let bytes: number;
    try {
      // Small frames of a byte stream are written straight into the turn's output (output-slab.ts).
      bytes = encoder.encodeInto !== undefined ? appendFrame(pending, encoder, message) : encoder.encodeParts(message, pending);
    } catch (error) {
      return this.refuse('encodeFailed', 0, asInvalidMessage(error));
    }
    return this.queued(bytes, writable);
  }

  /** @internal A broadcast's encoder could not frame its message for this connection. */
  [refuseEncoded](error: SwitchboardError): void {
    this.refuse('encodeFailed', 0, error);
  }

  /** Queues bytes that bypass the codec (still framed by the transport where it must be). */
  sendRaw(data: Buffer | Uint8Array | string): boolean | null {
    const writable = this.link.writableLength;
    const refusal = this.refusal(writable);
    if (refusal !== undefined) return this.refuse(refusal, 0);
    return this.queue(this.template.encoder.encodeRaw(data), writable);
  }

  /** @internal The encoder that frames this connection's output (shared by its endpoint). */
  get [encoderOf](): WireEncoder {
    return this.template.encoder;
  }

  /**
   * @internal Queues bytes already framed by this connection's encoder: how a broadcast writes one
   * Buffer to many connections. The caller vouches that `frame` came from that encoder.
   */
  [sendFrame](frame: Buffer): boolean | null {
    // Read once: on the broadcast path this runs once per target.
    const writable = this.link.writableLength;
    const refusal = this.refusal(writable);
    if (refusal !== undefined) return this.refuse(refusal, frame.length);
    return this.queue(frame, writable);
  }

  /** Why a send must be refused, if it must; `writable` is the link's queued bytes. */
  private refusal(writable: number): SendFailCode | undefined {
    if (this.stateNow === 'closing' || this.stateNow === 'closed') return 'remoteClosed';
    if (this.pendingBytes + writable > this.limitsNow.maxSendBufferSize) return 'bufferFull';
    return undefined;
  }

  /**
   * The one slow-peer policy: a send refused because the peer does not read is reported, and with
   * `sendBufferFullPolicy: 'close'` the connection is closed, whether the send came from the
   * application or from a broadcast.
   */
  private refuse(code: SendFailCode, bytes: number, error?: SwitchboardError): false {
    const event = { connection: this, code, lostMessages: 1, lostBytes: bytes, ...(error ? { error } : {}) };
    this.dispatch('sendFail', event);
    if (code === 'bufferFull' && this.limitsNow.sendBufferFullPolicy === 'close') {
      this[destroyWith]('limit', new SendBufferFullError(this.limitsNow.maxSendBufferSize));
    }
    return false;
  }

  private queue(frame: Buffer, writable: number): boolean | null {
    const pending = (this.pending ??= []);
    sealRun(pending);
    pending.push(frame);
    return this.queued(frame.length, writable);
  }

  /**
   * Counts one message of `bytes` just pushed onto `pending`, and schedules the turn's flush.
   * `writable` is the link's queued bytes, as read by the send.
   */
  private queued(bytes: number, writable: number): boolean | null {
    this.pendingBytes += bytes;
    this.pendingMessages++;
    if (!this.flushQueued) {
      this.flushQueued = true;
      scheduleFlush(this);
    }
    const queued = this.pendingBytes + writable;
    if (!this.overSendLimit && queued > this.limitsNow.maxSendBufferSize) {
      this.overSendLimit = true;
      this.dispatch('sendBufferFull', { connection: this, queuedBytes: queued, limit: this.limitsNow.maxSendBufferSize });
    }
    return writable > 0 ? null : true;
  }

  /** @internal Writes everything queued in one go. Called by the flush scheduler once per turn. */
  [flushNow](): void {
    this.flushQueued = false;
    const pending = this.pending;
    if (pending === undefined) return;
    sealRun(pending);
    if (this.link.destroyed || this.pendingMessages === 0) return;
    const bytes = this.pendingBytes;
    const backlog = this.link.writableLength > 0;
    if (backlog) ownCopies(pending);
    // A link not ready to write (a WebSocket before its 101) keeps them for establish(), as
    // copies: the output slab is reused after this turn.
    if (!this.link.writev(pending, bytes)) {
      ownCopies(pending);
      return;
    }
    // Bytes left with the socket may be views of the output slab: not reused then, unless the
    // link consumed them within the write (TLS after its handshake).
    if (!backlog && this.link.writableLength > 0 && this.link.consumesWrites !== true) slabHeld();
    this.writtenBytes += bytes;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.pendingMessages = 0;
    if (this.overSendLimit) {
      // Writes gathered for the native accelerator go out first: the listener may close a connection.
      settleWrites();
      if (this.link.writableLength === 0) this[linkDrain]();
    }
  }

  // ---- receiving -------------------------------------------------------------------------

  /** Stops reading from the link; messages already received wait too. */
  pauseReceive(): void {
    if (this.receivePausedNow) return;
    this.receivePausedNow = true;
    this.link.pause();
  }

  resumeReceive(): void {
    if (!this.receivePausedNow) return;
    this.receivePausedNow = false;
    if (this.stateNow === 'closed') return;
    this.link.resume();
    this.decodeAvailable();
  }

  private framerOf(): InboundFramer {
    return (this.framer ??= this.template.framer(this.link, this.limitsNow));
  }

  /** Runs the framer over what it holds, then checks the receive limit. */
  private decodeAvailable(): void {
    const framer = this.framer;
    if (framer === undefined || this.stateNow === 'connecting' || this.stateNow === 'closed') return;
    let units = 0;
    for (;;) {
      try {
        units += framer.run(this);
        break;
      } catch (error) {
        // A loop, not a recursion: a paused UDP session may hold many bad datagrams.
        if (!this.decodeFailed(error)) return;
        units++;
      }
    }
    if (units > 0) this.heartbeatAt = this.template.clock.now() - TIME_BASE;
    const buffered = this.receiveBufferBytes;
    const limit = this.limitsNow.maxReceiveBufferSize;
    if (buffered > limit && this.stateNow === 'open') {
      // Codecs check frame headers against their limits before buffering a payload; this catches
      // what they cannot see: a frame that never completes, a flood of tiny chunks.
      this.dispatch('receiveBufferFull', { connection: this, bufferedBytes: buffered, limit });
      framer.clear();
      this.fail('limit', new ReceiveBufferFullError(buffered, limit));
    }
  }

  /** @internal */
  [mayDeliver](): boolean {
    return !this.receivePausedNow && this.stateNow === 'open';
  }

  /** @internal Hands one decoded message to the listeners. */
  [deliverMessage](message: unknown): void {
    this.requests++;
    this.dispatch('message', { connection: this, message: message as In });
  }

  /** @internal */
  [resumeFraming](): void {
    this.decodeAvailable();
  }

  /** @internal */
  [framingFailed](error: unknown): void {
    if (this.stateNow === 'closed' || this.framer === undefined) return;
    if (this.decodeFailed(error)) this.decodeAvailable();
  }

  /**
   * Reports input that can never be a message. True when the framer recovers (a datagram stands
   * alone: the bad one is dropped, the ones behind it are still whole) and reading goes on;
   * otherwise the connection fails (on a byte stream, where the next frame starts is unknown).
   */
  private decodeFailed(error: unknown): boolean {
    const coded =
      error instanceof SwitchboardError ? error : new DecodeError(ErrorCode.CorruptFrame, `decoder failed: ${asError(error).message}`, { cause: error });
    this.dispatch('decodeFail', { connection: this, error: coded });
    const framer = this.framer;
    if (framer === undefined) return false;
    if (framer.recoversFromDecodeFail && this.stateNow === 'open') return true;
    framer.clear();
    this.fail('error', coded);
    return false;
  }

  // ---- LinkSink: what the link reports ---------------------------------------------------

  /** @internal */
  [linkData](chunk: Buffer): void {
    this.readBytes += chunk.length;
    const framer = this.framerOf();
    framer.push(chunk, this.limitsNow.readBufferSize);
    if (this.stateNow === 'connecting') {
      // Bytes before the handshake finished wait for it, within the receive limit.
      const buffered = this.receiveBufferBytes;
      const limit = this.limitsNow.maxReceiveBufferSize;
      if (buffered > limit) {
        framer.clear();
        this[destroyWith]('limit', new ReceiveBufferFullError(buffered, limit, `more than ${limit} bytes sent before the handshake completed`));
      }
      return;
    }
    this.decodeAvailable();
  }

  /** @internal The peer will send no more: deliver a last message made of leftovers, then close our side. */
  [linkEnd](): void {
    const framer = this.framer;
    if (this.stateNow === 'open' && framer !== undefined) {
      try {
        framer.finish(this);
      } catch (error) {
        this.decodeFailed(error);
        return;
      }
    }
    this[closeGracefully]('peer');
  }

  /** @internal */
  [linkDrain](): void {
    if (!this.overSendLimit || this.pendingBytes > 0) return;
    this.overSendLimit = false;
    this.dispatch('sendBufferDrain', { connection: this });
  }

  /** @internal */
  [linkError](error: SwitchboardError, peerGone: boolean): void {
    this.noteUnsent();
    const ending = this.endingOf();
    ending.reason ??= peerGone ? 'peer' : 'error';
    ending.error ??= error;
  }

  /** @internal */
  [linkReady](): void {
    this[establish]();
  }

  /** @internal */
  [linkClose](reason: CloseReason, error?: SwitchboardError): void {
    this[closeGracefully](reason, undefined, error);
  }

  /** @internal */
  [linkAbort](reason: CloseReason, error: SwitchboardError): void {
    this[destroyWith](reason, error);
  }

  /** @internal */
  [linkSend](frame: Buffer): void {
    this[sendFrame](frame);
  }

  /** @internal */
  [linkUnreachable](error: SwitchboardError): void {
    this.dispatch('sendFail', { connection: this, code: 'unreachable', lostMessages: 1, lostBytes: 0, error });
  }

  /** @internal */
  [linkCanQueue](): boolean {
    return this.pendingBytes + this.link.writableLength <= this.limitsNow.maxSendBufferSize;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** @internal Marks the connection open (after a handshake) and emits `establish`. */
  [establish](): void {
    if (this.stateNow !== 'connecting') return;
    this.stateNow = 'open';
    this.heartbeatAt = this.template.clock.now() - TIME_BASE;
    this.dispatch('establish', { connection: this });
    if (this.pending !== undefined) this[flushNow]();
    if (this.framer !== undefined) this.decodeAvailable();
  }

  /**
   * Closes gracefully: the final message (if any) and everything queued are written first, then
   * the connection ends (a WebSocket with its close handshake). If the peer does not take the bytes
   * within the close timeout, the link is destroyed and `sendFail` reports what was lost.
   */
  close(finalMessage?: Out): void {
    this[closeGracefully]('local', finalMessage);
  }

  /** Closes at once, dropping whatever is queued (reported through `sendFail`). */
  destroy(error?: SwitchboardError): void {
    this[destroyWith](error ? 'error' : 'local', error);
  }

  /**
   * @internal A graceful close with a reason (and the error behind it, for transports that say
   * goodbye even on errors: WebSocket's close frame with 1002, 1009, 1011, ...).
   */
  [closeGracefully](reason: CloseReason, finalMessage?: unknown, error?: SwitchboardError): void {
    if (this.stateNow === 'closing' || this.stateNow === 'closed') return;
    if (finalMessage !== undefined) this.send(finalMessage as Out);
    const ending = this.endingOf();
    ending.reason ??= reason;
    ending.error ??= error;
    this.stateNow = 'closing';
    this[flushNow]();
    this.writtenBytes += this.link.end(reason, error);
    const clock = this.template.clock;
    ending.timer = clock.setTimeout(() => {
      ending.timer = undefined;
      if (this.stateNow !== 'closed') {
        this.noteUnsent();
        this.link.destroy();
      }
    }, this.template.closeTimeout);
    ending.timer.unref?.();
  }

  /** @internal Closes at once with a reason: for limits, errors, a server's deadline. */
  [destroyWith](reason: CloseReason, error?: SwitchboardError): void {
    if (this.stateNow === 'closed') return;
    const ending = this.endingOf();
    ending.reason ??= reason;
    ending.error ??= error;
    this.stateNow = 'closing';
    this.noteUnsent();
    this.link.destroy();
  }

  /**
   * Fails the connection: with a goodbye where the link can say why (WebSocket's close frame),
   * otherwise at once.
   */
  private fail(reason: CloseReason, error: SwitchboardError): void {
    if (this.stateNow === 'open' && this.link.saysGoodbye) this[closeGracefully](reason, undefined, error);
    else this[destroyWith](reason, error);
  }

  /** @internal The heartbeat's probe of a quiet connection (a WebSocket ping). */
  [probe](): void {
    if (this.stateNow !== 'open' || this.sendQueueBytes > this.limitsNow.maxSendBufferSize) return;
    this.link.probe();
  }

  /**
   * @internal The heartbeat found this connection silent: `idle` is emitted, and unless a listener
   * called `preventDefault()`, the connection is closed with reason `idle`.
   */
  [idle](silentFor: number, timeout: number): void {
    if (this.stateNow !== 'open') return;
    const event = new IdleEvent(this, silentFor, timeout);
    this.dispatch('idle', event);
    if (!event.defaultPrevented) this[closeGracefully]('idle');
  }

  /** @internal The link this connection is composed of (for the transport that made it). */
  get [linkOf](): Link {
    return this.link;
  }

  private noteUnsent(): void {
    const bytes = this.pendingBytes + this.link.writableLength;
    const ending = this.endingOf();
    if (bytes > ending.unsentBytes) {
      ending.unsentBytes = bytes;
      ending.unsentMessages = this.pendingMessages + (this.link.writableLength > 0 ? 1 : 0);
    }
  }

  private endingOf(): Ending {
    return (this.ending ??= { reason: undefined, error: undefined, timer: undefined, unsentBytes: 0, unsentMessages: 0 });
  }

  /** @internal The link is gone. */
  [linkClosed](): void {
    if (this.stateNow === 'closed') return;
    const wasConnecting = this.stateNow === 'connecting';
    this.stateNow = 'closed';
    this.noteUnsent();
    const ending = this.ending!;
    if (ending.timer) this.template.clock.clear(ending.timer);
    const lostBytes = ending.unsentBytes;
    const lostMessages = ending.unsentMessages;
    if (this.pending !== undefined) dropRun(this.pending);
    this.pending = undefined;
    this.pendingBytes = 0;
    this.pendingMessages = 0;
    this.framer = undefined;
    if (lostBytes > 0) {
      this.dispatch('sendFail', { connection: this, code: 'remoteClosed', lostMessages, lostBytes });
    }
    const reason = ending.reason ?? (wasConnecting ? 'error' : 'peer');
    const event: CloseEvent<this> = { connection: this, reason };
    if (ending.error) event.error = ending.error;
    const code = this.link.closeCode();
    if (code !== undefined) event.code = code;
    const text = this.link.closeText();
    if (text !== undefined) event.closeReason = text;
    this.dispatch('close', event);
    if (this.iterators) for (const iterator of this.iterators) iterator.end();
    this.owner?.[ownerClosed](this);
    this.owner = undefined;
    this.contextNow = undefined;
  }

  // ---- events ----------------------------------------------------------------------------

  /**
   * Emits on the connection and then on its owner with the same event object. A listener that
   * throws (or rejects: see the rejection hook) fails this connection only.
   */
  private dispatch<K extends keyof ConnectionEvents>(name: K, event: ConnectionEvents<In, Out, Context>[K]): void {
    try {
      // Most applications listen on the server, not on each connection: a connection that never
      // had a listener has no table (see the constructor), and EventEmitter's emit is skipped.
      if ((this as unknown as { _events: unknown })._events !== undefined) this.emit(name, event);
      this.owner?.[ownerRelay](name, event as ConnectionEvents[K]);
    } catch (error) {
      this[handlerFailed](error);
    }
  }

  /** @internal A user handler threw or rejected while handling this connection's event. */
  [handlerFailed](error: unknown): void {
    if (this.stateNow === 'closed') return;
    this.fail('error', new HandlerFailedError(`a handler failed on connection ${this.id}: ${asError(error).message}`, { cause: error }));
  }

  /** EventEmitter's captureRejections hook: an async listener rejected. */
  [Symbol.for('nodejs.rejection')](error: unknown): void {
    this[handlerFailed](error);
  }

  /**
   * Messages as an async iterator; it ends when the connection closes. Reading stops
   * (`pauseReceive`) while the consumer lags more than 1,024 messages behind.
   */
  [Symbol.asyncIterator](): AsyncIterator<In> {
    const iterator = new MessageIterator<In>(this, () => this.iterators?.delete(iterator));
    (this.iterators ??= new Set()).add(iterator);
    if (this.stateNow === 'closed') iterator.end();
    return iterator;
  }
}
