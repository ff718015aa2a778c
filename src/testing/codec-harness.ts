import assert from 'node:assert/strict';
import { ChunkList } from '../codec/chunk-list.js';
import type { Codec, Decoder } from '../codec/codec.js';
import { DecodeError } from '../errors.js';

/**
 * Pushes the chunks one by one into a fresh decoder, decoding until "need more" after each push,
 * exactly as a connection does, and returns the messages. Checks the decoder contract on every
 * call (an `AssertionError` says which rule broke): a message consumes bytes; "need more"
 * consumes nothing more when asked again without new bytes. With `end`, `decodeEnd` is called at
 * the end of the stream, as a connection does when the peer half-closes.
 */
export function feed<In>(codec: Pick<Codec<In, unknown>, 'createDecoder'>, chunks: readonly Uint8Array[], end = false): In[] {
  const decoder = codec.createDecoder();
  const input = new ChunkList();
  const out: In[] = [];
  for (const chunk of chunks) {
    input.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    drain(decoder, input, out);
  }
  if (end && decoder.decodeEnd && input.length > 0) {
    const last = decoder.decodeEnd(input);
    if (last !== undefined) out.push(last);
  }
  return out;
}

function drain<In>(decoder: Decoder<In>, input: ChunkList, out: In[]): void {
  for (;;) {
    const before = input.length;
    const message = decoder.decode(input);
    if (message === undefined) {
      // It may drop bytes that carry no message (JsonCodec's blank lines), never more than it
      // was given; asked again without new bytes, it must neither answer nor consume.
      const after = input.length;
      assert.ok(after <= before, 'decode grew its input');
      assert.equal(decoder.decode(input), undefined, 'decode changed its mind without new bytes');
      assert.equal(input.length, after, 'decode consumed bytes when asked again');
      return;
    }
    assert.ok(input.length < before, 'decode returned a message without consuming bytes');
    out.push(message);
  }
}

/** The stream cut at the given offsets (taken modulo its length, sorted, duplicates dropped). */
export function cutAt(stream: Buffer, offsets: readonly number[]): Buffer[] {
  if (stream.length === 0) return [];
  const cuts = [...new Set(offsets.map((o) => o % stream.length))].filter((o) => o > 0).sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, stream.length]) {
    chunks.push(stream.subarray(from, cut));
    from = cut;
  }
  return chunks;
}

/** Every way to feed a stream worth trying by hand: whole, one byte at a time, and cut once at every offset. */
export function* everySplit(stream: Buffer): Generator<Buffer[]> {
  yield [stream];
  yield [...stream].map((byte) => Buffer.of(byte));
  for (let at = 1; at < stream.length; at++) yield [stream.subarray(0, at), stream.subarray(at)];
}

/**
 * Asserts that the stream, fed whole, byte by byte and cut at every offset, decodes to
 * `expected` (compared with `deepStrictEqual`): the first test to write for a codec of your own,
 * since TCP delivers a frame in as many pieces as it likes.
 */
export function assertEverySplit<In>(codec: Pick<Codec<In, unknown>, 'createDecoder'>, stream: Buffer, expected: readonly unknown[], end = false): void {
  for (const chunks of everySplit(stream)) {
    assert.deepStrictEqual(feed(codec, chunks, end), expected, `cut as ${chunks.map((c) => c.length).join('+')} bytes`);
  }
}

/** Options of {@link assertFuzzSafe}. */
export interface FuzzOptions {
  /** Random inputs tried. @default 2000 (FUZZ_DEFAULTS.runs) */
  runs?: number;
  /** The longest random input, in bytes. @default 512 */
  maxBytes?: number;
  /** Seed of the pseudo-random inputs: the same seed tries the same inputs. @default 1 */
  seed?: number;
}

export const FUZZ_DEFAULTS = { runs: 2000, maxBytes: 512, seed: 1 } as const satisfies Required<FuzzOptions>;

/**
 * Feeds random bytes, cut at random offsets, to the codec's decoder and asserts that nothing but
 * a {@link DecodeError} comes out (a `RangeError` from reading past a Buffer, a `TypeError`, a hang
 * would be a crash of every connection that meets such bytes), and that the decoder keeps its
 * contract on every call. A failure names the seed and run to replay. Self-contained (a small
 * seeded generator), so your tests need no property-testing library.
 */
export function assertFuzzSafe(codec: Pick<Codec<unknown, unknown>, 'createDecoder'>, options: FuzzOptions = {}): void {
  const runs = options.runs ?? FUZZ_DEFAULTS.runs;
  const maxBytes = options.maxBytes ?? FUZZ_DEFAULTS.maxBytes;
  const seed = options.seed ?? FUZZ_DEFAULTS.seed;
  const random = xorshift(seed);
  for (let run = 0; run < runs; run++) {
    const data = Buffer.allocUnsafe(Math.floor(random() * (maxBytes + 1)));
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(random() * 256);
    const cuts = Array.from({ length: Math.floor(random() * 8) }, () => Math.floor(random() * (data.length + 1)));
    const chunks = random() < 0.1 ? [...data].map((byte) => Buffer.of(byte)) : cutAt(data, cuts);
    try {
      feed(codec, chunks, random() < 0.5);
    } catch (error) {
      if (error instanceof DecodeError) continue;
      throw new assert.AssertionError({
        message: `decoder threw ${String(error)} on run ${run} of seed ${seed} (input ${data.toString('hex')}, cut as ${chunks.map((c) => c.length).join('+')})`,
        actual: error,
        expected: DecodeError,
        operator: 'assertFuzzSafe',
      });
    }
  }
}

/** Marsaglia's xorshift32: reproducible from a seed, and plenty for picking test bytes. */
function xorshift(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x1_0000_0000;
  };
}
