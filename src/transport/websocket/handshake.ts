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
  /** The request as the connection keeps it ({@link keptRequest}). */
  kept: string;
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

  return { key: key.trim(), protocols, extensions, kept: keptRequest(request) };
}

/**
 * Request headers that only carry the handshake itself: what they said is the connection's
 * (`websocket.protocol`, `websocket.compressed`) and they are not kept with it.
 */
const HANDSHAKE_ONLY = new Set(['upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions']);

/**
 * The request as a connection keeps it: one string, the URL then the header lines but the
 * handshake's own, NUL-separated (a name is a token and a value holds no CR, LF or NUL: Node's
 * parser refuses them). Idle connections are what a server holds most of, and the header object
 * Node builds (an object in dictionary mode and a string per name and value) costs about 300
 * bytes each; the object is built from this string when first read ({@link RequestInfo}).
 */
export function keptRequest(request: IncomingMessage): string {
  const parts = [request.url ?? '/'];
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (!HANDSHAKE_ONLY.has(raw[i]!.toLowerCase())) parts.push(raw[i]!, raw[i + 1]!);
  }
  // join makes one flat string; `+=` would keep a tree of concatenations (about 3x the bytes).
  return parts.join('\0');
}

/** What `connection.websocket.request` reads, made from a {@link keptRequest} when first asked for. */
export class RequestInfo implements WebSocketRequestInfo {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  private parsedQuery: URLSearchParams | undefined;

  constructor(kept: string) {
    const parts = kept.split('\0');
    this.url = parts[0]!;
    this.headers = headersFromRaw(parts.slice(1));
  }

  get path(): string {
    const queryAt = this.url.indexOf('?');
    return queryAt === -1 ? this.url : this.url.slice(0, queryAt);
  }

  get origin(): string | undefined {
    return this.headers.origin;
  }

  get query(): URLSearchParams {
    return (this.parsedQuery ??= queryOf(this.url));
  }
}

/** The query of a request target, parsed. */
export function queryOf(url: string): URLSearchParams {
  const queryAt = url.indexOf('?');
  return new URLSearchParams(queryAt === -1 ? '' : url.slice(queryAt + 1));
}

/**
 * Headers whose repeats Node drops, keeping the first (node:http's IncomingMessage; RFC 9110 gives
 * them a single value). Node's own merge (`IncomingMessage.prototype._addHeaderLine`) is internal,
 * so its rules are written out here; a test compares the two on a request with repeats.
 */
const SINGLE_VALUED = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after',
  'server', 'user-agent',
]);

/** `rawHeaders` (name, value, name, value...) merged as node:http merges them into `request.headers`. */
export function headersFromRaw(raw: readonly string[]): IncomingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const held = headers[name];
    if (held === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (held as string[]).push(value);
    else if (name === 'cookie') headers[name] = `${held as string}; ${value}`;
    else if (!SINGLE_VALUED.has(name)) headers[name] = `${held as string}, ${value}`;
  }
  return headers as IncomingHttpHeaders;
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
