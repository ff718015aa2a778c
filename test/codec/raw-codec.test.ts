import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ChunkList } from '../../src/codec/chunk-list.js';
import { RawCodec, RAW_DEFAULTS } from '../../src/codec/raw-codec.js';
import { ErrorCode, FrameTooLargeError, InvalidOptionError } from '../../src/errors.js';
import { assertFuzzSafe, assertThrowsCode, feed, split, splits } from './harness.js';

describe('RawCodec', () => {
  test('each chunk read is one message, a view of that chunk', () => {
    const codec = new RawCodec();
    const a = Buffer.alloc(3, 'abc');
    const b = Buffer.alloc(2, 'de');
    const messages = feed(codec, [a, b]);
    assert.deepEqual(messages, [a, b]);
    assert.equal(messages[0]!.buffer, a.buffer);
    assert.equal(messages[1]!.buffer, b.buffer);
  });

  test('everything available is taken at once (after a pause, joined in one copy)', () => {
    const input = new ChunkList();
    input.push(Buffer.from('ab'));
    input.push(Buffer.from('cd'));
    const decoder = new RawCodec().createDecoder();
    assert.deepEqual(decoder.decode(input), Buffer.from('abcd'));
    assert.equal(decoder.decode(input), undefined);
  });

  test('nothing buffered: "need more"', () => {
    assert.equal(new RawCodec().createDecoder().decode(new ChunkList()), undefined);
  });

  test('more than maxFrameBytes at once: several messages of at most maxFrameBytes', () => {
    assert.deepEqual(feed(new RawCodec({ maxFrameBytes: 2 }), [Buffer.from('abcde')]), ['ab', 'cd', 'e'].map((s) => Buffer.from(s)));
  });

  test('encode passes bytes through; a message past maxFrameBytes is refused', () => {
    const codec = new RawCodec({ maxFrameBytes: 4 });
    const buffer = Buffer.from('abc');
    assert.equal(codec.encode(buffer), buffer);
    const array = new Uint8Array([1, 2, 3]);
    assert.equal(codec.encode(array).buffer, array.buffer);
    assert.deepEqual(codec.encode('abc'), buffer);
    assert.equal(codec.encode('').length, 0);
    assertThrowsCode(() => codec.encode('abcde'), FrameTooLargeError, ErrorCode.FrameTooLarge);
  });

  test('options', () => {
    assert.equal(RAW_DEFAULTS.maxFrameBytes, 8 * 1024 * 1024);
    assert.throws(() => new RawCodec({ maxFrameBytes: 0 }), InvalidOptionError);
  });

  test('any split of a stream gives back the same bytes, in order', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), splits, fc.integer({ min: 1, max: 64 }), (data, how, max) => {
        const stream = Buffer.from(data);
        const messages = feed(new RawCodec({ maxFrameBytes: max }), split(stream, how));
        assert.deepEqual(Buffer.concat(messages), stream);
        assert.ok(messages.every((m) => m.length > 0 && m.length <= max));
      }),
      { numRuns: 200 },
    );
  });

  test('random bytes: only DecodeError subclasses, always progress or "need more"', () => {
    assertFuzzSafe(new RawCodec({ maxFrameBytes: 16 }));
  });
});
