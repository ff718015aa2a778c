import { ChunkList } from './chunk-list.js';
import type { Codec, Decoder } from './codec.js';
import { deliverMessage, mayDeliver, type FramerSink, type InboundFramer } from './inbound-framer.js';

/**
 * A byte stream's framer: received chunks in a {@link ChunkList} (never joined), a codec's decoder
 * taking whole frames out of it. Made on a connection's first read, so an idle connection holds none.
 */
export class StreamFramer implements InboundFramer {
  private readonly input = new ChunkList();
  private readonly decoder: Decoder;

  constructor(codec: Codec) {
    this.decoder = codec.createDecoder();
  }

  get recoversFromDecodeFail(): boolean {
    return false;
  }

  get bufferedBytes(): number {
    return this.input.length;
  }
  get bufferedChunks(): number {
    return this.input.chunkCount;
  }

  push(chunk: Buffer, step: number): void {
    if (chunk.length <= step) {
      this.input.push(chunk);
      return;
    }
    // Views, not copies: one connection's burst is decoded in bounded steps.
    for (let at = 0; at < chunk.length; at += step) this.input.push(chunk.subarray(at, at + step));
  }

  run(sink: FramerSink): number {
    const input = this.input;
    let decoded = 0;
    while (sink[mayDeliver]()) {
      const message = this.decoder.decode(input);
      if (message === undefined) break;
      decoded++;
      sink[deliverMessage](message);
    }
    return decoded;
  }

  finish(sink: FramerSink): void {
    const input = this.input;
    if (this.decoder.decodeEnd === undefined || input.length === 0) return;
    const last = this.decoder.decodeEnd(input);
    if (last !== undefined) sink[deliverMessage](last);
  }

  clear(): void {
    this.input.clear();
  }

  setMaxMessageBytes(): void {
    // The codec's maxFrameBytes bounds a frame; the connection checks its receive limit itself.
  }
}
