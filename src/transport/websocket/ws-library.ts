import { createRequire } from 'node:module';

/**
 * Typed access to the parts of the `ws` package that Switchboard reuses and that @types/ws does
 * not describe: its header parsers (linear-time, hardened after CVE-2021-32640) and its
 * permessage-deflate negotiation and inflater (zlib concurrency limited, output bounded).
 * `ws` exports them by name from its entry point (`import { extension } from 'ws'`).
 *
 * Loaded when a WebSocket endpoint starts listening (or a client first dials), not with
 * Switchboard: a process without WebSocket endpoints does not hold it.
 */

/** Extension offers by name; each offer maps parameter names to their values (`true` if bare). */
export type ExtensionOffers = Record<string, Array<Record<string, Array<string | true>>>>;

export interface ExtensionParser {
  /** Throws a SyntaxError on anything not RFC 6455 §9.1 grammar. */
  parse(header: string): ExtensionOffers;
  format(extensions: Record<string, unknown>): string;
}

export interface SubprotocolParser {
  /** Throws a SyntaxError on a malformed list or a duplicate. */
  parse(header: string): Set<string>;
}

export interface PerMessageDeflateOptions {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number | boolean;
  clientMaxWindowBits?: number | boolean;
  /** Inflated bytes allowed per decompress call; 0 for none. */
  maxPayload?: number;
  isServer?: boolean;
  concurrencyLimit?: number;
}

export interface PerMessageDeflateInstance {
  params: Record<string, unknown> | null;
  offer(): Record<string, unknown>;
  /** Throws when no offer can be accepted. */
  accept(configurations: ExtensionOffers[string]): Record<string, unknown>;
  decompress(data: Buffer, fin: boolean, callback: (error: (Error & { code?: string }) | null, result?: Buffer) => void): void;
  cleanup(): void;
}

export interface PerMessageDeflateClass {
  new (options?: PerMessageDeflateOptions): PerMessageDeflateInstance;
  readonly extensionName: 'permessage-deflate';
}

interface WsLibrary {
  extension: ExtensionParser;
  subprotocol: SubprotocolParser;
  PerMessageDeflate: PerMessageDeflateClass;
}

let library: WsLibrary | undefined;
function ws(): WsLibrary {
  library ??= createRequire(import.meta.url)('ws') as WsLibrary;
  return library;
}

/** Loads `ws` now: a listener does, so that its first handshake does not pay for it. */
export function loadWsLibrary(): void {
  ws();
}

export const extension: ExtensionParser = {
  parse: (header) => ws().extension.parse(header),
  format: (extensions) => ws().extension.format(extensions),
};
export const subprotocol: SubprotocolParser = {
  parse: (header) => ws().subprotocol.parse(header),
};
/** The permessage-deflate extension's name, known without loading `ws`. */
export const PER_MESSAGE_DEFLATE = 'permessage-deflate';
/** `ws`'s PerMessageDeflate class (loads `ws`). */
export function perMessageDeflate(): PerMessageDeflateClass {
  return ws().PerMessageDeflate;
}
