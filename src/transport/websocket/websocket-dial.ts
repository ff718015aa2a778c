import { randomBytes } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { MessageCodec } from '../../codec/message-codec.js';
import { ConnectError, ErrorCode, HandshakeRefusedError, InvalidOptionError } from '../../errors.js';
import type { Clock } from '../../util/clock.js';
import { connectError, connectTimeoutError, tlsClientOptions, type TlsTarget } from '../dial.js';
import { acceptKey } from './handshake.js';
import { subprotocol } from './ws-library.js';

/** Where a WebSocket client connects: a `url`, or host, port and path. */
export interface WebSocketTarget {
  transport: 'ws' | 'wss';
  /** `ws://host:port/path?query` or `wss://...`; its scheme must match `transport`. */
  url?: string;
  /** @default from url */
  host?: string;
  /** @default from url, else 80 for ws and 443 for wss */
  port?: number;
  /** Path and query. @default from url, else '/' */
  path?: string;
  /** Subprotocols to offer (Sec-WebSocket-Protocol), in order of preference. @default none */
  protocols?: string[];
  /** Extra request headers (Authorization, Cookie, ...). */
  headers?: Record<string, string>;
  /** Sent as the Origin header, for servers that check it. @default none */
  origin?: string;
  /** For wss: as a TLS client. */
  tls?: TlsTarget['tls'];
  /** Local address to connect from. */
  localAddress?: string;
  /** Turns each WebSocket message into an application message and back. @default text as strings, binary as Buffers */
  messageCodec?: MessageCodec;
}

/** A resolved target: every field known. */
export interface WebSocketAddress {
  secure: boolean;
  host: string;
  port: number;
  path: string;
}

export function resolveWebSocketTarget(target: WebSocketTarget): WebSocketAddress {
  const secure = target.transport === 'wss';
  let host = target.host;
  let port = target.port;
  let path = target.path;
  if (target.url !== undefined) {
    let url: URL;
    try {
      url = new URL(target.url);
    } catch {
      throw new InvalidOptionError('url', target.url, 'a ws:// or wss:// URL');
    }
    if (url.protocol !== `${target.transport}:`) throw new InvalidOptionError('url', target.url, `a ${target.transport}:// URL (transport is '${target.transport}')`);
    host ??= url.hostname.replace(/^\[(.*)\]$/, '$1');
    port ??= url.port === '' ? undefined : Number(url.port);
    path ??= `${url.pathname}${url.search}`;
  }
  if (typeof host !== 'string' || host === '') throw new InvalidOptionError('host', host, 'a host name or address (or a url)');
  port ??= secure ? 443 : 80;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidOptionError('port', port, 'an integer from 1 to 65535');
  path ??= '/';
  if (!path.startsWith('/')) throw new InvalidOptionError('path', path, "a path starting with '/'");
  return { secure, host, port, path };
}

export interface DialedWebSocket {
  socket: Socket;
  /** Bytes after the 101 response head: the first frames. */
  head: Buffer;
  /** The subprotocol the server chose ('' for none). */
  protocol: string;
}

/**
 * Opens a socket and performs the client side of the handshake (RFC 6455 §4.1): resolves once
 * the server's 101 response has been checked. Rejects with a {@link ConnectError}: ERR_OPEN_FAILED
 * when it cannot even begin, ERR_CONNECT_FAILED when refused, timed out, or answered with anything
 * but a valid 101 (the cause then is a {@link HandshakeRefusedError} with the HTTP status).
 */
export function dialWebSocket(target: WebSocketTarget, clock: Clock, timeout: number): Promise<DialedWebSocket> {
  return new Promise((resolve, reject) => {
    let address: WebSocketAddress;
    try {
      address = resolveWebSocketTarget(target);
    } catch (error) {
      reject(new ConnectError(ErrorCode.OpenFailed, `cannot open ${target.url ?? target.host}: ${(error as Error).message}`, undefined, { cause: error }));
      return;
    }
    const where = describeWebSocketAddress(address);
    const key = randomBytes(16).toString('base64');
    const headers: Record<string, string> = {
      ...target.headers,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': key,
    };
    if (target.protocols && target.protocols.length > 0) headers['Sec-WebSocket-Protocol'] = target.protocols.join(', ');
    if (target.origin !== undefined) headers.Origin = target.origin;
    let request: ClientRequest;
    try {
      const options = {
        host: address.host,
        port: address.port,
        path: address.path,
        headers,
        agent: false as const,
        ...(target.localAddress ? { localAddress: target.localAddress } : {}),
      };
      request = address.secure
        ? httpsRequest({ ...options, ...tlsClientOptions(address.host, target.tls) })
        : httpRequest(options);
    } catch (error) {
      reject(new ConnectError(ErrorCode.OpenFailed, `cannot open ${where}: ${(error as Error).message}`, (error as NodeJS.ErrnoException).code, { cause: error }));
      return;
    }
    let settled = false;
    const fail = (error: ConnectError): void => {
      if (settled) return;
      settled = true;
      clock.clear(timer);
      reject(error);
    };
    const timer = clock.setTimeout(() => {
      const error = connectTimeoutError(timeout);
      fail(connectError(error, where));
      request.destroy(error);
    }, timeout);
    request.on('error', (error: NodeJS.ErrnoException) => fail(connectError(error, where)));
    request.on('response', (response: IncomingMessage) => {
      const status = response.statusCode ?? 0;
      const refusal = new HandshakeRefusedError(status, `server answered the WebSocket handshake with ${status} ${response.statusMessage ?? ''}`.trim());
      fail(new ConnectError(ErrorCode.ConnectFailed, `cannot connect to ${where}: ${refusal.message}`, undefined, { cause: refusal }));
      response.resume();
      request.destroy();
    });
    request.on('upgrade', (response: IncomingMessage, socket: Socket, head: Buffer) => {
      const problem = checkResponse(response, key, target.protocols ?? []);
      if (problem !== undefined) {
        socket.destroy();
        const refusal = new HandshakeRefusedError(response.statusCode ?? 101, `invalid WebSocket handshake response: ${problem}`);
        fail(new ConnectError(ErrorCode.ConnectFailed, `cannot connect to ${where}: ${refusal.message}`, undefined, { cause: refusal }));
        return;
      }
      if (settled) {
        socket.destroy();
        return;
      }
      settled = true;
      clock.clear(timer);
      resolve({ socket, head, protocol: (response.headers['sec-websocket-protocol'] ?? '').trim() });
    });
    request.end();
  });
}

/** What is wrong with a 101 response, if anything. */
function checkResponse(response: IncomingMessage, key: string, offered: string[]): string | undefined {
  const headers = response.headers;
  if ((headers.upgrade ?? '').toLowerCase() !== 'websocket') return 'missing or invalid Upgrade header';
  if (headers['sec-websocket-accept'] !== acceptKey(key)) return 'wrong Sec-WebSocket-Accept';
  const chosen = headers['sec-websocket-protocol'];
  if (chosen !== undefined) {
    let parsed: Set<string>;
    try {
      parsed = subprotocol.parse(chosen);
    } catch {
      return 'invalid Sec-WebSocket-Protocol';
    }
    if (parsed.size !== 1 || !offered.includes(chosen.trim())) return `server chose subprotocol ${JSON.stringify(chosen)}, which was not offered`;
  }
  // No extension is offered, so none may be accepted.
  if (headers['sec-websocket-extensions'] !== undefined) return 'server accepted an extension that was not offered';
  return undefined;
}

export function describeWebSocketAddress(address: WebSocketAddress): string {
  const host = address.host.includes(':') ? `[${address.host}]` : address.host;
  return `${address.secure ? 'wss' : 'ws'}://${host}:${address.port}${address.path}`;
}
