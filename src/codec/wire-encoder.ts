import type { Codec } from './codec.js';

/**
 * Turns application messages into the exact bytes written to a link. For byte-stream
 * transports that is the codec's frame; a WebSocket encoder wraps the codec's output in a
 * WebSocket frame. A broadcast encodes once per distinct encoder among its targets and writes the
 * same Buffer to each, so connections that share an encoder must share the same object.
 */
export interface WireEncoder {
  encode(message: unknown): Buffer;
  /**
   * The frame of one message pushed onto a connection's queue as pieces written back to back (a
   * header beside a body left as a view of the caller's bytes); returns the bytes pushed. Throws
   * as `encode` does, before pushing anything. A datagram encoder pushes one piece: each piece of
   * a datagram link's queue is sent as its own datagram.
   */
  encodeParts(message: unknown, out: Buffer[]): number;
  /**
   * Present where a frame can be written in place, among other frames (a byte stream whose codec
   * has `encodeInto`): see {@link Codec.encodeInto}. A datagram encoder has none (each piece of its
   * queue is a datagram of its own), nor has a WebSocket one yet.
   */
  readonly encodeInto?: (message: unknown, target: Buffer, at: number, end: number) => number;
  /** Bytes that bypass the codec (a "raw" send). */
  encodeRaw(data: Buffer | Uint8Array | string): Buffer;
}

const streamEncoders = new WeakMap<Codec, WireEncoder>();
const datagramEncoders = new WeakMap<Codec, WireEncoder>();

function rawBytes(data: Buffer | Uint8Array | string): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** encodeParts of a codec without one of its own: the whole frame as one piece. */
function wholeFrame(codec: Codec): WireEncoder['encodeParts'] {
  return (message, out) => {
    const frame = codec.encode(message);
    out.push(frame);
    return frame.length;
  };
}

/**
 * The shared encoder of a byte-stream transport: the codec's frame, its body left a view where the
 * codec can; with a codec that has `encodeInto`, small frames are written straight into the turn's
 * output slab. TLS too, since its link reports that its writes are consumed at once
 * (`Link.consumesWrites`): before that, a TLS socket's pending `writableLength` kept the slab from
 * ever being reused, and TLS was left out of it.
 */
export function streamEncoderFor(codec: Codec): WireEncoder {
  let encoder = streamEncoders.get(codec);
  if (!encoder) {
    const parts = codec.encodeParts?.bind(codec);
    const into = codec.encodeInto?.bind(codec);
    encoder = {
      encode: (message) => codec.encode(message),
      encodeParts: parts ?? wholeFrame(codec),
      ...(into !== undefined ? { encodeInto: into } : {}),
      encodeRaw: rawBytes,
    };
    streamEncoders.set(codec, encoder);
  }
  return encoder;
}

/** The shared encoder of a datagram transport: the codec's frame in one Buffer, one datagram. */
export function datagramEncoderFor(codec: Codec): WireEncoder {
  let encoder = datagramEncoders.get(codec);
  if (!encoder) {
    encoder = {
      encode: (message) => codec.encode(message),
      encodeParts: wholeFrame(codec),
      encodeRaw: rawBytes,
    };
    datagramEncoders.set(codec, encoder);
  }
  return encoder;
}
