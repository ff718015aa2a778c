import { InvalidMessageError, InvalidOptionError } from '../errors.js';
import { integerOption } from '../util/validate.js';
import type { ChunkList } from './chunk-list.js';
import { DEFAULT_MAX_FRAME_BYTES, type Codec, type CodecOptions, type Decoder } from './codec.js';

/**
 * Frames of one size, agreed in advance (Netty's FixedLengthFrameDecoder): fixed-size records,
 * sensor readings, game ticks.
 *
 * ```text
 * +------------------+------------------+------------------+
 * |  frameBytes (N)  |  frameBytes (N)  |  frameBytes (N)  | ...
 * +------------------+------------------+------------------+
 * ```
 *
 * Nothing on the wire marks a frame: the codec counts. `encode` refuses a message of another size
 * and passes a Buffer of the right size through without copying.
 */
export interface FixedLengthCodecOptions extends CodecOptions {
  /** The size of every frame, in bytes; required, from 1 to `maxFrameBytes`. */
  frameBytes: number;
}

export const FIXED_LENGTH_DEFAULTS = {
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
} as const satisfies Required<Omit<FixedLengthCodecOptions, 'frameBytes'>>;

export class FixedLengthCodec implements Codec<Buffer, Buffer | Uint8Array | string> {
  readonly name: string;
  /** Equal to `frameBytes`: no frame is larger. */
  readonly maxFrameBytes: number;
  readonly frameBytes: number;

  constructor(options: FixedLengthCodecOptions) {
    if (options === null || typeof options !== 'object') {
      throw new InvalidOptionError('options', options, 'an object with frameBytes');
    }
    const o = { ...FIXED_LENGTH_DEFAULTS, ...options };
    const limit = integerOption('maxFrameBytes', o.maxFrameBytes, 1);
    this.frameBytes = integerOption('frameBytes', o.frameBytes, 1, limit);
    this.maxFrameBytes = this.frameBytes;
    this.name = `fixed${this.frameBytes}`;
  }

  createDecoder(): Decoder<Buffer> {
    return this;
  }

  /** Stateless, so the codec is its own decoder. */
  decode(input: ChunkList): Buffer | undefined {
    return input.length < this.frameBytes ? undefined : input.take(this.frameBytes);
  }

  encode(message: Buffer | Uint8Array | string): Buffer {
    const size = typeof message === 'string' ? Buffer.byteLength(message) : message.length;
    if (size !== this.frameBytes) {
      throw new InvalidMessageError(`a frame is exactly ${this.frameBytes} bytes, this message is ${size}`);
    }
    if (typeof message === 'string') return Buffer.from(message);
    const bytes = message;
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}
