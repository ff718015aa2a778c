import type { MessageCodec } from '../../codec/message-codec.js';
import type { WireEncoder } from '../../connection/wire-encoder.js';
import { Opcode } from './constants.js';
import { writeFrame } from './frame-writer.js';
import { randomMask } from './mask.js';

/**
 * The wire encoder of server-side WebSocket connections: the message codec's output in one
 * complete, unmasked frame (text for a string, binary for bytes). Server frames are the same for
 * every peer, so one encoder per message codec is shared by all the connections that use it, and
 * a broadcast frames each message once.
 */
export class WebSocketEncoder implements WireEncoder {
  constructor(readonly codec: MessageCodec) {}

  encode(message: unknown): Buffer {
    return frameOf(this.codec.encode(message));
  }

  /** A raw send: a string as a text frame, bytes as a binary frame, bypassing the codec. */
  encodeRaw(data: Buffer | Uint8Array | string): Buffer {
    return frameOf(data);
  }
}

function frameOf(payload: string | Uint8Array): Buffer {
  return writeFrame(typeof payload === 'string' ? Opcode.Text : Opcode.Binary, payload);
}

const shared = new WeakMap<MessageCodec, WebSocketEncoder>();

/** The one server-side encoder of a message codec. */
export function serverEncoderFor(codec: MessageCodec): WebSocketEncoder {
  let encoder = shared.get(codec);
  if (!encoder) {
    encoder = new WebSocketEncoder(codec);
    shared.set(codec, encoder);
  }
  return encoder;
}

/**
 * A client's encoder: every frame masked with a fresh random key (RFC 6455 §5.3), so frames
 * cannot be shared and each client connection has its own.
 */
export class MaskingWebSocketEncoder implements WireEncoder {
  constructor(readonly codec: MessageCodec) {}

  encode(message: unknown): Buffer {
    return maskedFrameOf(this.codec.encode(message));
  }

  encodeRaw(data: Buffer | Uint8Array | string): Buffer {
    return maskedFrameOf(data);
  }
}

function maskedFrameOf(payload: string | Uint8Array): Buffer {
  return writeFrame(typeof payload === 'string' ? Opcode.Text : Opcode.Binary, payload, randomMask());
}
