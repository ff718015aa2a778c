import type { IncomingHttpHeaders, IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { MessageCodec } from '../../codec/message-codec.js';
import type { ConnectionLimits } from '../../connection/limits.js';
import type { TlsServerMaterial } from '../endpoint.js';
import type { Connection } from '../../connection/connection.js';

/** What a handshake hook sees of an upgrade request that passed the protocol checks. */
export interface HandshakeRequest {
  /** The request target: path and query, e.g. `/chat?token=abc`. */
  url: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  origin: string | undefined;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  /** Subprotocols the client offered (Sec-WebSocket-Protocol), in its order of preference. */
  protocols: string[];
  /** The connection being opened (state `connecting`; `accept` has been emitted). */
  connection: Connection;
  /** Node's request object, for middleware that wants it (cookies, sessions). */
  request: IncomingMessage;
}

/** What a handshake hook decides. Tagged by `type`. */
export type HandshakeDecision =
  | {
      type: 'accept';
      /** Merged into `connection.context` before `establish`. */
      context?: Record<string, unknown>;
      /** One of `request.protocols`, sent back as Sec-WebSocket-Protocol. */
      protocol?: string;
      /** Extra response headers (Set-Cookie, ...). */
      headers?: Record<string, string | string[]>;
    }
  | {
      type: 'refuse';
      /** An HTTP status from 400 to 599 (401, 403, 429, 503, ...). */
      status: number;
      /** Sent as the response body. @default the status text */
      reason?: string;
      headers?: Record<string, string | string[]>;
    };

/**
 * Decides whether a WebSocket handshake is accepted. Returning nothing accepts. A hook that throws
 * or rejects refuses with 500. It runs within the endpoint's `handshakeTimeout`.
 */
export type HandshakeHook = (request: HandshakeRequest) => HandshakeDecision | void | Promise<HandshakeDecision | void>;

/** permessage-deflate (RFC 7692). Incoming messages may be compressed; Switchboard sends uncompressed frames. */
export interface PerMessageDeflateSettings {
  /** Ask the client to reset its compression context after every message (less memory per connection). @default false */
  clientNoContextTakeover?: boolean;
  /** Limit the client's LZ77 window (8-15 bits; smaller is less memory for the inflater). @default the client's choice */
  clientMaxWindowBits?: number;
}

interface WebSocketEndpointCommon {
  transport: 'ws' | 'wss';
  /**
   * A name for logs and metrics, unique among the server's endpoints: each connection's
   * `endpoint`, and what `server.port(name)` takes. @default e.g. "ws://0.0.0.0:8080/"
   */
  name?: string;
  /** The request path this endpoint answers (exact match, query ignored). @default '/' */
  path?: string;
  /**
   * Turns each WebSocket message into an application message and back. The server's byte-stream
   * `codec` is never used for WebSocket. @default text as strings, binary as Buffers
   */
  messageCodec?: MessageCodec;
  /** Never set: WebSocket endpoints take a `messageCodec`. */
  codec?: never;
  /**
   * Limits of this endpoint's connections. `maxReceiveBufferSize` is the largest message (the
   * sum of its fragments, inflated). @default the server's limits
   */
  limits?: ConnectionLimits;
  /**
   * From the TCP accept to the 101 response (request headers, TLS, the handshake hook); a slower
   * handshake is closed. @default 10 s
   */
  handshakeTimeout?: number;
  /** Browser origins allowed to connect (exact, case-insensitive); others get 403. @default any */
  allowedOrigins?: string[];
  /** Subprotocols this endpoint speaks, in order of preference; the first the client offers is chosen. @default none */
  protocols?: string[];
  /** Accepts, refuses (with an HTTP status) or annotates each handshake. @default accept all */
  handshake?: HandshakeHook;
  /** Requests with more headers are refused with 431. @default 100 */
  maxHeaders?: number;
  /** permessage-deflate for incoming messages. `true` uses the defaults. @default false */
  perMessageDeflate?: boolean | PerMessageDeflateSettings;
}

/** A WebSocket endpoint on a port of its own. */
export interface WebSocketPortEndpoint extends WebSocketEndpointCommon {
  /** @default all interfaces */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  server?: never;
  /** Key material; required for `wss`. */
  tls?: TlsServerMaterial;
  /** @default 511 */
  backlog?: number;
  /** Largest request head (request line and headers) in bytes; larger → 431. @default 16 KiB */
  maxHeaderSize?: number;
}

/**
 * A WebSocket endpoint attached to an HTTP(S) server the application owns (Express, Fastify,
 * Koa, ...). The server's listening and its other requests stay the application's; several
 * endpoints (paths) may share one server. Use `transport: 'wss'` for an https server.
 */
export interface WebSocketAttachedEndpoint extends WebSocketEndpointCommon {
  server: HttpServer | HttpsServer;
  port?: never;
  host?: never;
}

export type WebSocketEndpoint = WebSocketPortEndpoint | WebSocketAttachedEndpoint;

export const WEBSOCKET_DEFAULTS = {
  path: '/',
  handshakeTimeout: 10_000,
  maxHeaders: 100,
  maxHeaderSize: 16 * 1024,
  backlog: 511,
  perMessageDeflate: false,
} as const;
