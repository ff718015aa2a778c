import type { Codec } from './codec.js';

/**
 * Turns application messages into the exact bytes written to a link. For byte-stream
 * transports that is the codec's frame; a WebSocket encoder wraps the codec's output in a
 * WebSocket frame. A broadcast encodes once per distinct encoder among its targets and writes the
 * same Buffer to each, so connections that share an encoder must share the same object.
 */
export interface WireEncoder {
  encode(message: unknown): Buffer;
  /** Bytes that bypass the codec (a "raw" send). */
  encodeRaw(data: Buffer | Uint8Array | string): Buffer;
}

const streamEncoders = new WeakMap<Codec, WireEncoder>();

/** The shared encoder of a byte-stream transport: the codec's frame, as is. */
export function streamEncoderFor(codec: Codec): WireEncoder {
  let encoder = streamEncoders.get(codec);
  if (!encoder) {
    encoder = {
      encode: (message) => codec.encode(message),
      encodeRaw: (data) => (typeof data === 'string' ? Buffer.from(data) : Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
    };
    streamEncoders.set(codec, encoder);
  }
  return encoder;
}
