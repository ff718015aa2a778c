import { integerOption, oneOfOption } from '../util/validate.js';

/** Buffer limits of a connection. Set per server, per endpoint, per client, and per connection. */
export interface ConnectionLimits {
  /**
   * The largest chunk handed to the decoder at once; a larger read is cut into views of this size
   * (no copy), so that one connection's burst is decoded in bounded steps.
   * @default 65535
   */
  readBufferSize?: number;
  /**
   * Bytes held while a message is incomplete (each buffered chunk also counts
   * {@link CHUNK_OVERHEAD_BYTES}, so a flood of 1-byte chunks is measured by what it costs).
   * Past it: `receiveBufferFull`, then the connection is closed with reason `limit`.
   * @default 10 MiB
   */
  maxReceiveBufferSize?: number;
  /**
   * Bytes queued and not yet taken by the kernel. The send that crosses it still queues and raises
   * `sendBufferFull`; while over it, sends are refused (`sendFail`, code `bufferFull`) or, with
   * `sendBufferFullPolicy: 'close'`, the connection is closed with reason `limit`.
   * @default 1 MiB
   */
  maxSendBufferSize?: number;
  /**
   * The slow-peer policy: what happens to a send (the application's or a broadcast's) while the
   * send buffer is over `maxSendBufferSize`. `'refuse'`: that message is refused (`sendFail`,
   * code `bufferFull`; a broadcast names the connection in the registry's `drop` event) and the
   * connection stays; `'close'`: the connection is also closed with reason `limit`
   * (`ERR_SEND_BUFFER_FULL`) so it stops holding memory. Each broadcast target follows its own.
   * @default 'refuse'
   */
  sendBufferFullPolicy?: 'refuse' | 'close';
}

export type ResolvedLimits = Required<ConnectionLimits>;

export const DEFAULT_LIMITS = {
  readBufferSize: 65535,
  maxReceiveBufferSize: 10 * 1024 * 1024,
  maxSendBufferSize: 1024 * 1024,
  sendBufferFullPolicy: 'refuse',
} as const satisfies ResolvedLimits;

/**
 * What one buffered chunk costs besides its bytes (the Buffer object, its slot in the list):
 * a million 1-byte chunks are ~100 MB of heap, not 1 MB.
 */
export const CHUNK_OVERHEAD_BYTES = 96;

/** Results of {@link resolveLimits}: frozen, so that every connection of an endpoint shares one. */
const resolved = new WeakSet<object>();

/** Layers limits (later ones win) and validates the result, which is frozen. */
export function resolveLimits(...layers: Array<ConnectionLimits | undefined>): ResolvedLimits {
  // Already resolved (a server's limits handed to each of its connections): shared, not copied.
  if (layers.length === 1 && layers[0] !== undefined && resolved.has(layers[0])) return layers[0] as ResolvedLimits;
  const merged: ResolvedLimits = { ...DEFAULT_LIMITS };
  for (const layer of layers) {
    if (!layer) continue;
    for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof ResolvedLimits>) {
      const value = layer[key];
      if (value !== undefined) (merged as Record<string, unknown>)[key] = value;
    }
  }
  integerOption('readBufferSize', merged.readBufferSize, 1);
  integerOption('maxReceiveBufferSize', merged.maxReceiveBufferSize, 1);
  integerOption('maxSendBufferSize', merged.maxSendBufferSize, 1);
  oneOfOption('sendBufferFullPolicy', merged.sendBufferFullPolicy, ['refuse', 'close'] as const);
  Object.freeze(merged);
  resolved.add(merged);
  return merged;
}
