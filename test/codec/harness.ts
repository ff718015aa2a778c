// Shared by the codec tests: feed a stream to a decoder in pieces, split streams every way.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChunkList } from '../../src/codec/chunk-list.js';
import type { Codec, Decoder } from '../../src/codec/codec.js';
import { DecodeError } from '../../src/errors.js';

/**
 * Pushes the chunks one by one, decoding until "need more" after each push, as a connection does.
 * Checks the contract on every call: a message consumes bytes, "need more" consumes none.
 * With `end`, calls decodeEnd at the end of the stream as a connection does on a half-close.
 */
export function feed<M>(codec: Pick<Codec<M>, 'createDecoder'>, chunks: readonly Uint8Array[], end = false): M[] {
  const decoder = codec.createDecoder();
  const input = new ChunkList();
  const out: M[] = [];
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

function drain<M>(decoder: Decoder<M>, input: ChunkList, out: M[]): void {
  for (;;) {
    const before = input.length;
    const message = decoder.decode(input);
    if (message === undefined) {
      // It may have dropped bytes that carry no message (JsonCodec's blank lines), never more
      // than it was given; asked again without new bytes, it must neither answer nor consume.
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

/** Every way to feed a stream that the deterministic tests try: whole, 1-byte chunks, cut once at every offset. */
export function* everySplit(stream: Buffer): Generator<Buffer[]> {
  yield [stream];
  yield [...stream].map((byte) => Buffer.of(byte));
  for (let at = 1; at < stream.length; at++) yield [stream.subarray(0, at), stream.subarray(at)];
}

/** Fed whole, byte by byte and cut at every offset, the stream decodes to `expected`. */
export function assertEverySplit<M>(codec: Codec<M>, stream: Buffer, expected: readonly unknown[], end = false): void {
  for (const chunks of everySplit(stream)) {
    assert.deepStrictEqual(feed(codec, chunks, end), expected, `cut as ${chunks.map((c) => c.length).join('+')} bytes`);
  }
}

/** Cut points for a stream: arbitrary offsets, or every byte on its own. */
export const splits = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.nat(), { maxLength: 12 }).map((offsets) => ({ offsets, bytewise: false })) },
  { weight: 1, arbitrary: fc.constant({ offsets: [] as number[], bytewise: true }) },
);

export function split(stream: Buffer, how: { offsets: readonly number[]; bytewise: boolean }): Buffer[] {
  return how.bytewise ? [...stream].map((byte) => Buffer.of(byte)) : cutAt(stream, how.offsets);
}

/**
 * Any messages, encoded, joined and cut anywhere, decode to the same messages (compared after
 * `normalize`), and decode(encode(x)) = x for each.
 */
export function assertRoundTrip<M, In>(
  codec: Codec<M> & { encode(message: In): Buffer },
  messages: fc.Arbitrary<In>,
  normalize: (value: unknown) => unknown = (value) => value,
  numRuns = 200,
): void {
  fc.assert(
    fc.property(fc.array(messages, { maxLength: 12 }), splits, (list, how) => {
      const frames = list.map((message) => codec.encode(message));
      for (let i = 0; i < list.length; i++) {
        assert.deepStrictEqual(feed(codec, [frames[i]!]).map(normalize), [normalize(list[i])]);
      }
      const decoded = feed(codec, split(Buffer.concat(frames), how));
      assert.deepStrictEqual(decoded.map(normalize), list.map(normalize));
    }),
    { numRuns },
  );
}

/**
 * Random bytes, cut anywhere, into a decoder: only DecodeError subclasses come out, and every
 * call either consumes bytes with a message or asks for more (checked by `feed`).
 */
export function assertFuzzSafe(codec: Codec<unknown>, bytes: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 512 })): void {
  const details = fc.check(
    fc.property(bytes, splits, fc.boolean(), (data, how, end) => {
      try {
        feed(codec, split(Buffer.from(data), how), end);
      } catch (error) {
        if (error instanceof DecodeError) return;
        throw error;
      }
    }),
    // The time limit keeps a slow machine from stalling the run; the minimum below keeps it from
    // passing on a handful of cases.
    { numRuns: FUZZ_RUNS, interruptAfterTimeLimit: 20_000 },
  );
  if (details.failed) throw new Error(fc.defaultReportMessage(details));
  assert.ok(details.numRuns >= FUZZ_MIN_RUNS, `only ${details.numRuns} fuzz cases ran before the time limit (at least ${FUZZ_MIN_RUNS} required)`);
}

/** Cases per fuzz property, and the fewest that count as a pass when time runs out first. */
export const FUZZ_RUNS = 2000;
export const FUZZ_MIN_RUNS = 1000;

/** Bytes as a hex string: a readable way to compare Buffers and views alike. */
export const hex = (value: unknown): unknown => (value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value);

/** Asserts that `fn` throws an error with this class and code. */
export function assertThrowsCode(fn: () => unknown, type: abstract new (...args: never[]) => Error, code: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    assert.equal((error as { code?: string }).code, code);
    return true;
  });
}
