import { FrameTooLargeError } from '../errors.js';
import { integerOption } from '../util/validate.js';
import type { ChunkList } from './chunk-list.js';
import { DEFAULT_MAX_FRAME_BYTES, type Codec, type CodecOptions, type Decoder } from './codec.js';

/**
 * No framing: whatever bytes have arrived are the next message. For proxies, tunnels and streams
 * whose framing lives elsewhere; message boundaries are wherever the network cut the stream.
 *
 * ```text
 * read 1            read 2        read 3
 * +-----------------+-------------+---------------------+
 * |    message      |   message   |       message       | ...
 * +-----------------+-------------+---------------------+
 *   (more than maxFrameBytes at once: several messages of at most maxFrameBytes)
 * ```
 *
 * A message is a view of the received chunk when it is one chunk; bytes that piled up while
 * reading was paused come out joined, in one copy. `encode` passes Buffers through as they are.
 */
export type RawCodecOptions = CodecOptions;

export const RAW_DEFAULTS = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
} as const satisfies Required<RawCodecOptions>;

export class RawCodec implements Codec<Buffer, Buffer | Uint8Array | string> {
  readonly name = 'raw';
  readonly maxFrameBytes: number;

  constructor(options: RawCodecOptions = {}) {
    const o = { ...RAW_DEFAULTS, ...options };
    this.maxFrameBytes = integerOption('maxFrameBytes', o.maxFrameBytes, 1);
  }

  createDecoder(): Decoder<Buffer> {
    return this;
  }

  /** Stateless, so the codec is its own decoder. */
  decode(input: ChunkList): Buffer | undefined {
    const available = input.length;
    return available === 0 ? undefined : input.take(Math.min(available, this.maxFrameBytes));
  }

  encode(message: Buffer | Uint8Array | string): Buffer {
    const size = typeof message === 'string' ? Buffer.byteLength(message) : message.length;
    if (size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
    if (typeof message === 'string') return Buffer.from(message);
    return Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  }
}
