import type { ChunkList } from './chunk-list.js';

/**
 * `In` is what the decoder yields (the type of `message` events), `Out` what `encode` accepts (the
 * type `send` takes); they default to each other. A server or client given a `Codec<In, Out>`
 * types its connections' messages with them.
 *
 * A framing codec turns a byte stream into whole messages and messages into bytes. It knows
 * nothing of sockets. The contract is tokio-util's: `decode` returns one message, or `undefined`
 * when the input does not yet hold a whole frame; it consumes exactly the bytes of the frame it
 * returns and throws a {@link DecodeError} when the bytes can never be a frame.
 *
 * A codec object is shared by every connection that uses it; anything a decoder must remember
 * between reads lives in the {@link Decoder} that `createDecoder()` makes per connection.
 */
export interface Codec<In = unknown, Out = In> {
  /** Short name, for logs and for grouping broadcast targets that share an encoding. */
  readonly name: string;
  /** The largest frame this codec accepts or produces, in bytes. */
  readonly maxFrameBytes: number;
  createDecoder(): Decoder<In>;
  /**
   * The wire bytes of one message. Throws a {@link SwitchboardError} when the message cannot be
   * framed (too large for the length field, a delimiter inside a delimited message, ...).
   */
  encode(message: Out): Buffer;
  /**
   * Optional: the same frame as `encode`, pushed onto `out` as pieces written back to back, so
   * that a body passed through is not copied: a header of its own, then the caller's bytes as
   * they are (a view). Returns the bytes pushed. Throws as `encode` does, before pushing anything.
   * The caller must leave a body it passed unchanged until it is written (the turn's flush).
   */
  encodeParts?(message: Out, out: Buffer[]): number;
  /**
   * Optional: writes the frame of `message` into `target` from byte `at`, only when it fits
   * before `end`, and returns the frame's size whether it was written or not (the caller then
   * makes room, or falls back to `encodeParts`). How a connection packs a turn's small frames
   * into one output buffer: one copy each, one write for all of them. Throws as `encode` does.
   */
  encodeInto?(message: Out, target: Buffer, at: number, end: number): number;
}

/**
 * The type of the messages a codec decodes (what `message` events and async iteration carry).
 * `In` and `Out` may differ: a length-field codec decodes Buffers and encodes Buffers or strings.
 */
export type DecodedBy<C> = C extends { createDecoder(): Decoder<infer In> } ? In : unknown;
/** The type of the messages a codec encodes (what `send` accepts). */
export type EncodedBy<C> = C extends { encode(message: infer Out): unknown } ? Out : unknown;

export interface Decoder<Message = unknown> {
  /**
   * The next whole message from `input`, consuming its bytes, or `undefined` if more bytes are
   * needed. A message is never `undefined`. A frame inside one received chunk should come out as
   * a view of that chunk (`input.take(n)`), not a copy.
   */
  decode(input: ChunkList): Message | undefined;
  /**
   * Called once when the peer has finished sending, after `decode` has returned `undefined`.
   * Returns a last message made of the leftover bytes, if the codec has such a notion (a final
   * line without its newline); the default is to drop them.
   */
  decodeEnd?(input: ChunkList): Message | undefined;
}

/** The options every codec shares. */
export interface CodecOptions {
  /**
   * The largest frame accepted or produced, in bytes. A length field announcing more is rejected
   * from the header alone; a delimiter codec fails as soon as this many bytes arrive without one.
   * @default 8 MiB (DEFAULT_MAX_FRAME_BYTES)
   */
  maxFrameBytes?: number;
}

/** @see CodecOptions.maxFrameBytes */
export const DEFAULT_MAX_FRAME_BYTES = 8 * 1024 * 1024;
