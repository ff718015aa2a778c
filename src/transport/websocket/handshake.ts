import { createHash } from 'node:crypto';
import { STATUS_CODES, validateHeaderName, validateHeaderValue, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { WEBSOCKET_GUID } from './constants.js';
import type { WebSocketRequestInfo } from './websocket-link.js';
import { extension, subprotocol, type ExtensionOffers } from './ws-library.js';

/** An upgrade request that passed the RFC 6455 checks. */
export interface UpgradeRequest {
  key: string;
  /** Subprotocols the client offered, in its order of preference. */
  protocols: string[];
  /** Extension offers by name (parsed `Sec-WebSocket-Extensions`). */
  extensions: ExtensionOffers;
  info: WebSocketRequestInfo;
}

/** An HTTP answer that ends a handshake without an upgrade. */
export interface Refusal {
  status: number;
  reason: string;
  headers?: Record<string, string>;
}

export interface UpgradeCheckOptions {
  /** Origins allowed to connect; requests without an Origin header (non-browsers) pass. */
  allowedOrigins: readonly string[] | undefined;
  /** More request headers than this → 431. */
  maxHeaders: number;
}

const KEY = /^[+/0-9A-Za-z]{22}==$/;

/**
 * Checks an upgrade request (RFC 6455 §4.2.1) and parses its offers. Every parser here runs in
 * time linear in the header's length (the ones from `ws` were hardened against ReDoS).
 */
export function checkUpgrade(request: IncomingMessage, options: UpgradeCheckOptions): UpgradeRequest | Refusal {
  const headers = request.headers;
  if (request.rawHeaders.length / 2 > options.maxHeaders) {
    return { status: 431, reason: `more than ${options.maxHeaders} request headers` };
  }
  if (request.method !== 'GET') return { status: 405, reason: 'a WebSocket handshake is a GET request', headers: { Allow: 'GET' } };
  // RFC 6455 §4.1 and §4.2.1: HTTP/1.1 or later (Node's parser hands HTTP/1.0 upgrades on too).
  if (request.httpVersionMajor < 1 || (request.httpVersionMajor === 1 && request.httpVersionMinor < 1)) {
    return { status: 400, reason: 'a WebSocket handshake needs HTTP/1.1 or later' };
  }
  if (!hasToken(headers.upgrade, 'websocket')) return { status: 400, reason: 'missing or invalid Upgrade header' };
  if (!hasToken(headers.connection, 'upgrade')) return { status: 400, reason: 'missing or invalid Connection header' };
  const version = headers['sec-websocket-version'];
  if (version === undefined) return { status: 400, reason: 'missing Sec-WebSocket-Version header', headers: { 'Sec-WebSocket-Version': '13' } };
  if (version.trim() !== '13') return { status: 426, reason: 'unsupported WebSocket version', headers: { 'Sec-WebSocket-Version': '13' } };
  const key = headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY.test(key.trim())) return { status: 400, reason: 'missing or invalid Sec-WebSocket-Key header' };

  const origin = headers.origin;
  if (options.allowedOrigins && origin !== undefined && !options.allowedOrigins.some((allowed) => allowed.toLowerCase() === origin.toLowerCase())) {
    return { status: 403, reason: 'origin not allowed' };
  }

  let protocols: string[] = [];
  const protocolHeader = headers['sec-websocket-protocol'];
  if (protocolHeader !== undefined) {
    try {
      protocols = [...subprotocol.parse(protocolHeader)];
    } catch {
      return { status: 400, reason: 'invalid Sec-WebSocket-Protocol header' };
    }
  }

  let extensions: ExtensionOffers = Object.create(null) as ExtensionOffers;
  const extensionHeader = headers['sec-websocket-extensions'];
  if (extensionHeader !== undefined) {
    try {
      extensions = extension.parse(extensionHeader);
    } catch {
      return { status: 400, reason: 'invalid Sec-WebSocket-Extensions header' };
    }
    // No extension is named like an object property; a name such as __proto__ is an attack on
    // parsers that build plain objects, and is refused rather than carried along.
    for (const name of Object.keys(extensions)) {
      if (name in Object.prototype) return { status: 400, reason: 'invalid Sec-WebSocket-Extensions header' };
    }
  }

  return { key: key.trim(), protocols, extensions, info: new RequestInfo(request.url ?? '/', headers, origin) };
}

/** The request kept with a connection; the query is parsed when first asked for. */
class RequestInfo implements WebSocketRequestInfo {
  readonly path: string;
  private parsedQuery: URLSearchParams | undefined;

  constructor(
    readonly url: string,
    readonly headers: IncomingHttpHeaders,
    readonly origin: string | undefined,
  ) {
    const queryAt = url.indexOf('?');
    this.path = queryAt === -1 ? url : url.slice(0, queryAt);
  }

  get query(): URLSearchParams {
    if (!this.parsedQuery) {
      const queryAt = this.url.indexOf('?');
      this.parsedQuery = new URLSearchParams(queryAt === -1 ? '' : this.url.slice(queryAt + 1));
    }
    return this.parsedQuery;
  }
}

export function isRefusal(value: UpgradeRequest | Refusal): value is Refusal {
  return 'status' in value;
}

/** Whether a comma-separated header holds `token` (case-insensitive). */
function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  for (const part of value.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
}

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/** The 101 response head that completes a handshake. */
export function switchingProtocols(key: string, protocol: string, extensions: string, extra: Record<string, string | string[]> | undefined): string {
  let head = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n`;
  if (protocol !== '') head += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  if (extensions !== '') head += `Sec-WebSocket-Extensions: ${extensions}\r\n`;
  return head + formatHeaders(extra) + '\r\n';
}

/** A complete HTTP error response; the connection closes after it. */
export function httpRefusal(status: number, reason: string, headers?: Record<string, string | string[]>): string {
  const body = Buffer.from(reason);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
    formatHeaders(headers) +
    `\r\n${reason}`
  );
}

/** Header lines; names and values are checked, so a hook cannot smuggle in a CRLF. */
function formatHeaders(headers: Record<string, string | string[]> | undefined): string {
  if (!headers) return '';
  let lines = '';
  for (const [name, value] of Object.entries(headers)) {
    validateHeaderName(name);
    for (const one of Array.isArray(value) ? value : [value]) {
      validateHeaderValue(name, one);
      lines += `${name}: ${one}\r\n`;
    }
  }
  return lines;
}
