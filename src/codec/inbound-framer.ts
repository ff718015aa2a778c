// Keyed by symbols, so that a connection can be its framer's sink without these becoming its public API.
export const deliverMessage: unique symbol = Symbol('switchboard.deliverMessage');
export const mayDeliver: unique symbol = Symbol('switchboard.mayDeliver');
export const resumeFraming: unique symbol = Symbol('switchboard.resumeFraming');
export const framingFailed: unique symbol = Symbol('switchboard.framingFailed');

/** Where an inbound framer hands whole messages: the connection. */
export interface FramerSink {
  [deliverMessage](message: unknown): void;
  /** Asked before each message: false (paused, closing) stops `run()` until it is called again. */
  [mayDeliver](): boolean;
  /** The framer has more to hand up after `run()` returned (an inflated message): run it again. */
  [resumeFraming](): void;
  /** The input can never be a message, found outside `run()` (an inflation that completed later). */
  [framingFailed](error: unknown): void;
}

/**
 * Turns what a link receives into whole messages: a stream codec's decoder over received chunks
 * ({@link StreamFramer}), one datagram at a time ({@link DatagramFramer}), or WebSocket frames and
 * their message codec (the WebSocket link is its own framer).
 */
export interface InboundFramer {
  /**
   * Takes received bytes (or one datagram). `readBufferSize` is the connection's: a byte stream
   * cuts a larger read into views of that size, so one burst is decoded in bounded steps.
   */
  push(chunk: Buffer, readBufferSize: number): void;
  /**
   * Hands every whole message to the sink, while it may deliver; returns how many units (messages,
   * frames) it consumed. Throws a `DecodeError` when the input can never be a message.
   */
  run(sink: FramerSink): number;
  /** The peer has finished sending: a last message made of leftovers, if the codec has one. */
  finish(sink: FramerSink): void;
  /** Bytes held while a message is incomplete. */
  readonly bufferedBytes: number;
  /** Buffers held (each costs more than its bytes). */
  readonly bufferedChunks: number;
  /**
   * Whether a decode failure leaves later input readable (each datagram stands alone), so the
   * connection reports it and goes on; on a byte stream it cannot know where the next frame starts.
   * (A getter in the implementations: a constant costs no field per connection.)
   */
  readonly recoversFromDecodeFail: boolean;
  /** Drops everything held. */
  clear(): void;
  /** The largest message the framer may assemble changed (the connection's receive limit). */
  setMaxMessageBytes(bytes: number): void;
}
