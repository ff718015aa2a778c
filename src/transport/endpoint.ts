import type { SecureContext } from 'node:tls';
import type { Codec } from '../codec/codec.js';
import type { ConnectionLimits } from '../connection/limits.js';
import { InvalidOptionError } from '../errors.js';
import { booleanOption, codecOption, integerOption, portOption, stringOption } from '../util/validate.js';

/** What every endpoint may set for the connections it accepts; unset ones follow the server. */
export interface EndpointCommon {
  /**
   * A name for logs and metrics, unique among the server's endpoints: each connection's
   * `endpoint`, and what `server.port(name)` takes. @default the transport and address, e.g. "tcp://0.0.0.0:7000"
   */
  name?: string;
  /** The codec of this endpoint's connections. @default the server's codec */
  codec?: Codec;
  /** Limits of this endpoint's connections. @default the server's limits */
  limits?: ConnectionLimits;
}

export interface TcpEndpoint extends EndpointCommon {
  transport: 'tcp';
  /** @default all interfaces (Node's default) */
  host?: string;
  /** 0 picks a free port; `server.addresses()` tells which. */
  port: number;
  /** Pending connections the kernel may hold. @default 511 */
  backlog?: number;
  /** Only IPv6 when host is '::'. @default false */
  ipv6Only?: boolean;
  /**
   * SO_REUSEPORT. Node's net.Server gained it in 22.12 / 23.1; on older Node (such as 20)
   * `start()` refuses the option with ERR_UNSUPPORTED rather than silently ignoring it.
   * @default false
   */
  reusePort?: boolean;
}

/** Key material for a TLS listener. Either `secureContext`, or `key` + `cert`. */
export interface TlsServerMaterial {
  key?: string | Buffer;
  cert?: string | Buffer;
  ca?: string | Buffer | Array<string | Buffer>;
  passphrase?: string;
  /** Ask clients for a certificate. @default false */
  requestCert?: boolean;
  /** With requestCert: refuse clients whose certificate does not verify. @default true */
  rejectUnauthorized?: boolean;
  /**
   * A prepared context (e.g. shared by several endpoints, or rotated). Contexts made from
   * key + cert refuse TLS 1.2 renegotiation; for your own, pass
   * `secureOptions: crypto.constants.SSL_OP_NO_RENEGOTIATION` to `tls.createSecureContext`.
   */
  secureContext?: SecureContext;
  /** @default 'TLSv1.2' */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface TlsEndpoint extends Omit<TcpEndpoint, 'transport'> {
  transport: 'tls';
  tls: TlsServerMaterial;
  /** A TLS handshake not finished in this time closes the socket (slowloris). @default 10 s */
  handshakeTimeout?: number;
}

export interface UnixEndpoint extends EndpointCommon {
  transport: 'unix';
  /** Socket file path. A stale file left by a dead server is replaced; a live one is an error. */
  path: string;
  /** @default 511 */
  backlog?: number;
  /** Let every user read/write the socket file. @default false */
  readableAll?: boolean;
  writableAll?: boolean;
}

/** The endpoints of the core; the WebSocket transport adds its own to this union. */
export type StreamEndpoint = TcpEndpoint | TlsEndpoint | UnixEndpoint;

export const ENDPOINT_DEFAULTS = {
  backlog: 511,
  handshakeTimeout: 10_000,
} as const;

/** Where an endpoint listens, once it does. */
export type ListeningAddress =
  | { transport: 'tcp' | 'tls' | 'ws' | 'wss' | 'udp'; host: string; port: number; path?: string }
  | { transport: 'unix'; path: string };

export function describeAddress(address: ListeningAddress): string {
  if (address.transport === 'unix') return `unix:${address.path}`;
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${address.transport}://${host}:${address.port}${address.path ?? ''}`;
}

/**
 * Checks a stream endpoint's options when the server is constructed, naming the option and the
 * bad value (rather than Node's RangeError from `listen()`, or nothing at all).
 */
export function validateStreamEndpoint(endpoint: StreamEndpoint): void {
  if (typeof endpoint !== 'object' || endpoint === null) throw new InvalidOptionError('endpoints[]', endpoint, 'an endpoint object');
  if (endpoint.name !== undefined) stringOption('name', endpoint.name);
  codecOption('codec', endpoint.codec);
  if (endpoint.backlog !== undefined) integerOption('backlog', endpoint.backlog, 0);
  if (endpoint.transport === 'unix') {
    stringOption('path', endpoint.path, 'a socket file path');
    if (endpoint.readableAll !== undefined) booleanOption('readableAll', endpoint.readableAll);
    if (endpoint.writableAll !== undefined) booleanOption('writableAll', endpoint.writableAll);
    return;
  }
  portOption('port', endpoint.port);
  if (endpoint.host !== undefined) stringOption('host', endpoint.host, 'a host name or IP address');
  if (endpoint.ipv6Only !== undefined) booleanOption('ipv6Only', endpoint.ipv6Only);
  if (endpoint.reusePort !== undefined) booleanOption('reusePort', endpoint.reusePort);
  if (endpoint.transport === 'tls') {
    const tls = endpoint.tls as TlsServerMaterial | undefined;
    if (typeof tls !== 'object' || tls === null || (tls.secureContext === undefined && (tls.key === undefined || tls.cert === undefined))) {
      throw new InvalidOptionError('tls', tls, 'key and cert, or a secureContext');
    }
    if (endpoint.handshakeTimeout !== undefined) integerOption('handshakeTimeout', endpoint.handshakeTimeout, 1);
  }
}
