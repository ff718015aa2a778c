import type { SwitchboardError } from '../errors.js';

/** Every transport a link can be. */
export type TransportName = 'tcp' | 'tls' | 'unix' | 'ws' | 'wss' | 'udp';

/** Why a link is being closed, as the connection above it says (a WebSocket picks its close code from it). */
export type LinkCloseReason = 'peer' | 'local' | 'error' | 'idle' | 'limit' | 'stop' | 'restart';

// What a link reports to the connection above it. Keyed by symbols, so that the connection can be
// its own sink (no closure or adapter object per connection) without these becoming its public API.
export const linkData: unique symbol = Symbol('switchboard.linkData');
export const linkEnd: unique symbol = Symbol('switchboard.linkEnd');
export const linkDrain: unique symbol = Symbol('switchboard.linkDrain');
export const linkError: unique symbol = Symbol('switchboard.linkError');
export const linkClosed: unique symbol = Symbol('switchboard.linkClosed');
export const linkReady: unique symbol = Symbol('switchboard.linkReady');
export const linkClose: unique symbol = Symbol('switchboard.linkClose');
export const linkAbort: unique symbol = Symbol('switchboard.linkAbort');
export const linkSend: unique symbol = Symbol('switchboard.linkSend');
export const linkCanQueue: unique symbol = Symbol('switchboard.linkCanQueue');
export const linkUnreachable: unique symbol = Symbol('switchboard.linkUnreachable');

/**
 * The connection a link carries bytes for. Links call it; they never reach further up.
 */
export interface LinkSink {
  /** Bytes from a byte stream, or one whole datagram. */
  [linkData](chunk: Buffer): void;
  /** The peer will send no more (half-close). */
  [linkEnd](): void;
  /** Everything written has been taken by the kernel. */
  [linkDrain](): void;
  /** The link failed; `peerGone` when the peer went away (reset, broken pipe) rather than an error here. */
  [linkError](error: SwitchboardError, peerGone: boolean): void;
  /** The link is gone: nothing more will be read or written. */
  [linkClosed](): void;
  /** The transport's handshake (TLS, WebSocket upgrade) is done: messages may flow. */
  [linkReady](): void;
  /** The transport asks for a graceful close (a WebSocket close frame from the peer, a refused handshake). */
  [linkClose](reason: LinkCloseReason, error?: SwitchboardError): void;
  /** The transport asks for an immediate close (a handshake timeout, a limit before the handshake). */
  [linkAbort](reason: LinkCloseReason, error: SwitchboardError): void;
  /** Queues transport bytes (a WebSocket pong or ping) with the connection's output of this turn. */
  [linkSend](frame: Buffer): void;
  /** Whether the connection's send queue is within its limit (a WebSocket skips a pong otherwise). */
  [linkCanQueue](): boolean;
  /** A datagram came back undeliverable (ICMP port unreachable); the link stays. */
  [linkUnreachable](error: SwitchboardError): void;
}

/**
 * The carrier of one peer's bytes or datagrams: a stream socket (TCP, TLS, Unix), a WebSocket,
 * a UDP peer. A {@link Connection} composes a link with an inbound framer and an outbound
 * encoder; everything a transport does differently lives behind this interface.
 *
 * A new transport implements this interface (and, if its units are not a byte stream, an
 * inbound framer), plus the listener or dialler that makes its links.
 */
export interface Link {
  readonly transport: TransportName;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** Bytes handed to the link and not yet taken by the kernel. */
  readonly writableLength: number;
  /**
   * True when a write to an idle link is consumed before `writev` returns, even though
   * `writableLength` stays above 0 until the transport below has sent it: a TLS socket after its
   * handshake (OpenSSL encrypts the cleartext at once and Node keeps the ciphertext, not the
   * caller's Buffer). The output slab is then reused after the flush (see output-slab.ts).
   */
  readonly consumesWrites?: boolean;
  readonly destroyed: boolean;
  /** Starts reporting to `sink`; called once, by the connection's constructor. */
  attach(sink: LinkSink): void;
  /**
   * Writes a turn's output: frames already encoded for this link. A byte stream may coalesce
   * them into one write; a datagram link sends each as its own datagram. False when the link
   * cannot write yet (a handshake not answered): the caller keeps them for later.
   */
  writev(frames: readonly Buffer[], bytes: number): boolean;
  pause(): void;
  resume(): void;
  /**
   * Closes gracefully once what was written is out: the transport's goodbye first if it has one
   * (a WebSocket close frame whose code follows `reason` and `error`), then the end of the stream.
   * Returns the bytes of that goodbye (counted as written).
   */
  end(reason: LinkCloseReason, error?: SwitchboardError): number;
  /** Closes at once; `linkClosed` follows. */
  destroy(): void;
  /** A liveness probe to a quiet peer, where the transport has one (a WebSocket ping). */
  probe(): void;
  /**
   * Whether the transport can tell the peer why it is being failed (a WebSocket close frame with
   * 1002, 1009, 1011, ...): a failing connection then ends through `end(reason, error)` instead of
   * being destroyed.
   */
  readonly saysGoodbye: boolean;
  /** Close code and text for the `close` event, where the transport has them (WebSocket). */
  closeCode(): number | undefined;
  closeText(): string | undefined;
}
