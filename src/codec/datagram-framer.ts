import { ChunkList } from './chunk-list.js';
import type { Codec, Decoder } from './codec.js';
import { CorruptFrameError, FrameTooLargeError } from '../errors.js';
import { deliverMessage, mayDeliver, type FramerSink, type InboundFramer } from './inbound-framer.js';

const EMPTY = Buffer.alloc(0);
/**
 * One input list for every datagram framer: a datagram is decoded whole before its message is
 * delivered (no user code runs in between), so the list is free again each time, and the hot path
 * allocates no list per datagram.
 */
const scratch = new ChunkList();

/**
 * A datagram link's framer: one datagram is one message, the codec applied to it alone. A
 * datagram larger than `maxBytes` (the codec's `maxFrameBytes`, or the endpoint's maximum if
 * smaller) or that is not exactly one frame of the codec fails with a `DecodeError`; since each
 * datagram stands alone, the ones after it are still read (`recoversFromDecodeFail`). A datagram
 * of 0 bytes is one empty message (an empty Buffer), whatever the codec: no codec's frame is
 * 0 bytes long, and a peer may use it as a keep-alive.
 */
export class DatagramFramer implements InboundFramer {
  /** Datagrams received and not yet delivered (while paused); made when one has to wait. */
  private waiting: Buffer[] | undefined;
  private waitingBytes = 0;
  private readonly decoder: Decoder;

  constructor(
    private readonly codec: Codec,
    private readonly maxBytes: number,
  ) {
    this.decoder = codec.createDecoder();
  }

  get recoversFromDecodeFail(): boolean {
    return true;
  }

  get bufferedBytes(): number {
    return this.waitingBytes;
  }
  get bufferedChunks(): number {
    return this.waiting?.length ?? 0;
  }

  push(datagram: Buffer): void {
    (this.waiting ??= []).push(datagram);
    this.waitingBytes += datagram.length;
  }

  run(sink: FramerSink): number {
    const waiting = this.waiting;
    if (waiting === undefined) return 0;
    let delivered = 0;
    while (waiting.length > 0 && sink[mayDeliver]()) {
      const datagram = waiting.shift()!;
      this.waitingBytes -= datagram.length;
      delivered++;
      // Throws for a bad datagram, which is gone from the queue: the connection reports it and
      // runs the framer again for the rest.
      sink[deliverMessage](this.decodeOne(datagram));
    }
    if (waiting.length === 0) this.waiting = undefined;
    return delivered;
  }

  private decodeOne(datagram: Buffer): unknown {
    const size = datagram.length;
    if (size === 0) return EMPTY;
    if (size > this.maxBytes) throw new FrameTooLargeError(size, this.maxBytes);
    const input = scratch;
    input.push(datagram);
    try {
      const message = this.decoder.decode(input) ?? (this.decoder.decodeEnd ? this.decoder.decodeEnd(input) : undefined);
      if (message === undefined) throw new CorruptFrameError(`a datagram of ${size} bytes is not a whole ${this.codec.name} frame`);
      if (input.length > 0) throw new CorruptFrameError(`a datagram of ${size} bytes holds ${input.length} bytes after its ${this.codec.name} frame`);
      return message;
    } finally {
      input.clear();
    }
  }

  finish(): void {
    // Datagrams have no end of stream.
  }

  clear(): void {
    this.waiting = undefined;
    this.waitingBytes = 0;
  }

  setMaxMessageBytes(): void {
    // Bounded by maxBytes; the receive limit bounds datagrams waiting while paused.
  }
}
