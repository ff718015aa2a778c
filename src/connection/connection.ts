import type { Socket } from 'node:net';
import { ChunkList } from '../codec/chunk-list.js';
import type { Codec, Decoder } from '../codec/codec.js';
import { DecodeError, ErrorCode, InvalidMessageError, SwitchboardError, asError } from '../errors.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { TypedEmitter } from '../util/typed-emitter.js';
import type {
  CloseReason,
  ConnectionEvents,
  SendFailCode,
} from './events.js';
import { joinQueued, scheduleFlush, type Flushable } from './flush-scheduler.js';
import { CHUNK_OVERHEAD_BYTES, resolveLimits, type ConnectionLimits, type ResolvedLimits } from './limits.js';
import { MessageIterator } from './message-iterator.js';
import { streamEncoderFor, type WireEncoder } from './wire-encoder.js';

export const ConnectionState = {
  Connecting: 'connecting',
  Open: 'open',
  Closing: 'closing',
  Closed: 'closed',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

export type TransportName = 'tcp' | 'tls' | 'unix' | 'ws' | 'wss';

/** Who owns a connection (a server or a client): it hears every event and the final close. */
export interface ConnectionOwner {
  relay<K extends keyof ConnectionEvents>(name: K, event: ConnectionEvents[K]): void;
  connectionClosed(connection: Connection): void;
}

export interface ConnectionInit {
  id: string;
  socket: Socket;
  transport: TransportName;
  codec: Codec;
  /** Defaults to the codec's own frames (byte-stream transports). */
  encoder?: WireEncoder;
  limits?: ConnectionLimits;
  clock: Clock;
  owner?: ConnectionOwner;
  /** `connecting` until a handshake completes (TLS, WebSocket); `establish()` opens it. */
  state?: 'connecting' | 'open';
  /** How long a graceful `close()` may wait for queued bytes before the socket is destroyed. */
  closeTimeout?: number;
}

/** @see ConnectionInit.closeTimeout @default 10 s */
export const DEFAULT_CLOSE_TIMEOUT = 10_000;

const PEER_GONE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/**
 * The connection a socket belongs to. Socket listeners are shared functions that find their
 * connection here (`this` is the socket), not five closures per connection: idle connections are
 * what a long-connection server holds most of, and each closure (with its context) is heap.
 */
const owningConnection = Symbol('switchboard.connection');
/** The protected socket-facing side of a Connection, as its shared listeners call it. */
interface SocketSide {
  receive(chunk: Buffer): void;
  peerEnded(): void;
  drained(): void;
  socketError(error: NodeJS.ErrnoException): void;
  finalize(): void;
}
type OwnedSocket = Socket & { [owningConnection]: SocketSide };

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[owningConnection].receive(chunk);
}
function onSocketEnd(this: OwnedSocket): void {
  this[owningConnection].peerEnded();
}
function onSocketDrain(this: OwnedSocket): void {
  this[owningConnection].drained();
}
function onSocketError(this: OwnedSocket, error: NodeJS.ErrnoException): void {
  this[owningConnection].socketError(error);
}
function onSocketClose(this: OwnedSocket): void {
  this[owningConnection].finalize();
}

/**
 * One live peer over any transport: receive buffer and decoder, send queue with limits, counters,
 * state and events. `send()` never throws; it answers `true` (accepted, nothing waiting ahead of
 * it on the peer), `null` (accepted, queued behind output the peer has not taken yet) or `false`
 * (refused: a `sendFail` event says why).
 */
export class Connection extends TypedEmitter<ConnectionEvents> implements Flushable, AsyncIterable<unknown> {
  readonly id: string;
  readonly transport: TransportName;
  readonly codec: Codec;
  /** The encoder that frames this connection's output; connections sharing it share broadcasts. */
  readonly encoder: WireEncoder;
  /** User data: whatever the application wants to keep with this connection. Cleared on close. */
  get context(): Record<string, unknown> {
    // Made on first use: most connections of a large server never carry any.
    return (this.contextNow ??= {});
  }
  set context(value: Record<string, unknown>) {
    this.contextNow = value;
  }
  /** Messages decoded from the peer. */
  requests = 0;
  /** Bytes received from the socket. */
  readBytes = 0;
  /** Bytes handed to the socket for writing. */
  writtenBytes = 0;
  /** When a message was last received (clock ms); the heartbeat sweep reads it. */
  lastHeartbeat: number;
  /** When the connection was accepted or dialled (clock ms). */
  readonly createdAt: number;

  protected readonly socket: Socket;
  protected readonly clock: Clock;
  protected limitsNow: ResolvedLimits;
  private owner: ConnectionOwner | undefined;
  private stateNow: ConnectionState;
  private contextNow: Record<string, unknown> | undefined;
  /** Received bytes not yet decoded; made on the first read (WebSocket frames never use it). */
  private input: ChunkList | undefined;
  private readonly decoder: Decoder;
  private receivePausedNow = false;
  /** Frames queued this turn; made by the first send after each flush. */
  private pending: Buffer[] | undefined;
  private pendingBytes = 0;
  private flushQueued = false;
  private overSendLimit = false;
  private closeReason: CloseReason | undefined;
  private closeError: SwitchboardError | undefined;
  private closeTimer: TimerHandle | undefined;
  /** Unsent bytes (and messages) seen just before the socket was torn down (Node empties its buffer on destroy). */
  private unsentBytes = 0;
  private unsentMessages = 0;
  private readonly closeTimeout: number;
  private iterators: Set<MessageIterator> | undefined;
  /** Set by transports with close codes (WebSocket). */
  protected peerCloseCode: number | undefined;
  protected peerCloseText: string | undefined;

  constructor(init: ConnectionInit) {
    super({ captureRejections: true });
    // EventEmitter's constructor gives every instance a null-prototype listener table, which V8
    // keeps in dictionary mode (~180 bytes). Most connections never get a listener of their own
    // (servers listen on the server), and Node's EventEmitter makes the table on the first `on()`
    // when `_events` is undefined, so it is left to that.
    (this as unknown as { _events: unknown })._events = undefined;
    this.id = init.id;
    this.socket = init.socket;
    this.transport = init.transport;
    this.codec = init.codec;
    this.encoder = init.encoder ?? streamEncoderFor(init.codec);
    this.clock = init.clock;
    this.owner = init.owner;
    this.limitsNow = resolveLimits(init.limits);
    this.stateNow = init.state ?? 'open';
    this.closeTimeout = init.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.decoder = init.codec.createDecoder();
    this.createdAt = this.lastHeartbeat = init.clock.now();
    this.attachSocket();
  }

  // ---- identity and state ----------------------------------------------------------------

  get state(): ConnectionState {
    return this.stateNow;
  }
  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.socket.localPort;
  }
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  /** Bytes queued and not yet taken by the kernel. */
  get sendQueueBytes(): number {
    return this.pendingBytes + this.socket.writableLength;
  }
  /** Bytes of incomplete messages held, plus the per-chunk overhead. */
  get receiveBufferBytes(): number {
    const input = this.input;
    return input === undefined ? 0 : input.length + input.chunkCount * CHUNK_OVERHEAD_BYTES;
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
  }

  // ---- sending ---------------------------------------------------------------------------

  /** Encodes and queues a message; written with everything else queued this turn. */
  send(message: unknown): boolean | null {
    const refusal = this.refusal();
    if (refusal !== undefined) return this.refuse(refusal, 0);
    let frame: Buffer;
    try {
      frame = this.encoder.encode(message);
    } catch (error) {
      const coded =
        error instanceof SwitchboardError
          ? error
          : new InvalidMessageError(`the codec could not encode the message: ${asError(error).message}`, { cause: error });
      return this.refuse('encodeFailed', 0, coded);
    }
    return this.queue(frame);
  }

  /** Queues bytes that bypass the codec (still framed by the transport where it must be). */
  sendRaw(data: Buffer | Uint8Array | string): boolean | null {
    const refusal = this.refusal();
    if (refusal !== undefined) return this.refuse(refusal, 0);
    return this.queue(this.encoder.encodeRaw(data));
  }

  /**
   * Queues bytes already framed by this connection's {@link encoder}: how a broadcast writes one
   * Buffer to many connections. The caller vouches that `frame` came from `this.encoder`.
   */
  sendFrame(frame: Buffer): boolean | null {
    const refusal = this.refusal();
    if (refusal !== undefined) return this.refuse(refusal, frame.length);
    return this.queue(frame);
  }

  private refusal(): SendFailCode | undefined {
    if (this.stateNow === 'closing' || this.stateNow === 'closed') return 'remoteClosed';
    if (this.pendingBytes + this.socket.writableLength > this.limitsNow.maxSendBufferSize) {
      return 'bufferFull';
    }
    return undefined;
  }

  private refuse(code: SendFailCode, bytes: number, error?: SwitchboardError): false {
    const event = { connection: this, code, lostMessages: 1, lostBytes: bytes, ...(error ? { error } : {}) };
    this.dispatch('sendFail', event);
    if (code === 'bufferFull' && this.limitsNow.sendBufferFullPolicy === 'close') {
      this.destroyWith('limit', new SwitchboardError(ErrorCode.SendBufferFull, 'send buffer over its limit'));
    }
    return false;
  }

  private queue(frame: Buffer): boolean | null {
    const behind = this.socket.writableLength > 0;
    (this.pending ??= []).push(frame);
    this.pendingBytes += frame.length;
    if (!this.flushQueued) {
      this.flushQueued = true;
      scheduleFlush(this);
    }
    const queued = this.pendingBytes + this.socket.writableLength;
    if (!this.overSendLimit && queued > this.limitsNow.maxSendBufferSize) {
      this.overSendLimit = true;
      this.dispatch('sendBufferFull', { connection: this, queuedBytes: queued, limit: this.limitsNow.maxSendBufferSize });
    }
    return behind ? null : true;
  }

  /** Writes everything queued in one go. Called by the flush scheduler once per turn. */
  flush(): void {
    this.flushQueued = false;
    const pending = this.pending;
    if (pending === undefined || this.socket.destroyed) return;
    const count = pending.length;
    const bytes = this.pendingBytes;
    if (count === 1) {
      this.socket.write(pending[0]!);
    } else if (bytes <= 65536) {
      // Small messages: one copy into one buffer beats writev's per-chunk bookkeeping.
      this.socket.write(joinQueued(pending, bytes));
    } else {
      this.socket.cork();
      for (let i = 0; i < count; i++) this.socket.write(pending[i]!);
      this.socket.uncork();
    }
    this.writtenBytes += bytes;
    this.pending = undefined;
    this.pendingBytes = 0;
    if (this.overSendLimit && this.socket.writableLength === 0) this.drained();
  }

  private drained(): void {
    if (!this.overSendLimit || this.pendingBytes > 0) return;
    this.overSendLimit = false;
    this.dispatch('sendBufferDrain', { connection: this });
  }

  // ---- receiving -------------------------------------------------------------------------

  /** Stops reading from the socket; messages already decoded wait too. */
  pauseReceive(): void {
    if (this.receivePausedNow) return;
    this.receivePausedNow = true;
    this.socket.pause();
  }

  resumeReceive(): void {
    if (!this.receivePausedNow) return;
    this.receivePausedNow = false;
    if (this.stateNow === 'closed') return;
    this.socket.resume();
    this.decodeAvailable();
  }

  /** Feeds received bytes through the decoder (byte-stream transports). */
  protected receive(chunk: Buffer): void {
    this.readBytes += chunk.length;
    const step = this.limitsNow.readBufferSize;
    const input = (this.input ??= new ChunkList());
    if (chunk.length <= step) {
      input.push(chunk);
    } else {
      for (let at = 0; at < chunk.length; at += step) input.push(chunk.subarray(at, at + step));
    }
    this.decodeAvailable();
  }

  private decodeAvailable(): void {
    const input = this.input;
    if (input === undefined) return;
    let decoded = 0;
    while (!this.receivePausedNow && this.stateNow === 'open') {
      let message: unknown;
      try {
        message = this.decoder.decode(input);
      } catch (error) {
        this.failDecode(error);
        return;
      }
      if (message === undefined) break;
      decoded++;
      this.deliver(message);
    }
    if (decoded > 0) this.lastHeartbeat = this.clock.now();
    const buffered = this.receiveBufferBytes;
    if (buffered > this.limitsNow.maxReceiveBufferSize && this.stateNow === 'open') {
      this.dispatch('receiveBufferFull', { connection: this, bufferedBytes: buffered, limit: this.limitsNow.maxReceiveBufferSize });
      input.clear();
      this.destroyWith('limit', new SwitchboardError(ErrorCode.ReceiveBufferFull, `receive buffer passed ${this.limitsNow.maxReceiveBufferSize} bytes`));
    }
  }

  /** Hands one decoded message to the listeners. Message-based transports call it directly. */
  protected deliver(message: unknown): void {
    this.requests++;
    this.dispatch('message', { connection: this, message });
  }

  private failDecode(error: unknown): void {
    const coded =
      error instanceof SwitchboardError
        ? error
        : new DecodeError(ErrorCode.CorruptFrame, 'decoder threw', { cause: error });
    this.input?.clear();
    this.dispatch('decodeFail', { connection: this, error: coded });
    this.destroyWith('error', coded);
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /** Marks the connection open (after a handshake) and emits `establish`. */
  establish(): void {
    if (this.stateNow !== 'connecting') return;
    this.stateNow = 'open';
    this.lastHeartbeat = this.clock.now();
    this.dispatch('establish', { connection: this });
    if (this.input !== undefined && this.input.length > 0) this.decodeAvailable();
  }

  /**
   * Closes gracefully: the final message (if any) and everything queued are written first, then
   * the connection ends. If the peer does not take the bytes within the close timeout, the socket
   * is destroyed and `sendFail` reports what was lost.
   */
  close(finalMessage?: unknown): void {
    this.closeGracefully('local', finalMessage);
  }

  /** Closes at once, dropping whatever is queued (reported through `sendFail`). */
  destroy(error?: SwitchboardError): void {
    this.destroyWith(error ? 'error' : 'local', error);
  }

  /**
   * For servers and heartbeats: a graceful close with a given reason (and the error behind it,
   * for transports that say goodbye even on errors: WebSocket's close frame with 1002, 1009, ...).
   */
  closeGracefully(reason: CloseReason, finalMessage?: unknown, error?: SwitchboardError): void {
    if (this.stateNow === 'closing' || this.stateNow === 'closed') return;
    if (finalMessage !== undefined) this.send(finalMessage);
    this.closeReason ??= reason;
    if (error && !this.closeError) this.closeError = error;
    this.stateNow = 'closing';
    this.writeGoodbye(finalMessage);
    this.flush();
    this.endSocket();
    this.closeTimer = this.clock.setTimeout(() => {
      this.closeTimer = undefined;
      if (this.stateNow !== 'closed') {
        this.noteUnsent();
        this.socket.destroy();
      }
    }, this.closeTimeout);
    this.closeTimer.unref?.();
  }

  /** The heartbeat sweep calls this on a quiet connection; WebSocket sends a ping. */
  probe(): void {}

  /** Transports with a close handshake write it here (WebSocket's close frame). */
  protected writeGoodbye(_finalMessage: unknown): void {}

  /** Half-closes the socket once queued bytes are out; WebSocket overrides it. */
  protected endSocket(): void {
    this.socket.end();
  }

  /** Closes at once with a reason: for limits, errors, idleness. */
  destroyWith(reason: CloseReason, error?: SwitchboardError): void {
    if (this.stateNow === 'closed') return;
    this.closeReason ??= reason;
    if (error && !this.closeError) this.closeError = error;
    this.stateNow = 'closing';
    this.noteUnsent();
    this.socket.destroy();
  }

  private noteUnsent(): void {
    const bytes = this.pendingBytes + this.socket.writableLength;
    if (bytes > this.unsentBytes) {
      this.unsentBytes = bytes;
      this.unsentMessages = (this.pending?.length ?? 0) + (this.socket.writableLength > 0 ? 1 : 0);
    }
  }

  private attachSocket(): void {
    const socket = this.socket as OwnedSocket;
    socket.setNoDelay?.(true);
    socket[owningConnection] = this as unknown as SocketSide;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('drain', onSocketDrain);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  /** The peer will send no more: deliver a last frame made of leftovers, then close our side. */
  protected peerEnded(): void {
    const input = this.input;
    if (this.stateNow === 'open' && this.decoder.decodeEnd && input !== undefined && input.length > 0) {
      try {
        const last = this.decoder.decodeEnd(input);
        if (last !== undefined) this.deliver(last);
      } catch (error) {
        this.failDecode(error);
        return;
      }
    }
    this.closeGracefully('peer');
  }

  protected socketError(error: NodeJS.ErrnoException): void {
    this.noteUnsent();
    const peerGone = error.code !== undefined && PEER_GONE_CODES.has(error.code);
    this.closeReason ??= peerGone ? 'peer' : 'error';
    this.closeError ??= new SwitchboardError(
      error.code?.startsWith('ERR_SSL') || error.code === 'ECONNRESET' && this.stateNow === 'connecting' && this.transport === 'tls'
        ? ErrorCode.TlsHandshake
        : ErrorCode.ConnectionError,
      `${this.transport} connection ${this.id}: ${error.message}`,
      { cause: error },
    );
  }

  private finalize(): void {
    if (this.stateNow === 'closed') return;
    const wasConnecting = this.stateNow === 'connecting';
    this.stateNow = 'closed';
    if (this.closeTimer) this.clock.clear(this.closeTimer);
    this.noteUnsent();
    const lostBytes = this.unsentBytes;
    const lostMessages = this.unsentMessages;
    this.pending = undefined;
    this.pendingBytes = 0;
    this.input = undefined;
    if (lostBytes > 0) {
      this.dispatch('sendFail', { connection: this, code: 'remoteClosed', lostMessages, lostBytes });
    }
    const reason = this.closeReason ?? (wasConnecting ? 'error' : 'peer');
    const event = {
      connection: this,
      reason,
      ...(this.closeError ? { error: this.closeError } : {}),
      ...(this.peerCloseCode !== undefined ? { code: this.peerCloseCode } : {}),
      ...(this.peerCloseText !== undefined ? { closeReason: this.peerCloseText } : {}),
    };
    this.dispatch('close', event);
    if (this.iterators) for (const iterator of this.iterators) iterator.end();
    this.owner?.connectionClosed(this);
    this.owner = undefined;
    this.contextNow = undefined;
  }

  // ---- events ----------------------------------------------------------------------------

  /**
   * Emits on the connection and then on its owner with the same event object. A listener that
   * throws (or rejects: see the rejection hook) fails this connection only.
   */
  protected dispatch<K extends keyof ConnectionEvents>(name: K, event: ConnectionEvents[K]): void {
    try {
      this.emit(name, event);
      this.owner?.relay(name, event);
    } catch (error) {
      this.handlerFailed(error);
    }
  }

  /** A user handler threw or rejected while handling this connection's event. */
  handlerFailed(error: unknown): void {
    const coded = new SwitchboardError(ErrorCode.HandlerFailed, `a handler failed on connection ${this.id}: ${asError(error).message}`, { cause: error });
    this.destroyWith('error', coded);
  }

  /** EventEmitter's captureRejections hook: an async listener rejected. */
  [Symbol.for('nodejs.rejection')](error: unknown): void {
    this.handlerFailed(error);
  }

  /**
   * Messages as an async iterator; it ends when the connection closes. Reading stops
   * (`pauseReceive`) while the consumer lags more than 1,024 messages behind.
   */
  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    const iterator = new MessageIterator(this, () => this.iterators?.delete(iterator));
    (this.iterators ??= new Set()).add(iterator);
    if (this.stateNow === 'closed') iterator.end();
    return iterator;
  }
}
