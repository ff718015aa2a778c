import type { Socket } from 'node:net';
import { ConnectionFailedError, TlsHandshakeError, type SwitchboardError } from '../errors.js';
import { linkAbort, linkClosed, linkData, linkDrain, linkEnd, linkError, linkReady, type Link, type LinkSink } from './link.js';
import { attachSocket, pauseReading, resumeReading, writeFrames, type SocketHandler } from './socket-events.js';
import { SocketLinkBase } from './socket-link-base.js';
import { joinQueued } from './write-batch.js';

const PEER_GONE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);
const TRANSPORTS = ['tcp', 'tls', 'unix'] as const;
const READY = 4;
const TLS_KIND = TRANSPORTS.indexOf('tls');

/** The link of a byte-stream socket: TCP, TLS or a Unix domain socket. */
export class StreamLink extends SocketLinkBase implements Link, SocketHandler {
  private sink: LinkSink | undefined;
  /** The transport (an index into TRANSPORTS) and, in READY, whether its handshake is done: one field, not two, per connection. */
  private kind: number;

  /** @param ready whether the transport's handshake is already done (a dialled TLS socket after `secureConnect`) */
  constructor(socket: Socket, transport: 'tcp' | 'tls' | 'unix', ready = false) {
    super(socket);
    this.kind = TRANSPORTS.indexOf(transport) | (ready ? READY : 0);
  }

  get transport(): 'tcp' | 'tls' | 'unix' {
    return TRANSPORTS[this.kind & ~READY]!;
  }
  get saysGoodbye(): boolean {
    return false;
  }
  /**
   * TLS once its handshake is done: Node's TLSWrap hands the cleartext to OpenSSL (SSL_write,
   * which copies it into its buffers) within the write call, and keeps a copy of its own of what
   * OpenSSL did not take. Before the handshake a TLSSocket holds the caller's Buffer itself.
   */
  get consumesWrites(): boolean {
    return (this.kind & ~READY) === TLS_KIND && this.ready;
  }

  /** TLS: the handshake is done (a reset before it is a handshake failure). */
  private get ready(): boolean {
    return (this.kind & READY) !== 0;
  }

  attach(sink: LinkSink): void {
    this.sink = sink;
    this.socket.setNoDelay?.(true);
    attachSocket(this.socket, this);
  }

  /** The transport's handshake is done (at once for TCP and Unix; after TLS's). */
  markReady(): void {
    this.kind |= READY;
    this.sink![linkReady]();
  }

  /** Aborts the link with an error of the transport's (a handshake timeout). */
  fail(error: SwitchboardError): void {
    if (this.ready) return;
    this.sink![linkAbort]('error', error);
  }

  writev(frames: readonly Buffer[], bytes: number): boolean {
    writeFrames(this.socket, frames, bytes, joinQueued);
    return true;
  }

  pause(): void {
    pauseReading(this.socket);
  }
  resume(): void {
    resumeReading(this.socket);
  }
  end(): number {
    this.socket.end();
    return 0;
  }
  destroy(): void {
    this.socket.destroy();
  }
  probe(): void {
    // A byte stream has no probe of its own: the application's protocol decides (the `idle` event).
  }
  closeCode(): undefined {
    return undefined;
  }
  closeText(): undefined {
    return undefined;
  }

  // ---- SocketHandler ---------------------------------------------------------------------

  socketData(chunk: Buffer): void {
    this.sink![linkData](chunk);
  }
  socketEnd(): void {
    this.sink![linkEnd]();
  }
  socketDrain(): void {
    this.sink![linkDrain]();
  }
  socketError(error: NodeJS.ErrnoException): void {
    const peerGone = error.code !== undefined && PEER_GONE_CODES.has(error.code);
    const where = `${this.transport} connection from ${this.socket.remoteAddress ?? 'a peer'}`;
    const tlsFailed = this.transport === 'tls' && (error.code?.startsWith('ERR_SSL') === true || (!this.ready && error.code === 'ECONNRESET'));
    const coded = tlsFailed
      ? new TlsHandshakeError(`${where}: ${error.message}`, { cause: error })
      : new ConnectionFailedError(`${where}: ${error.message}`, { cause: error });
    this.sink![linkError](coded, peerGone);
  }
  socketClosed(): void {
    this.sink![linkClosed]();
  }
}
