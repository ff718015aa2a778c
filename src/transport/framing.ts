import type { Codec } from '../codec/codec.js';
import type { InboundFramer } from '../codec/inbound-framer.js';
import type { MessageCodec } from '../codec/message-codec.js';
import { DatagramFramer } from '../codec/datagram-framer.js';
import { StreamFramer } from '../codec/stream-framer.js';
import { datagramEncoderFor, streamEncoderFor, type WireEncoder } from '../codec/wire-encoder.js';
import type { Link } from './link.js';

/** The limits a framer is made with (the connection's). */
export interface FramerLimits {
  readonly readBufferSize: number;
  readonly maxReceiveBufferSize: number;
  readonly maxSendBufferSize: number;
}

/**
 * How an endpoint's (or a client's) connections turn messages into what their links carry and
 * back: the codec users see, the outbound encoder, and the inbound framer each connection makes
 * on its first bytes. Shared by every connection of the endpoint.
 */
export interface Framing {
  readonly codec: Codec | MessageCodec;
  readonly encoder: WireEncoder;
  readonly framer: (link: Link, limits: FramerLimits) => InboundFramer;
}

const streamFramings = new WeakMap<Codec, Framing>();

/**
 * A byte stream's framing: the codec's frames out, the codec's decoder over received chunks in.
 * The same for TCP, TLS and Unix sockets: shared, so that a broadcast frames its message once
 * for all of them.
 */
export function streamFraming(codec: Codec): Framing {
  let framing = streamFramings.get(codec);
  if (!framing) {
    framing = {
      codec,
      encoder: streamEncoderFor(codec),
      framer: () => new StreamFramer(codec),
    };
    streamFramings.set(codec, framing);
  }
  return framing;
}

/**
 * A datagram link's framing: the codec's frame is one datagram; each datagram received is one
 * message, at most `maxBytes` (and the codec's `maxFrameBytes`). Made once per endpoint or client.
 */
export function datagramFraming(codec: Codec, maxBytes: number): Framing {
  const limit = Math.min(codec.maxFrameBytes, maxBytes);
  return {
    codec,
    encoder: datagramEncoderFor(codec),
    framer: () => new DatagramFramer(codec, limit),
  };
}
