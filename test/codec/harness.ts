// Shared by the codec tests: feed a stream to a decoder in pieces, split streams every way.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Codec } from '../../src/codec/codec.js';
import { cutAt, feed } from '../../src/testing/codec-harness.js';
import { DecodeError } from '../../src/errors.js';

export { feed, cutAt, everySplit } from '../../src/testing/codec-harness.js';

export { assertEverySplit } from '../../src/testing/codec-harness.js';

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
