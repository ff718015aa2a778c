import { InvalidJsonError, InvalidOptionError } from '../errors.js';
import { oneOfOption } from '../util/validate.js';
import type { ChunkList } from './chunk-list.js';
import { DEFAULT_MAX_FRAME_BYTES, type Codec, type CodecOptions, type Decoder } from './codec.js';
import { toJsonText } from './json-text.js';
import { LengthFieldCodec, type LengthFieldCodecOptions } from './length-field-codec.js';
import { LineCodec } from './line-codec.js';
import { decodeUtf8 } from './utf8.js';

/**
 * JSON values, one per frame. Framed by lines (NDJSON, the default) or by a length field.
 *
 * ```text
 * framing 'line':
 * +--------------------------------+----+--------------------+----+
 * | {"type":"chat","text":"hi"}    | \n | [1,2,3]            | \n | ...
 * +--------------------------------+----+--------------------+----+
 *
 * framing 'length' (lengthField options as LengthFieldCodec; default 4-byte big endian):
 * +-------------------+--------------------------------+
 * | length (4 bytes)  | {"type":"chat","text":"hi"}    | ...
 * +-------------------+--------------------------------+
 * ```
 *
 * Any JSON value is a message, `null` included. With line framing, blank lines are skipped (a
 * keep-alive some peers send) and a '\r' before the '\n' is dropped. Errors: `ERR_INVALID_JSON`
 * (the parse error as `cause`), `ERR_INVALID_UTF8`, `ERR_FRAME_TOO_LARGE`, and from the length
 * field `ERR_CORRUPT_FRAME`. `encode` refuses what JSON cannot hold (`undefined`, a function, a
 * bigint, a cycle) with `ERR_INVALID_MESSAGE`.
 */
export interface JsonCodecOptions extends CodecOptions {
  /** How values are framed on the wire. @default 'line' */
  framing?: 'line' | 'length';
  /**
   * With framing 'length': the length field, as for {@link LengthFieldCodec} (`maxFrameBytes`
   * is this codec's own; the message is always the body alone). @default LENGTH_FIELD_DEFAULTS
   */
  lengthField?: Omit<LengthFieldCodecOptions, 'maxFrameBytes' | 'keepHeader'>;
}

export const JSON_DEFAULTS = {
  framing: 'line',
  lengthField: {},
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
} as const satisfies Required<JsonCodecOptions>;

/**
 * `T` types the messages (`new JsonCodec<Command>()`); it is declared, not checked: a peer can
 * send any JSON, so validate what arrives.
 */
export class JsonCodec<T = unknown> implements Codec<T> {
  readonly name: string;
  readonly maxFrameBytes: number;
  readonly framing: 'line' | 'length';
  /** The codec that frames the JSON text. */
  private readonly frames: LineCodec | LengthFieldCodec;

  constructor(options: JsonCodecOptions = {}) {
    const o = { ...JSON_DEFAULTS, ...options };
    this.framing = oneOfOption('framing', o.framing, ['line', 'length'] as const);
    if (this.framing === 'line') {
      if (options.lengthField !== undefined) {
        throw new InvalidOptionError('lengthField', options.lengthField, "absent unless framing is 'length'");
      }
      this.frames = new LineCodec({ maxFrameBytes: o.maxFrameBytes });
    } else {
      if (o.lengthField === null || typeof o.lengthField !== 'object') {
        throw new InvalidOptionError('lengthField', o.lengthField, 'an object of LengthFieldCodec options');
      }
      this.frames = new LengthFieldCodec({ ...o.lengthField, keepHeader: false, maxFrameBytes: o.maxFrameBytes });
    }
    this.maxFrameBytes = this.frames.maxFrameBytes;
    this.name = `json-${this.frames.name}`;
  }

  createDecoder(): Decoder<T> {
    return (this.frames instanceof LineCodec
      ? new JsonLineDecoder(this.frames.createDecoder())
      : new JsonLengthDecoder(this.frames.createDecoder())) as Decoder<T>;
  }

  encode(message: T): Buffer {
    const text = toJsonText(message);
    // JSON.stringify without indentation escapes every control character, so the text holds no
    // end of line for the line framing to trip on.
    return this.frames.encode(text);
  }
}

class JsonLineDecoder implements Decoder<unknown> {
  constructor(private readonly lines: Decoder<string>) {}

  decode(input: ChunkList): unknown {
    for (;;) {
      const line = this.lines.decode(input);
      if (line === undefined) return undefined;
      if (!isBlank(line)) return parse(line);
    }
  }

  decodeEnd(input: ChunkList): unknown {
    const line = this.lines.decodeEnd!(input);
    return line === undefined || isBlank(line) ? undefined : parse(line);
  }
}

class JsonLengthDecoder implements Decoder<unknown> {
  constructor(private readonly frames: Decoder<Buffer>) {}

  decode(input: ChunkList): unknown {
    const body = this.frames.decode(input);
    return body === undefined ? undefined : parse(decodeUtf8(body, 'JSON frame'));
  }
}

/** JSON's own whitespace: space, tab, CR, LF. */
function isBlank(text: string): boolean {
  return /^[ \t\r\n]*$/.test(text);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidJsonError(`frame of ${text.length} characters is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
