import type { MessageCodec } from '../../codec/message-codec.js';
import type { WireEncoder } from '../../codec/wire-encoder.js';
import { Opcode } from './constants.js';
import { writeFrame, writeFrameInto, writeFrameParts } from './frame-writer.js';
import { randomMask } from './mask.js';

/**
 * A WebSocket connection's wire encoder: the message codec's output in one complete frame (text
 * for a string, binary for bytes).
 *
 * Server frames are unmasked and the same for every peer, so one encoder per message codec is
 * shared by all the connections that use it ({@link serverEncoderFor}) and a broadcast frames
 * each message once. A client masks every frame with a fresh random key (RFC 6455 §5.3), so its
 * frames cannot be shared and each client connection has its own.
 */
export class WebSocketEncoder implements WireEncoder {
  constructor(
    readonly codec: MessageCodec,
    readonly masked: boolean,
  ) {}

  encode(message: unknown): Buffer {
    return this.frameOf(this.codec.encode(message));
  }

  /** Unmasked (a server's) frames of bytes keep their payload as a view; a client's are masked, so copied. */
  encodeParts(message: unknown, out: Buffer[]): number {
    const payload = this.codec.encode(message);
    const opcode = typeof payload === 'string' ? Opcode.Text : Opcode.Binary;
    if (this.masked) {
      const frame = writeFrame(opcode, payload, randomMask());
      out.push(frame);
      return frame.length;
    }
    return writeFrameParts(opcode, payload, out);
  }

  /** A raw send: a string as a text frame, bytes as a binary frame, bypassing the codec. */
  encodeRaw(data: Buffer | Uint8Array | string): Buffer {
    return this.frameOf(data);
  }

  private frameOf(payload: string | Uint8Array): Buffer {
    const opcode = typeof payload === 'string' ? Opcode.Text : Opcode.Binary;
    return this.masked ? writeFrame(opcode, payload, randomMask()) : writeFrame(opcode, payload);
  }
}

/**
 * A server's encoder: its frames are written into the turn's output (output-slab.ts) like a byte
 * stream's. A method of its own class, not a field set per instance, so that the send path's call
 * is to a known function (a client masks each frame with its own key and keeps to encodeParts).
 */
class ServerWebSocketEncoder extends WebSocketEncoder {
  constructor(codec: MessageCodec) {
    super(codec, false);
  }

  encodeInto(message: unknown, target: Buffer, at: number, end: number): number {
    const payload = this.codec.encode(message);
    return writeFrameInto(typeof payload === 'string' ? Opcode.Text : Opcode.Binary, payload, target, at, end);
  }
}

const shared = new WeakMap<MessageCodec, WebSocketEncoder>();

/** The one server-side (unmasked) encoder of a message codec. */
export function serverEncoderFor(codec: MessageCodec): WebSocketEncoder {
  let encoder = shared.get(codec);
  if (!encoder) {
    encoder = new ServerWebSocketEncoder(codec);
    shared.set(codec, encoder);
  }
  return encoder;
}
