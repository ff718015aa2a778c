import { FrameTooLargeError, InvalidMessageError, InvalidOptionError } from '../errors.js';
import { booleanOption, integerOption } from '../util/validate.js';
import type { ChunkList } from './chunk-list.js';
import { DEFAULT_MAX_FRAME_BYTES, type Codec, type CodecOptions, type Decoder } from './codec.js';

/** A delimiter given as bytes or as a UTF-8 string. */
export type DelimiterBytes = Buffer | Uint8Array | string;

/**
 * Frames that end with a delimiter (Netty's DelimiterBasedFrameDecoder).
 *
 * ```text
 * +-------------------------------+-----------+-------------------+-----------+
 * |            message            | delimiter |      message      | delimiter | ...
 * +-------------------------------+-----------+-------------------+-----------+
 * |<-------- frame: at most maxFrameBytes --->|
 *
 * keepDelimiter: the message ends with its delimiter; otherwise the delimiter is dropped
 * back-to-back delimiters: an empty message between them
 * ```
 *
 * A frame counts its delimiter: once `maxFrameBytes` bytes have arrived without a complete
 * delimiter, decoding fails at once with {@link FrameTooLargeError}, without waiting for the end of
 * the stream.
 *
 * Several delimiters: a frame ends at the earliest, the longest on a tie (`['\r\n', '\n']` reads
 * `a\r\n` as `a`); when a longer or earlier one could still be completed by bytes not yet
 * received, decoding waits for them, so the frames never depend on how the stream was cut.
 * `encode` appends the first, which therefore must not begin another alternative.
 */
export interface DelimiterCodecOptions extends CodecOptions {
  /** The end-of-frame marker, or several alternatives. Strings are UTF-8. @default '\n' */
  delimiter?: DelimiterBytes | readonly DelimiterBytes[];
  /** Deliver each message with its delimiter at the end. @default false */
  keepDelimiter?: boolean;
}

export const DELIMITER_DEFAULTS = {
  delimiter: '\n',
  keepDelimiter: false,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
} as const satisfies Required<DelimiterCodecOptions>;

export class DelimiterCodec implements Codec<Buffer, Buffer | Uint8Array | string> {
  readonly name: string;
  readonly maxFrameBytes: number;
  /** The alternatives, longest first (so that the longest wins a tie); never empty. */
  readonly delimiters: readonly Buffer[];
  /** The delimiter `encode` appends: the first one given. */
  readonly encodeDelimiter: Buffer;
  readonly keepDelimiter: boolean;

  constructor(options: DelimiterCodecOptions = {}) {
    const o = { ...DELIMITER_DEFAULTS, ...options };
    const given = delimiterList('delimiter', o.delimiter);
    const first = given[0]!;
    if (given.some((d) => d.length > first.length && d.subarray(0, first.length).equals(first))) {
      // A peer reading `first` + the next message could see the longer one instead.
      throw new InvalidOptionError('delimiter', o.delimiter, 'a list whose first delimiter (the one encode writes) begins no other');
    }
    this.encodeDelimiter = first;
    this.delimiters = [...given].sort((a, b) => b.length - a.length);
    this.keepDelimiter = booleanOption('keepDelimiter', o.keepDelimiter);
    this.maxFrameBytes = integerOption('maxFrameBytes', o.maxFrameBytes, first.length);
    this.name = `delimiter(${given.map((d) => d.toString('hex')).join('|')})`;
  }

  createDecoder(): Decoder<Buffer> {
    return new DelimiterDecoder(this.delimiters, this.keepDelimiter, this.maxFrameBytes);
  }

  /**
   * The message followed by the delimiter. A message the peer would cut elsewhere is refused:
   * one holding a delimiter, or ending in bytes that start one.
   */
  encode(message: Buffer | Uint8Array | string): Buffer {
    const { out, size } = bodyWithRoomFor(message, this.encodeDelimiter.length, this.maxFrameBytes);
    const frame = out.length;
    this.encodeDelimiter.copy(out, size);
    for (const delimiter of this.delimiters) {
      const at = out.indexOf(delimiter);
      if (at !== -1 && at < size) {
        throw new InvalidMessageError(`message holds the delimiter 0x${delimiter.toString('hex')} at byte ${at}`);
      }
      // One starting in the message and running past the end of the frame.
      for (let q = Math.max(0, frame - delimiter.length + 1); q < size; q++) {
        if (out.subarray(q).equals(delimiter.subarray(0, frame - q))) {
          throw new InvalidMessageError(`message ends with the start of the delimiter 0x${delimiter.toString('hex')}`);
        }
      }
    }
    return out;
  }
}

/**
 * The per-connection state of a delimiter search. For each alternative it remembers up to where
 * the buffered bytes hold no match, so every read searches only what is new (plus a delimiter's
 * length of overlap), however many reads a long frame takes.
 *
 * It belongs to one input stream: the bytes before a remembered position must not change except
 * by this decoder consuming them (a connection clears its input only when it gives up on it).
 */
export class DelimiterDecoder implements Decoder<Buffer> {
  /** Per alternative: no complete match of it starts before this position of the input. */
  private readonly clearUpTo: number[];
  /** Per alternative: whether a complete match starts exactly at `clearUpTo`. */
  private readonly found: boolean[];

  constructor(
    /** Longest first. */
    private readonly delimiters: readonly Buffer[],
    private readonly keepDelimiter: boolean,
    private readonly maxFrameBytes: number,
  ) {
    this.clearUpTo = delimiters.map(() => 0);
    this.found = delimiters.map(() => false);
  }

  decode(input: ChunkList): Buffer | undefined {
    return this.next(input, false);
  }

  /** At the end of the stream no delimiter can still be completed: a frame held back for one is due. */
  decodeEnd(input: ChunkList): Buffer | undefined {
    return this.next(input, true);
  }

  private next(input: ChunkList, ended: boolean): Buffer | undefined {
    const length = input.length;
    let best = -1;
    let bestAt = Infinity;
    for (let k = 0; k < this.delimiters.length; k++) {
      const delimiter = this.delimiters[k]!;
      let at = this.clearUpTo[k]!;
      if (at + (this.found[k] ? delimiter.length : 0) > length) {
        // The input was replaced under us: search it afresh.
        at = 0;
        this.found[k] = false;
      }
      // No need to search when even a match at `at` could not come first.
      if (!this.found[k] && at < bestAt) {
        const hit = input.indexOf(delimiter, at);
        if (hit === -1) {
          at = Math.max(at, length - delimiter.length + 1);
        } else {
          at = hit;
          this.found[k] = true;
        }
      }
      this.clearUpTo[k] = at;
      // Strictly earlier wins: the alternatives are sorted longest first.
      if (this.found[k] && at < bestAt) {
        best = k;
        bestAt = at;
      }
    }

    if (best === -1) {
      // No delimiter in `length` bytes: this frame is longer than that, whatever comes next.
      if (length >= this.maxFrameBytes) throw new FrameTooLargeError(length + 1, this.maxFrameBytes);
      return undefined;
    }
    const delimiterBytes = this.delimiters[best]!.length;
    const frame = bestAt + delimiterBytes;
    if (!ended && this.delimiters.length > 1 && this.mayStillMatch(input, bestAt)) return undefined;
    if (frame > this.maxFrameBytes) throw new FrameTooLargeError(frame, this.maxFrameBytes);

    let message: Buffer;
    if (this.keepDelimiter) {
      message = input.take(frame);
    } else {
      message = input.take(bestAt);
      input.skip(delimiterBytes);
    }
    this.consumed(frame);
    return message;
  }

  /**
   * Whether some alternative starting at or before `at` matches every byte from there to the end
   * of the input but needs more: then it could yet end the frame earlier, or longer, than the
   * match at `at`.
   */
  private mayStillMatch(input: ChunkList, at: number): boolean {
    const length = input.length;
    for (const delimiter of this.delimiters) {
      for (let q = Math.max(0, length - delimiter.length + 1); q <= at && q < length; q++) {
        let k = 0;
        while (q + k < length && input.byteAt(q + k) === delimiter[k]) k++;
        if (q + k === length) return true;
      }
    }
    return false;
  }

  /** Shifts what is known past the consumed frame; what lay inside it must be searched again. */
  private consumed(frame: number): void {
    for (let k = 0; k < this.clearUpTo.length; k++) {
      const at = this.clearUpTo[k]!;
      if (at >= frame) {
        this.clearUpTo[k] = at - frame;
      } else {
        this.clearUpTo[k] = 0;
        this.found[k] = false;
      }
    }
  }
}

function delimiterList(name: string, value: unknown): Buffer[] {
  const list = Array.isArray(value) ? (value as unknown[]) : [value];
  if (list.length === 0) throw new InvalidOptionError(name, value, 'a delimiter or a non-empty list of them');
  return list.map((item) => {
    // A copy: the caller changing its Buffer later must not change the framing.
    const bytes = typeof item === 'string' ? Buffer.from(item) : item instanceof Uint8Array ? Buffer.from(item) : undefined;
    if (bytes === undefined || bytes.length === 0) {
      throw new InvalidOptionError(name, item, 'a non-empty Buffer, Uint8Array or string');
    }
    return bytes;
  });
}

/**
 * A frame buffer holding `message` (UTF-8 for a string) with `trailerBytes` left after it for a
 * delimiter or end of line; FrameTooLargeError when the whole frame would pass `maxFrameBytes`.
 */
export function bodyWithRoomFor(message: Buffer | Uint8Array | string, trailerBytes: number, maxFrameBytes: number): { out: Buffer; size: number } {
  const size = typeof message === 'string' ? Buffer.byteLength(message) : message.length;
  const frame = size + trailerBytes;
  if (frame > maxFrameBytes) throw new FrameTooLargeError(frame, maxFrameBytes);
  const out = Buffer.allocUnsafe(frame);
  if (typeof message === 'string') out.write(message, 0);
  else out.set(message, 0);
  return { out, size };
}
