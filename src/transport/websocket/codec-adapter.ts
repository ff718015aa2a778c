import type { Codec, Decoder } from '../../codec/codec.js';
import type { MessageCodec } from '../../codec/message-codec.js';

/**
 * A WebSocket connection's `codec`, seen through the byte-stream {@link Codec} interface every
 * Connection exposes: `encode` gives the message's payload bytes. Its decoder is never fed: the
 * WebSocket connection parses frames itself and hands whole messages to the message codec.
 */
export interface WebSocketCodec extends Codec {
  readonly messageCodec: MessageCodec;
}

const idleDecoder: Decoder = { decode: () => undefined };
const adapters = new WeakMap<MessageCodec, WebSocketCodec>();

export function codecFor(messageCodec: MessageCodec): WebSocketCodec {
  let codec = adapters.get(messageCodec);
  if (!codec) {
    codec = {
      name: `websocket-${messageCodec.name}`,
      // The bound is the connection's maxReceiveBufferSize, checked from each frame header.
      maxFrameBytes: Number.MAX_SAFE_INTEGER,
      messageCodec,
      createDecoder: () => idleDecoder,
      encode: (message) => {
        const payload = messageCodec.encode(message);
        return typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
      },
    };
    adapters.set(messageCodec, codec);
  }
  return codec;
}
