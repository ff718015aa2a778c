import { InvalidMessageError } from '../errors.js';
import { integerOption, oneOfOption } from '../util/validate.js';
import type { ChunkList } from './chunk-list.js';
import { DEFAULT_MAX_FRAME_BYTES, type Codec, type CodecOptions, type Decoder } from './codec.js';
import { bodyWithRoomFor, DelimiterDecoder } from './delimiter-codec.js';
import { decodeUtf8 } from './utf8.js';

/**
 * Lines of UTF-8 text: chat and command protocols, telnet-style consoles, NDJSON under
 * {@link JsonCodec}.
 *
 * ```text
 * +---------------------------+------+----------------+------+
 * | UTF-8 text (no eol in it) | eol  | UTF-8 text     | eol  | ...
 * +---------------------------+------+----------------+------+
 * |<-- frame: at most maxFrameBytes, eol included -->|
 *
 * eol 'lf':   "\n"   (decoding also drops a '\r' before it, so CRLF peers are understood)
 * eol 'crlf': "\r\n" (a bare '\n' is part of the line)
 * ```
 *
 * Invalid UTF-8 fails with `ERR_INVALID_UTF8`; `maxFrameBytes` bytes without an end of line fail
 * at once with `ERR_FRAME_TOO_LARGE`. At the end of the stream, a last line without its end of
 * line is delivered. A byte-order mark is kept, not stripped, so that lines round-trip.
 */
export interface LineCodecOptions extends CodecOptions {
  /** The end of line written by `encode` and looked for by `decode`. @default 'lf' */
  eol?: 'lf' | 'crlf';
}

export const LINE_DEFAULTS = {
  eol: 'lf',
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
} as const satisfies Required<LineCodecOptions>;

const LF = Buffer.from('\n');
const CRLF = Buffer.from('\r\n');
const CR_BYTE = 0x0d;

export class LineCodec implements Codec<string, string | Buffer | Uint8Array> {
  readonly name: string;
  readonly maxFrameBytes: number;
  readonly eol: 'lf' | 'crlf';
  private readonly eolBytes: Buffer;

  constructor(options: LineCodecOptions = {}) {
    const o = { ...LINE_DEFAULTS, ...options };
    this.eol = oneOfOption('eol', o.eol, ['lf', 'crlf'] as const);
    this.eolBytes = this.eol === 'lf' ? LF : CRLF;
    this.maxFrameBytes = integerOption('maxFrameBytes', o.maxFrameBytes, this.eolBytes.length);
    this.name = `line-${this.eol}`;
  }

  createDecoder(): Decoder<string> {
    return new LineDecoder(new DelimiterDecoder([this.eolBytes], false, this.maxFrameBytes), this.eol === 'lf');
  }

  /**
   * The line followed by the end of line. Bytes are taken as UTF-8 as they are. A line holding
   * the end of line (with 'lf': any '\n', or a '\r' at its end) is refused.
   */
  encode(message: string | Buffer | Uint8Array): Buffer {
    const { out, size } = bodyWithRoomFor(message, this.eolBytes.length, this.maxFrameBytes);
    const line = out.subarray(0, size);
    const inside = line.indexOf(this.eol === 'lf' ? LF : CRLF);
    if (inside !== -1) throw new InvalidMessageError(`line holds an end of line at byte ${inside}`);
    if (this.eol === 'lf' && size > 0 && line[size - 1] === CR_BYTE) {
      throw new InvalidMessageError(`line ends with '\\r', which decoding would drop`);
    }
    out.set(this.eolBytes, size);
    return out;
  }
}

class LineDecoder implements Decoder<string> {
  constructor(
    private readonly lines: DelimiterDecoder,
    /** With eol 'lf', a '\r' before the '\n' is dropped too. */
    private readonly dropCr: boolean,
  ) {}

  decode(input: ChunkList): string | undefined {
    const bytes = this.lines.decode(input);
    return bytes === undefined ? undefined : this.text(bytes);
  }

  /** The last line, when the peer ended without an end of line after it. */
  decodeEnd(input: ChunkList): string | undefined {
    const line = this.decode(input);
    if (line !== undefined || input.length === 0) return line;
    return this.text(input.takeAll());
  }

  private text(bytes: Buffer): string {
    const end = bytes.length;
    return decodeUtf8(this.dropCr && end > 0 && bytes[end - 1] === CR_BYTE ? bytes.subarray(0, end - 1) : bytes, 'line');
  }
}
