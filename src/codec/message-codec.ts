import { toJsonText } from './json-text.js';
import { InvalidJsonError, InvalidMessageError, InvalidUtf8Error } from '../errors.js';

/**
 * A codec for transports that already frame messages (WebSocket): it maps one whole transport
 * message to one application message and back. It never sees partial data, so unlike a
 * {@link Codec} it has no decoder state and no frame size of its own (the connection's
 * `maxReceiveBufferSize` bounds a message before it is decoded).
 *
 * ```text
 *  WebSocket message          MessageCodec.decode          application message
 *  text frame(s)   ──▶ string ────────────────────────────▶ anything
 *  binary frame(s) ──▶ Buffer ────────────────────────────▶ anything
 *
 *  application message ──▶ MessageCodec.encode ──▶ string     ──▶ text frame
 *                                              └─▶ Uint8Array ──▶ binary frame
 * ```
 *
 * One codec object is shared by every connection of an endpoint; broadcasts are encoded once per
 * codec, so `encode` must not depend on the connection.
 */
export interface MessageCodec<In = unknown, Out = In> {
  /** Short name, for logs and for grouping broadcast targets that share an encoding. */
  readonly name: string;
  /**
   * One received message: text as a string (already checked to be valid UTF-8), binary as a
   * Buffer (a view; copy it to keep it beyond the handler if memory matters). Throws a
   * {@link DecodeError} for data the application cannot accept; the connection is then closed
   * with code 1007.
   */
  decode(data: string | Buffer): In;
  /**
   * The wire form of one message: a string is sent as a text frame, bytes as a binary frame.
   * Throws {@link InvalidMessageError} for what it cannot represent; `send()` then fails with
   * `sendFail` code `encodeFailed`.
   */
  encode(message: Out): string | Uint8Array;
}

/**
 * The default WebSocket codec: messages keep their kind. A text message arrives as a string and
 * a binary one as a Buffer; `send(string)` writes a text frame and `send(Buffer | Uint8Array |
 * ArrayBuffer)` a binary one. Anything else is refused (use {@link JsonMessageCodec} for objects).
 */
export class TextBinaryMessageCodec implements MessageCodec<string | Buffer, string | Uint8Array | ArrayBuffer> {
  readonly name = 'text-binary';

  decode(data: string | Buffer): string | Buffer {
    return data;
  }

  encode(message: string | Uint8Array | ArrayBuffer): string | Uint8Array {
    if (typeof message === 'string' || message instanceof Uint8Array) return message;
    if (message instanceof ArrayBuffer) return new Uint8Array(message);
    throw new InvalidMessageError(
      `the text-binary codec sends strings and bytes, not ${message === null ? 'null' : typeof message}; configure a message codec (JsonMessageCodec) for other values`,
    );
  }
}

/**
 * JSON values, one per WebSocket message, sent as text frames. A binary message is read as
 * UTF-8 JSON text too. Invalid JSON is a {@link DecodeError} `ERR_INVALID_JSON` (the connection
 * closes with 1007); `encode` refuses what JSON cannot hold (`undefined`, a function, a bigint,
 * a cycle) with `ERR_INVALID_MESSAGE`.
 */
export class JsonMessageCodec<T = unknown> implements MessageCodec<T> {
  readonly name = 'json';

  /** `T` is what you declare, not what is checked: a peer can send any JSON, so validate it. */
  decode(data: string | Buffer): T {
    const text = typeof data === 'string' ? data : utf8(data);
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new InvalidJsonError(`message of ${text.length} characters is not JSON: ${(error as Error).message}`, { cause: error });
    }
  }

  encode(message: T): string {
    return toJsonText(message);
  }
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function utf8(bytes: Buffer): string {
  try {
    return fatalUtf8.decode(bytes);
  } catch (error) {
    throw new InvalidUtf8Error(`binary message of ${bytes.length} bytes is not UTF-8 JSON text`, { cause: error });
  }
}

/** The codec a WebSocket endpoint or client uses when it names none. Shared: it keeps no state. */
export const DEFAULT_MESSAGE_CODEC: MessageCodec = new TextBinaryMessageCodec() as MessageCodec;
