import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { deliverMessage, framingFailed, mayDeliver, resumeFraming, type FramerSink, type InboundFramer } from '../../codec/inbound-framer.js';
import type { MessageCodec } from '../../codec/message-codec.js';
import {
  ConnectionFailedError,
  DecodeError,
  ErrorCode,
  InvalidOptionError,
  SwitchboardError,
  WebSocketProtocolError,
  asError,
} from '../../errors.js';
import { linkAbort, linkClose, linkClosed, linkData, linkDrain, linkEnd, linkError, linkCanQueue, linkReady, linkSend, type Link, type LinkCloseReason, type LinkSink } from '../link.js';
import { attachSocket, pauseReading, resumeReading, writeFrames, type SocketHandler } from '../socket-events.js';
import type { Framing } from '../framing.js';
import { joinQueued } from '../write-batch.js';
import { CloseCode, Opcode } from './constants.js';
import { FrameReceiver, type FrameHandler, onClose, onFail, onMessage, onPing, onPong, onResume, receiving } from './frame-receiver.js';
import { SERVER_PING_FRAME, writeCloseFrame, writeFrame } from './frame-writer.js';
import { randomMask } from './mask.js';
import { serverEncoderFor, WebSocketEncoder } from './websocket-encoder.js';
import type { PerMessageDeflateInstance } from './ws-library.js';
import { SocketLinkBase } from '../socket-link-base.js';
import { RequestInfo } from './handshake.js';

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

/** What a WebSocket connection has beyond every connection's vocabulary: `connection.websocket`. */
export interface WebSocketInfo {
  /** Servers read masked frames and write plain ones; clients the other way round. */
  readonly role: 'server' | 'client';
  /**
   * Server side: the upgrade request (URL, headers, origin). Its headers leave out the
   * handshake's own (Upgrade, Connection, Sec-WebSocket-Key, -Version and -Extensions).
   */
  readonly request: WebSocketRequestInfo | undefined;
  /** The subprotocol agreed in the handshake ('' for none). */
  readonly protocol: string;
  /** Whether permessage-deflate was negotiated (incoming messages may be compressed). */
  readonly compressed: boolean;
  /**
   * Closes with a close code and reason of the application's choosing: 1000, or 3000-4999
   * (registered and private codes); otherwise as `connection.close()`.
   */
  close(code: number, reason?: string): void;
}

const REASON_CODES: Partial<Record<LinkCloseReason, number>> = { stop: CloseCode.GoingAway, restart: CloseCode.ServiceRestart, idle: CloseCode.Normal };
const REASON_TEXTS: Partial<Record<LinkCloseReason, string>> = { stop: 'server stopping', restart: 'server restarting', idle: 'idle' };
const EMPTY = Buffer.alloc(0);

/** A closing connection's close codes and texts: the one it sends, and the peer's. */
interface Closing {
  goodbyeCode: number | undefined;
  goodbyeText: string | undefined;
  peerCode: number | undefined;
  peerText: string | undefined;
}

// The bits of WebSocketLink.flags.
const SECURE = 1;
const CLIENT = 1 << 1;
const UPGRADED = 1 << 2;
const RESPONDED = 1 << 3;
const PAUSED = 1 << 4;
const ENDING = 1 << 5;
const CLOSE_SENT = 1 << 6;
const CLOSE_RECEIVED = 1 << 7;
const FAILING = 1 << 8;
const PEER_GONE = 1 << 9;

/** The close code that tells the peer why this side failed the connection. */
function failureCode(error: SwitchboardError): number {
  if (error instanceof WebSocketProtocolError) return error.closeCode;
  switch (error.code) {
    case ErrorCode.HandlerFailed:
      return CloseCode.InternalError;
    case ErrorCode.ReceiveBufferFull:
    case ErrorCode.FrameTooLarge:
      return CloseCode.MessageTooBig;
  }
  // The message codec refused a message's content.
  return error instanceof DecodeError ? CloseCode.InvalidPayload : CloseCode.InternalError;
}

/**
 * A WebSocket link (RFC 6455) over a socket: the upgrade's answer (server side), data frames for
 * the connection's messages, control frames (ping, pong), and the close handshake. It is its own
 * inbound framer: frames are parsed by a {@link FrameReceiver} and each whole message goes
 * through the message codec; control frames interleave with data frames, so the two cannot be
 * parted without one calling back into the other.
 *
 * Closing: a local close sends a close frame (1000, 1001 when the server stops, 1012 when it stops to restart) and waits for the
 * peer's (bounded by the connection's close timeout); a failure sends its code (1002 protocol,
 * 1007 bad payload, 1009 too big, 1011 handler failed) and ends at once. The close event's code
 * is the peer's close code (1005 for none), or the code this side failed with, or 1006 when the
 * connection ended without a close frame.
 */
export class WebSocketLink extends SocketLinkBase implements Link, SocketHandler, FrameHandler, InboundFramer, WebSocketInfo {
  /** The request as kept (handshake.ts, keptRequest), then what it was read as. */
  private requestNow: string | WebSocketRequestInfo | undefined;
  private sink: (LinkSink & FramerSink) | undefined;
  /** Made with the connection's framer (by its first bytes): an idle connection holds no parser state. */
  private receiver: FrameReceiver | undefined;
  private subprotocol: string;
  private deflate: PerMessageDeflateInstance | undefined;
  /** The booleans below, and the role and transport, as bits of one field: idle connections are what a server holds most of. */
  private flags = 0;
  /** The close codes and texts, both ways: made when a close starts (an open connection holds none). */
  private closing: Closing | undefined;
  /** Bytes that came with the handshake, after its head: received once attached. */
  private head: Buffer | undefined;

  constructor(
    socket: Socket,
    transport: 'ws' | 'wss',
    role: 'server' | 'client',
    private readonly messageCodec: MessageCodec,
    options: { request?: string; protocol?: string; head?: Buffer } = {},
  ) {
    super(socket);
    this.requestNow = options.request;
    if (options.head !== undefined && options.head.length > 0) this.head = options.head;
    this.subprotocol = options.protocol ?? '';
    if (transport === 'wss') this.flags |= SECURE;
    if (role === 'client') this.flags |= CLIENT | UPGRADED | RESPONDED;
  }

  get request(): WebSocketRequestInfo | undefined {
    const now = this.requestNow;
    if (typeof now !== 'string') return now;
    return (this.requestNow = new RequestInfo(now));
  }

  get transport(): 'ws' | 'wss' {
    return this.has(SECURE) ? 'wss' : 'ws';
  }
  /** Servers read masked frames and write plain ones; clients the other way round. */
  get role(): 'server' | 'client' {
    return this.has(CLIENT) ? 'client' : 'server';
  }
  get saysGoodbye(): boolean {
    return true;
  }
  get recoversFromDecodeFail(): boolean {
    return false;
  }

  private has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }
  private set(flag: number, on: boolean): void {
    this.flags = on ? this.flags | flag : this.flags & ~flag;
  }
  /** The 101 response is written (server) or received (client): frames may flow. */
  private get upgraded(): boolean {
    return this.has(UPGRADED);
  }
  /** Server side: an HTTP response (101 or a refusal) has been written. */
  private get responded(): boolean {
    return this.has(RESPONDED);
  }
  private get paused(): boolean {
    return this.has(PAUSED);
  }
  /** `end()` was called: the connection is closing. */
  private get ending(): boolean {
    return this.has(ENDING);
  }
  private get closeSent(): boolean {
    return this.has(CLOSE_SENT);
  }
  private get closeReceived(): boolean {
    return this.has(CLOSE_RECEIVED);
  }
  /** The connection is being failed: the socket ends without waiting for the peer's close frame. */
  private get failing(): boolean {
    return this.has(FAILING);
  }
  /** The peer ended its side of the socket. */
  private get peerGone(): boolean {
    return this.has(PEER_GONE);
  }

  // ---- Link --------------------------------------------------------------------------------

  attach(sink: LinkSink): void {
    this.sink = sink as LinkSink & FramerSink;
    this.socket.setNoDelay?.(true);
    // node:http gave the socket its server's timeout; the handshake and heartbeat bound it now.
    this.socket.setTimeout?.(0);
    attachSocket(this.socket, this);
    const head = this.head;
    if (head !== undefined) {
      this.head = undefined;
      this.socketData(head);
    }
  }

  writev(frames: readonly Buffer[], bytes: number): boolean {
    // Frames must follow the 101 response. (The flag read directly: this runs per connection per turn.)
    if ((this.flags & UPGRADED) === 0) return false;
    writeFrames(this.socket, frames, bytes, joinQueued);
    return true;
  }

  pause(): void {
    this.set(PAUSED, true);
    pauseReading(this.socket);
  }

  resume(): void {
    this.set(PAUSED, false);
    resumeReading(this.socket);
  }

  end(reason: LinkCloseReason, error?: SwitchboardError): number {
    if (this.ending) return 0;
    this.set(ENDING, true);
    const closing = this.closingState();
    if (closing.goodbyeCode === undefined) {
      closing.goodbyeCode = error !== undefined ? failureCode(error) : (REASON_CODES[reason] ?? CloseCode.Normal);
      closing.goodbyeText = error !== undefined ? '' : (REASON_TEXTS[reason] ?? '');
    }
    if (error !== undefined) {
      this.set(FAILING, true);
      if (!this.closeReceived && this.upgraded) closing.peerCode = closing.goodbyeCode;
    }
    const written = this.writeGoodbye();
    // After our close frame, wait for the peer's (the connection's close timer bounds the wait);
    // after theirs, or when failing, end the socket at once.
    if (!this.upgraded || this.closeReceived || this.failing || this.peerGone) this.socket.end();
    return written;
  }

  private writeGoodbye(): number {
    if (!this.upgraded) {
      // A handshake still pending (hook running) when the server stops or closes it.
      if (!this.responded && this.role === 'server') {
        this.set(RESPONDED, true);
        this.socket.write('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
      return 0;
    }
    if (this.closeSent || this.peerGone) return 0;
    this.set(CLOSE_SENT, true);
    const closing = this.closingState();
    const frame = writeCloseFrame(closing.goodbyeCode, closing.goodbyeText ?? '', this.role === 'client' ? randomMask() : undefined);
    this.socket.write(frame);
    return frame.length;
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The heartbeat's probe: a ping; the peer's pong (or any frame) counts as life. */
  probe(): void {
    if (!this.upgraded || this.ending) return;
    this.sink![linkSend](this.role === 'server' ? SERVER_PING_FRAME : writeFrame(Opcode.Ping, EMPTY, randomMask()));
  }

  /** The peer's close code; 1006 (abnormal) once upgraded until a close frame says otherwise. */
  closeCode(): number | undefined {
    return this.closing?.peerCode ?? (this.upgraded ? CloseCode.Abnormal : undefined);
  }

  closeText(): string | undefined {
    return this.closing?.peerText;
  }

  private closingState(): Closing {
    return (this.closing ??= { goodbyeCode: undefined, goodbyeText: undefined, peerCode: undefined, peerText: undefined });
  }

  // ---- WebSocketInfo -------------------------------------------------------------------------

  get protocol(): string {
    return this.subprotocol;
  }

  get compressed(): boolean {
    return this.deflate !== undefined;
  }

  close(code: number, reason = ''): void {
    if (!(code === CloseCode.Normal || (code >= 3000 && code <= 4999))) {
      throw new InvalidOptionError('code', code, '1000 or a code from 3000 to 4999');
    }
    if (Buffer.byteLength(reason) > 123) throw new InvalidOptionError('reason', reason, 'at most 123 bytes of UTF-8');
    if (this.ending) return;
    const closing = this.closingState();
    closing.goodbyeCode = code;
    closing.goodbyeText = reason;
    this.sink![linkClose]('local');
  }

  // ---- handshake (server side: called by the listener) -------------------------------------

  /** Writes the 101 response and switches to frames; the connection is then established. */
  acceptHandshake(response: string, protocol: string, deflate: PerMessageDeflateInstance | undefined): boolean {
    if (this.responded || this.ending || this.socket.destroyed) return false;
    this.set(RESPONDED | UPGRADED, true);
    this.subprotocol = protocol;
    if (deflate) {
      this.deflate = deflate;
      if (this.receiver) this.receiver.deflate = deflate;
    }
    this.socket.write(response);
    this.sink![linkReady]();
    return true;
  }

  /** Answers the upgrade request with an HTTP error; the connection closes. */
  refuseHandshake(response: string, reason: LinkCloseReason, error: SwitchboardError): void {
    if (this.responded || this.ending) return;
    this.set(RESPONDED, true);
    this.socket.write(response);
    this.sink![linkClose](reason, error);
  }

  /** The handshake did not finish in time. */
  fail(error: SwitchboardError): void {
    this.sink![linkAbort]('error', error);
  }

  // ---- InboundFramer -----------------------------------------------------------------------

  get bufferedBytes(): number {
    return this.receiver?.bufferedBytes ?? 0;
  }

  get bufferedChunks(): number {
    return this.receiver?.bufferedChunks ?? 0;
  }

  /** Makes this link the connection's framer (its frame receiver), bounded by the connection's receive limit. */
  framing(maxMessageBytes: number): this {
    if (this.receiver === undefined) {
      this.receiver = new FrameReceiver(this, { role: this.role, maxMessageBytes });
      this.receiver.deflate = this.deflate;
    }
    return this;
  }

  push(chunk: Buffer): void {
    // After a refused handshake nothing the peer sends matters.
    if (this.responded && !this.upgraded) return;
    this.frames().input.push(chunk);
  }

  run(): number {
    // Before the 101 a client has no business sending frames: they wait (some clients pipeline
    // their first message) within the receive limit, which the connection checks.
    if (!this.upgraded || this.paused || this.receiver === undefined) return 0;
    return this.receiver.run();
  }

  finish(): void {
    // A message cut off by the end of the stream is not a message.
  }

  clear(): void {
    this.receiver?.stop();
  }

  setMaxMessageBytes(bytes: number): void {
    if (this.receiver) this.receiver.maxMessageBytes = bytes;
  }

  private frames(): FrameReceiver {
    // Made by framing(), which the connection calls before it pushes the first bytes.
    return this.receiver!;
  }

  // ---- FrameHandler: what the receiver hands up --------------------------------------------

  /** @internal */
  [onMessage](data: string | Buffer): void {
    const sink = this.sink!;
    if (!sink[mayDeliver]()) return;
    let message: unknown;
    try {
      message = this.messageCodec.decode(data);
    } catch (error) {
      sink[framingFailed](
        error instanceof SwitchboardError ? error : new DecodeError(ErrorCode.CorruptFrame, `message codec ${this.messageCodec.name} failed: ${asError(error).message}`, { cause: error }),
      );
      return;
    }
    sink[deliverMessage](message);
  }

  /** @internal */
  [onPing](payload: Buffer): void {
    if (!this.upgraded || this.ending || this.closeSent) return;
    // A pong that would push the send buffer over its limit is skipped, not reported: the peer
    // will see the connection as slow either way.
    if (!this.sink![linkCanQueue]()) return;
    this.sink![linkSend](writeFrame(Opcode.Pong, payload, this.role === 'client' ? randomMask() : undefined));
  }

  /** @internal */
  [onPong](): void {}

  /** @internal */
  [onClose](code: number | undefined, reason: string): void {
    this.set(CLOSE_RECEIVED, true);
    const closing = this.closingState();
    closing.peerCode = code ?? CloseCode.NoStatus;
    closing.peerText = reason;
    if (this.closeSent || this.ending) {
      // Our close frame was answered: the server closes the TCP connection first (RFC 6455 §7.1.1).
      this.socket.end();
      return;
    }
    closing.goodbyeCode = code ?? CloseCode.Normal;
    closing.goodbyeText = '';
    this.sink![linkClose]('peer');
  }

  /** @internal */
  [onFail](error: WebSocketProtocolError): void {
    this.sink![framingFailed](error);
  }

  /** @internal */
  [onResume](): void {
    this.sink![resumeFraming]();
  }

  /** @internal */
  [receiving](): boolean {
    return !this.paused && !this.socket.destroyed;
  }

  // ---- SocketHandler -----------------------------------------------------------------------

  socketData(chunk: Buffer): void {
    this.sink![linkData](chunk);
  }

  socketEnd(): void {
    this.set(PEER_GONE, true);
    if (this.ending) {
      this.socket.end();
      return;
    }
    this.sink![linkEnd]();
  }

  socketDrain(): void {
    this.sink![linkDrain]();
  }

  socketError(error: NodeJS.ErrnoException): void {
    const peerGone = error.code === 'ECONNRESET' || error.code === 'EPIPE' || error.code === 'ECONNABORTED';
    this.sink![linkError](new ConnectionFailedError(`${this.transport} connection from ${this.socket.remoteAddress ?? 'a peer'}: ${error.message}`, { cause: error }), peerGone);
  }

  socketClosed(): void {
    if (this.deflate) {
      // zlib streams hold native memory: release it with the socket.
      this.receiver?.stop();
      this.deflate.cleanup();
    }
    this.sink![linkClosed]();
  }
}

function framerOf(link: Link, limits: { maxReceiveBufferSize: number }): WebSocketLink {
  return (link as WebSocketLink).framing(limits.maxReceiveBufferSize);
}

const serverFramings = new WeakMap<MessageCodec, Framing>();

/**
 * A WebSocket endpoint's or client's framing: the message codec, frames out (unmasked and shared
 * by every server connection of the codec, so a broadcast frames each message once; masked with
 * a fresh key per frame for a client), and the link itself as the inbound framer.
 */
export function websocketFraming(messageCodec: MessageCodec, role: 'server' | 'client'): Framing {
  if (role === 'client') return { codec: messageCodec, encoder: new WebSocketEncoder(messageCodec, true), framer: framerOf };
  let framing = serverFramings.get(messageCodec);
  if (!framing) {
    framing = { codec: messageCodec, encoder: serverEncoderFor(messageCodec), framer: framerOf };
    serverFramings.set(messageCodec, framing);
  }
  return framing;
}
