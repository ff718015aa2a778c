import { CorruptFrameError, FrameTooLargeError, InvalidMessageError, InvalidOptionError } from '../errors.js';
import { booleanOption, integerOption, oneOfOption } from '../util/validate.js';
import type { ChunkList } from './chunk-list.js';
import { DEFAULT_MAX_FRAME_BYTES, type Codec, type CodecOptions, type Decoder } from './codec.js';

/**
 * Frames announced by a length field (Netty's LengthFieldBasedFrameDecoder).
 *
 * ```text
 *  lengthFieldOffset      lengthFieldBytes
 * |<---------------->|<----------------->|
 * +------------------+-------------------+----------------------------+
 * |   fixed header   |   length field    |            body            |
 * +------------------+-------------------+----------------------------+
 * |<------------- header -------------->|<-- value + lengthAdjustment -->|
 *
 * lengthIncludesHeader: the value counts the header too, so body = value + adjustment - header
 * keepHeader: the message is the whole frame; otherwise only the body
 * ```
 *
 * The default is the benchmark protocol of DESIGN.md: a 4-byte big-endian length, then the body.
 * A length announcing more than `maxFrameBytes` (header included) is rejected from the header
 * alone, before any byte of the body is buffered.
 */
export interface LengthFieldCodecOptions extends CodecOptions {
  /** Bytes of fixed header before the length field. @default 0 */
  lengthFieldOffset?: number;
  /** Width of the length field. @default 4 */
  lengthFieldBytes?: 1 | 2 | 4 | 8;
  /** Byte order of the length field. @default 'big' */
  endian?: 'big' | 'little';
  /** Read the field as a signed integer: a negative value is then a corrupt frame. @default false */
  signedLength?: boolean;
  /** Added to the field's value to get the body length (Netty's lengthAdjustment). @default 0 */
  lengthAdjustment?: number;
  /** The field's value counts the header (offset + field) as well as the body. @default false */
  lengthIncludesHeader?: boolean;
  /** Deliver the whole frame, header included, instead of the body alone. @default false */
  keepHeader?: boolean;
}

export const LENGTH_FIELD_DEFAULTS = {
  lengthFieldOffset: 0,
  lengthFieldBytes: 4,
  endian: 'big',
  signedLength: false,
  lengthAdjustment: 0,
  lengthIncludesHeader: false,
  keepHeader: false,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
} as const satisfies Required<LengthFieldCodecOptions>;

export class LengthFieldCodec implements Codec<Buffer, Buffer | Uint8Array | string> {
  readonly name: string;
  readonly maxFrameBytes: number;
  readonly lengthFieldOffset: number;
  readonly lengthFieldBytes: 1 | 2 | 4 | 8;
  readonly littleEndian: boolean;
  readonly signedLength: boolean;
  readonly lengthAdjustment: number;
  readonly lengthIncludesHeader: boolean;
  readonly keepHeader: boolean;
  /** lengthFieldOffset + lengthFieldBytes */
  readonly headerBytes: number;
  /** The largest value the length field holds (worked out once: `2 **` per frame showed in profiles). */
  private readonly maxFieldValue: number;

  constructor(options: LengthFieldCodecOptions = {}) {
    const o = { ...LENGTH_FIELD_DEFAULTS, ...options };
    this.lengthFieldOffset = integerOption('lengthFieldOffset', o.lengthFieldOffset, 0, 1 << 20);
    this.lengthFieldBytes = oneOfOption('lengthFieldBytes', o.lengthFieldBytes, [1, 2, 4, 8] as const);
    this.littleEndian = oneOfOption('endian', o.endian, ['big', 'little'] as const) === 'little';
    this.signedLength = booleanOption('signedLength', o.signedLength);
    this.lengthAdjustment = integerOption('lengthAdjustment', o.lengthAdjustment, -(2 ** 31), 2 ** 31);
    this.lengthIncludesHeader = booleanOption('lengthIncludesHeader', o.lengthIncludesHeader);
    this.keepHeader = booleanOption('keepHeader', o.keepHeader);
    this.maxFrameBytes = integerOption('maxFrameBytes', o.maxFrameBytes, 1);
    this.headerBytes = this.lengthFieldOffset + this.lengthFieldBytes;
    this.maxFieldValue = this.signedLength ? 2 ** (this.lengthFieldBytes * 8 - 1) - 1 : 2 ** (this.lengthFieldBytes * 8) - 1;
    if (this.maxFrameBytes < this.headerBytes) {
      throw new InvalidOptionError('maxFrameBytes', o.maxFrameBytes, `at least the header size ${this.headerBytes}`);
    }
    this.name = `length${this.lengthFieldBytes}${this.littleEndian ? 'le' : 'be'}`;
  }

  createDecoder(): Decoder<Buffer> {
    return this;
  }

  /** Stateless: everything it needs is in the input, so the codec is its own decoder. */
  decode(input: ChunkList): Buffer | undefined {
    const header = this.headerBytes;
    if (input.length < header) return undefined;
    const value = this.readLength(input);
    // Checked before the adjustment, as Netty does: a positive adjustment must not turn a
    // negative length into a plausible one.
    if (value < 0) throw new CorruptFrameError(`length field is negative (${value})`);
    const body = value + this.lengthAdjustment - (this.lengthIncludesHeader ? header : 0);
    if (body < 0) {
      throw new CorruptFrameError(`length field ${value} gives a body of ${body} bytes (header is ${header})`);
    }
    const frame = header + body;
    if (frame > this.maxFrameBytes) throw new FrameTooLargeError(frame, this.maxFrameBytes);
    if (input.length < frame) return undefined;
    if (this.keepHeader) return input.take(frame);
    return input.takeAfter(header, body);
  }

  /**
   * Frames a body. With `keepHeader`, the message is a whole frame (header with room for the
   * length field, then body) and only the length field is filled in.
   */
  encode(message: Buffer | Uint8Array | string): Buffer {
    // Sized and checked before allocating: the string may be far past the limit.
    const size = this.frameSize(message);
    const out = Buffer.allocUnsafe(size);
    this.writeFrameAt(message, out, 0, size);
    return out;
  }

  /**
   * A body of bytes is pushed as it is, after a header of its own: an echoed or relayed body stays
   * a view of the bytes received (DESIGN.md, "Performance direction"). A string, or a whole frame
   * with `keepHeader`, is encoded into one Buffer as `encode` does.
   */
  encodeParts(message: Buffer | Uint8Array | string, out: Buffer[]): number {
    if (typeof message === 'string' || this.keepHeader) {
      const frame = this.encode(message);
      out.push(frame);
      return frame.length;
    }
    const header = this.headerBytes;
    const frame = header + message.length;
    if (frame > this.maxFrameBytes) throw new FrameTooLargeError(frame, this.maxFrameBytes);
    const head = Buffer.allocUnsafe(header);
    if (this.lengthFieldOffset > 0) head.fill(0, 0, this.lengthFieldOffset);
    this.writeLength(head, message.length);
    out.push(head, Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength));
    return frame;
  }

  /**
   * Writes the frame into `target` from `at` when it fits before `end`, and returns its size
   * either way (nothing is written when it does not fit): how a connection packs a turn's small
   * frames into one output slab. Throws as `encode` does; bytes it may have written by then are
   * past the caller's frames and count for nothing.
   */
  encodeInto(message: Buffer | Uint8Array | string, target: Buffer, at: number, end: number): number {
    const size = this.frameSize(message);
    if (size <= end - at) this.writeFrameAt(message, target, at, size);
    return size;
  }

  /** The size of `message`'s frame, refused (as `encode` refuses it) past `maxFrameBytes` or, with `keepHeader`, shorter than a header. */
  private frameSize(message: Buffer | Uint8Array | string): number {
    const header = this.headerBytes;
    let size: number;
    if (typeof message === 'string') {
      size = header + Buffer.byteLength(message);
    } else if (this.keepHeader) {
      if (message.length < header) {
        throw new InvalidMessageError(`a frame needs at least ${header} header bytes, got ${message.length}`);
      }
      size = message.length;
    } else {
      size = header + message.length;
    }
    if (size > this.maxFrameBytes) throw new FrameTooLargeError(size, this.maxFrameBytes);
    return size;
  }

  /** Writes `message`'s frame of `size` bytes (from {@link frameSize}) into `target` from `at`. */
  private writeFrameAt(message: Buffer | Uint8Array | string, target: Buffer, at: number, size: number): void {
    const header = this.headerBytes;
    if (typeof message !== 'string' && this.keepHeader) {
      target.set(message, at);
      this.writeLength(target, size - header, at);
      return;
    }
    this.writeLength(target, size - header, at);
    if (this.lengthFieldOffset > 0) target.fill(0, at, at + this.lengthFieldOffset);
    if (typeof message === 'string') target.write(message, at + header);
    else target.set(message, at + header);
  }

  private readLength(input: ChunkList): number {
    const size = this.lengthFieldBytes;
    const unsigned = input.readUInt(this.lengthFieldOffset, size, this.littleEndian);
    if (!this.signedLength) return unsigned;
    if (size === 8) {
      // readUInt maps values past 2^53 to Infinity; the sign bit decides whether that is negative.
      const top = input.byteAt(this.lengthFieldOffset + (this.littleEndian ? 7 : 0));
      if (top & 0x80) return -1;
      return unsigned;
    }
    const bits = size * 8;
    const signBit = 2 ** (bits - 1);
    return unsigned >= signBit ? unsigned - 2 ** bits : unsigned;
  }

  /** Fills in the length field of a frame that starts at `start` of `out` (and checks the frame's size). */
  private writeLength(out: Buffer, bodyBytes: number, start = 0): void {
    const frame = this.headerBytes + bodyBytes;
    if (frame > this.maxFrameBytes) throw new FrameTooLargeError(frame, this.maxFrameBytes);
    const value = bodyBytes - this.lengthAdjustment + (this.lengthIncludesHeader ? this.headerBytes : 0);
    const max = this.maxFieldValue;
    if (value < 0 || value > max) {
      throw new FrameTooLargeError(frame, Math.min(this.maxFrameBytes, max + this.headerBytes));
    }
    const at = start + this.lengthFieldOffset;
    switch (this.lengthFieldBytes) {
      case 1:
        out[at] = value;
        break;
      case 2:
        if (this.littleEndian) out.writeUInt16LE(value, at);
        else out.writeUInt16BE(value, at);
        break;
      case 4:
        // Byte by byte: Buffer's writeUInt32* re-checks what was checked above, and showed in profiles.
        if (this.littleEndian) {
          out[at] = value;
          out[at + 1] = value >>> 8;
          out[at + 2] = value >>> 16;
          out[at + 3] = value >>> 24;
        } else {
          out[at] = value >>> 24;
          out[at + 1] = value >>> 16;
          out[at + 2] = value >>> 8;
          out[at + 3] = value;
        }
        break;
      case 8:
        if (this.littleEndian) out.writeBigUInt64LE(BigInt(value), at);
        else out.writeBigUInt64BE(BigInt(value), at);
        break;
    }
  }
}
