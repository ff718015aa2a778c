import type { IncomingHttpHeaders } from 'node:http';
import type { MessageCodec } from '../../codec/message-codec.js';
import { Connection, type ConnectionInit } from '../../connection/connection.js';
import type { CloseReason } from '../../connection/events.js';
import type { ConnectionLimits } from '../../connection/limits.js';
import { CHUNK_OVERHEAD_BYTES } from '../../connection/limits.js';
import { DecodeError, ErrorCode, InvalidOptionError, SwitchboardError, WebSocketProtocolError, asError } from '../../errors.js';
import { codecFor } from './codec-adapter.js';
import { CloseCode, Opcode } from './constants.js';
import { FrameReceiver, type FrameHandler, onClose, onFail, onMessage, onPing, onPong, onResume, receiving } from './frame-receiver.js';
import { SERVER_PING_FRAME, writeCloseFrame, writeFrame } from './frame-writer.js';
import { randomMask } from './mask.js';
import { serverEncoderFor, WebSocketEncoder } from './websocket-encoder.js';
import type { PerMessageDeflateInstance } from './ws-library.js';

/** What a server-side connection remembers of the request that opened it. */
export interface WebSocketRequestInfo {
  /** The request target as sent: path and query, e.g. `/chat?room=7`. */
  url: string;
  /** The path without the query. */
  path: string;
  /** The query, parsed on first use. */
  readonly query: URLSearchParams;
  headers: IncomingHttpHeaders;
  origin: string | undefined;
}

export interface WebSocketConnectionInit extends Omit<ConnectionInit, 'codec' | 'encoder' | 'transport'> {
  transport: 'ws' | 'wss';
  /** Servers read masked frames and write plain ones; clients the other way round. */
  role: 'server' | 'client';
  messageCodec: MessageCodec;
  /** Server side: the upgrade request. */
  request?: WebSocketRequestInfo;
  /** Client side: the subprotocol the server chose ('' for none). */
  protocol?: string;
  /** Bytes that arrived with the handshake, after its head. */
  head?: Buffer;
}

const REASON_CODES: Partial<Record<CloseReason, number>> = { stop: CloseCode.GoingAway, idle: CloseCode.Normal };
const REASON_TEXTS: Partial<Record<CloseReason, string>> = { stop: 'server stopping', idle: 'idle' };

/**
 * A WebSocket connection: the same Connection (events, limits, counters, heartbeat, send and
 * close) over RFC 6455 frames. Each whole WebSocket message goes through the message codec; by
 * default a text message is a string and a binary one a Buffer.
 *
 * Closing: `close(final?)` sends the final message and a close frame (1000), then waits for the
 * peer's close frame (bounded by the close timeout); a server stopping sends 1001; a peer breaking
 * the protocol gets 1002 (1007 for bad text, 1009 for too big) and the socket is ended at once.
 * The `close` event's `code` is the peer's close code (1005 for none), or the code this side
 * failed the connection with, or 1006 when the connection ended without a close frame.
 */
export class WebSocketConnection extends Connection implements FrameHandler {
  readonly role: 'server' | 'client';
  readonly messageCodec: MessageCodec;
  /** Server side: the upgrade request (URL, headers, origin). */
  readonly request: WebSocketRequestInfo | undefined;

  /** Made by the first bytes received: an idle connection holds no parser state. */
  private receiver: FrameReceiver | undefined;
  private subprotocol: string;
  private deflate: PerMessageDeflateInstance | undefined;
  /** The 101 response is written (server) or received (client): frames may flow. */
  private upgraded: boolean;
  /** Server side: an HTTP response (101 or a refusal) has been written. */
  private responded: boolean;
  private closeSent = false;
  private closeReceived = false;
  /** The connection is being failed (protocol error): the socket ends without waiting. */
  private failing = false;
  /** The peer ended its side of the socket. */
  private peerGone = false;
  private goodbyeCode: number | undefined;
  private goodbyeText: string | undefined;

  constructor(init: WebSocketConnectionInit) {
    const codec = codecFor(init.messageCodec);
    const encoder = init.role === 'server' ? serverEncoderFor(init.messageCodec) : new WebSocketEncoder(init.messageCodec, true);
    // Field by field, not `{ ...init, ... }`: a spread of a per-connection object cost ~3 KB of
    // short-lived property arrays and maps per accepted connection (garbage that idle servers
    // carry as RSS until a full GC).
    super({
      id: init.id,
      socket: init.socket,
      transport: init.transport,
      codec,
      encoder,
      limits: init.limits,
      clock: init.clock,
      owner: init.owner,
      state: init.state ?? 'connecting',
      closeTimeout: init.closeTimeout,
    });
    this.role = init.role;
    this.messageCodec = init.messageCodec;
    this.request = init.request;
    this.subprotocol = init.protocol ?? '';
    this.upgraded = this.responded = init.role === 'client';
    this.socket.setTimeout?.(0);
    if (init.head && init.head.length > 0) this.receive(init.head);
  }

  /** The subprotocol agreed in the handshake ('' for none). */
  get protocol(): string {
    return this.subprotocol;
  }

  /** Whether permessage-deflate was negotiated (incoming messages may be compressed). */
  get compressed(): boolean {
    return this.deflate !== undefined;
  }

  override get receiveBufferBytes(): number {
    const receiver = this.receiver;
    return receiver === undefined ? 0 : receiver.bufferedBytes + receiver.bufferedChunks * CHUNK_OVERHEAD_BYTES;
  }

  override setLimits(limits: ConnectionLimits): void {
    super.setLimits(limits);
    if (this.receiver) this.receiver.maxMessageBytes = this.limits.maxReceiveBufferSize;
  }

  /**
   * Closes with a close code and reason of the application's choosing: 1000, or 3000-4999
   * (registered and private codes). Otherwise as {@link close}.
   */
  closeWith(code: number, reason = ''): void {
    if (!(code === CloseCode.Normal || (code >= 3000 && code <= 4999))) {
      throw new InvalidOptionError('code', code, '1000 or a code from 3000 to 4999');
    }
    if (Buffer.byteLength(reason) > 123) throw new InvalidOptionError('reason', reason, 'at most 123 bytes of UTF-8');
    if (this.state === 'closing' || this.state === 'closed') return;
    this.goodbyeCode = code;
    this.goodbyeText = reason;
    this.closeGracefully('local');
  }

  // ---- handshake (called by the listener and the client transport) -------------------------

  /**
   * @internal Server side: writes the 101 response, switches to frames and emits `establish`.
   * False if the connection was closed meanwhile (timeout, server stop).
   */
  acceptHandshake(response: string, protocol: string, deflate: PerMessageDeflateInstance | undefined): boolean {
    if (this.state !== 'connecting' || this.responded) return false;
    this.responded = this.upgraded = true;
    this.subprotocol = protocol;
    if (deflate) {
      this.deflate = this.frames().deflate = deflate;
      // zlib streams hold native memory: release it with the socket.
      this.socket.once('close', () => {
        this.receiver?.stop();
        deflate.cleanup();
      });
    }
    this.socket.write(response);
    this.establish();
    return true;
  }

  /** @internal Server side: answers the upgrade request with an HTTP error and closes. */
  refuseHandshake(response: string, reason: CloseReason, error: SwitchboardError): void {
    if (this.state !== 'connecting' || this.responded) return;
    this.responded = true;
    this.socket.write(response);
    this.closeGracefully(reason, undefined, error);
  }

  override establish(): void {
    if (this.state !== 'connecting' || !this.upgraded) return;
    this.peerCloseCode = CloseCode.Abnormal;
    super.establish();
    this.flush();
    this.parse();
  }

  // ---- receiving -------------------------------------------------------------------------

  protected override receive(chunk: Buffer): void {
    this.readBytes += chunk.length;
    if (this.upgraded) {
      this.frames().input.push(chunk);
      if (this.state !== 'connecting') this.parse();
      return;
    }
    // Before the 101 a client has no business sending frames: hold a little (some clients
    // pipeline their first message), drop everything after a refusal, and never hold more
    // than the receive limit while a handshake hook runs.
    if (this.state !== 'connecting') return;
    const receiver = this.frames();
    receiver.input.push(chunk);
    const limit = this.limits.maxReceiveBufferSize;
    if (this.receiveBufferBytes > limit) {
      receiver.stop();
      this.destroyWith('limit', new SwitchboardError(ErrorCode.ReceiveBufferFull, `more than ${limit} bytes sent before the handshake completed`));
    }
  }

  override resumeReceive(): void {
    super.resumeReceive();
    if (!this.receivePaused) this.parse();
  }

  private parse(): void {
    if (this.state === 'connecting' || this.state === 'closed') return;
    const receiver = this.receiver;
    if (receiver === undefined) return;
    const frames = receiver.run();
    if (frames > 0) this.lastHeartbeat = this.clock.now();
    const buffered = this.receiveBufferBytes;
    const limit = this.limits.maxReceiveBufferSize;
    if (buffered > limit && this.state === 'open') {
      // Frame headers are checked against the limit before their payload is buffered; this
      // catches what that cannot see: a flood of tiny chunks, each costing more than its bytes.
      this.dispatch('receiveBufferFull', { connection: this, bufferedBytes: buffered, limit });
      receiver.stop();
      this.fail(
        'limit',
        CloseCode.MessageTooBig,
        new WebSocketProtocolError(ErrorCode.ReceiveBufferFull, CloseCode.MessageTooBig, `receive buffer passed ${limit} bytes`),
      );
    }
  }

  private frames(): FrameReceiver {
    return (this.receiver ??= new FrameReceiver(this, { role: this.role, maxMessageBytes: this.limits.maxReceiveBufferSize }));
  }

  // ---- FrameHandler: what the receiver hands up ------------------------------------------

  /** @internal */
  [onMessage](data: string | Buffer): void {
    if (this.state !== 'open') return;
    let message: unknown;
    try {
      message = this.messageCodec.decode(data);
    } catch (error) {
      const coded = error instanceof SwitchboardError ? error : new DecodeError(ErrorCode.CorruptFrame, `message codec ${this.messageCodec.name} failed: ${asError(error).message}`, { cause: error });
      this.dispatch('decodeFail', { connection: this, error: coded });
      this.fail('error', CloseCode.InvalidPayload, coded);
      return;
    }
    this.deliver(message);
  }

  /** @internal */
  [onPing](payload: Buffer): void {
    if (this.state !== 'open' || this.closeSent) return;
    // A pong that would push the send buffer over its limit is skipped, not reported: the peer
    // will see the connection as slow either way.
    if (this.sendQueueBytes > this.limits.maxSendBufferSize) return;
    this.sendFrame(writeFrame(Opcode.Pong, payload, this.role === 'client' ? randomMask() : undefined));
  }

  /** @internal */
  [onPong](): void {}

  /** @internal */
  [onClose](code: number | undefined, reason: string): void {
    this.closeReceived = true;
    this.peerCloseCode = code ?? CloseCode.NoStatus;
    this.peerCloseText = reason;
    if (this.closeSent || this.state === 'closing') {
      // Our close frame was answered: the server closes the TCP connection first (RFC 6455 §7.1.1).
      this.socket.end();
      return;
    }
    this.goodbyeCode = code ?? CloseCode.Normal;
    this.goodbyeText = '';
    this.closeGracefully('peer');
  }

  /** @internal */
  [onFail](error: WebSocketProtocolError): void {
    this.dispatch('decodeFail', { connection: this, error });
    this.fail('error', error.closeCode, error);
  }

  /** @internal */
  [onResume](): void {
    this.parse();
  }

  /** @internal */
  [receiving](): boolean {
    return !this.receivePaused && (this.state === 'open' || this.state === 'closing');
  }

  /** Fails the connection: a close frame with `closeCode`, then the socket ends at once. */
  private fail(reason: CloseReason, closeCode: number, error: SwitchboardError): void {
    this.failing = true;
    this.goodbyeCode = closeCode;
    this.goodbyeText = '';
    if (this.state === 'closing') {
      this.destroyWith(reason, error);
      return;
    }
    if (!this.closeReceived) this.peerCloseCode = closeCode;
    this.closeGracefully(reason, undefined, error);
  }

  /** A handler threw: the peer hears 1011 (internal error) instead of a bare reset. */
  override handlerFailed(error: unknown): void {
    if (this.state !== 'open' || !this.upgraded) {
      super.handlerFailed(error);
      return;
    }
    const coded = new SwitchboardError(ErrorCode.HandlerFailed, `a handler failed on connection ${this.id}: ${asError(error).message}`, { cause: error });
    this.fail('error', CloseCode.InternalError, coded);
  }

  // ---- sending and closing ---------------------------------------------------------------

  /** Output waits until the handshake response is out (frames must follow the 101). */
  override flush(): void {
    if (!this.upgraded) return;
    super.flush();
  }

  /** The heartbeat sweep's probe: a ping; the peer's pong (or any frame) counts as life. */
  override probe(): void {
    if (this.state !== 'open' || !this.upgraded || this.sendQueueBytes > this.limits.maxSendBufferSize) return;
    this.sendFrame(this.role === 'server' ? SERVER_PING_FRAME : writeFrame(Opcode.Ping, Buffer.alloc(0), randomMask()));
  }

  override closeGracefully(reason: CloseReason, finalMessage?: unknown, error?: SwitchboardError): void {
    if (this.state === 'closing' || this.state === 'closed') return;
    if (this.goodbyeCode === undefined) {
      this.goodbyeCode = REASON_CODES[reason] ?? CloseCode.Normal;
      this.goodbyeText = REASON_TEXTS[reason] ?? '';
    }
    super.closeGracefully(reason, finalMessage, error);
  }

  protected override writeGoodbye(): void {
    if (!this.upgraded) {
      // A handshake still pending (hook running) when the server stops or closes it.
      if (!this.responded && this.role === 'server') {
        this.responded = true;
        this.socket.write('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
      return;
    }
    if (this.closeSent || this.peerGone) return;
    this.closeSent = true;
    // Whatever was sent before close() goes out before the close frame.
    super.flush();
    const frame = writeCloseFrame(this.goodbyeCode, this.goodbyeText ?? '', this.role === 'client' ? randomMask() : undefined);
    this.socket.write(frame);
    this.writtenBytes += frame.length;
  }

  /**
   * After our close frame, wait for the peer's (the core's close timer bounds the wait); after
   * theirs, or when failing the connection, end the socket at once.
   */
  protected override endSocket(): void {
    if (!this.upgraded || this.closeReceived || this.failing || this.peerGone) this.socket.end();
  }

  protected override peerEnded(): void {
    this.peerGone = true;
    if (this.state === 'closing') {
      this.socket.end();
      return;
    }
    super.peerEnded();
  }

}
