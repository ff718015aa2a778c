import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ChunkList } from '../../src/codec/chunk-list.js';
import { FixedLengthCodec, FIXED_LENGTH_DEFAULTS, type FixedLengthCodecOptions } from '../../src/codec/fixed-length-codec.js';
import { ErrorCode, InvalidMessageError, InvalidOptionError } from '../../src/errors.js';
import { assertEverySplit, assertFuzzSafe, assertRoundTrip, assertThrowsCode, hex } from './harness.js';

describe('FixedLengthCodec', () => {
  test('every frame is frameBytes long, at every split', () => {
    const codec = new FixedLengthCodec({ frameBytes: 3 });
    assert.equal(codec.maxFrameBytes, 3);
    assertEverySplit(codec, Buffer.from('abcdefghi'), ['abc', 'def', 'ghi'].map((s) => Buffer.from(s)));
  });

  test('read_incomplete_frame leaves the bytes for later', () => {
    const codec = new FixedLengthCodec({ frameBytes: 4 });
    const input = new ChunkList();
    input.push(Buffer.from('abcdef'));
    const decoder = codec.createDecoder();
    assert.deepEqual(decoder.decode(input), Buffer.from('abcd'));
    assert.equal(decoder.decode(input), undefined);
    assert.equal(input.length, 2);
  });

  test('a frame inside one chunk comes out as a view of it', () => {
    const chunk = Buffer.alloc(8, 'abcdefgh');
    const input = new ChunkList();
    input.push(chunk);
    const decoder = new FixedLengthCodec({ frameBytes: 4 }).createDecoder();
    decoder.decode(input);
    const message = decoder.decode(input)!;
    assert.equal(message.toString(), 'efgh');
    assert.equal(message.buffer, chunk.buffer);
    assert.equal(message.byteOffset, chunk.byteOffset + 4);
  });

  test('encode refuses a message of another size', () => {
    const codec = new FixedLengthCodec({ frameBytes: 2 });
    assertThrowsCode(() => codec.encode('abc'), InvalidMessageError, ErrorCode.InvalidMessage);
    assertThrowsCode(() => codec.encode(Buffer.alloc(1)), InvalidMessageError, ErrorCode.InvalidMessage);
    assertThrowsCode(() => codec.encode('é'.repeat(2)), InvalidMessageError, ErrorCode.InvalidMessage); // 4 UTF-8 bytes
  });

  test('encode passes a Buffer of the right size through, and takes Uint8Array and string', () => {
    const codec = new FixedLengthCodec({ frameBytes: 2 });
    const buffer = Buffer.from('hi');
    assert.equal(codec.encode(buffer), buffer);
    const array = new Uint8Array([0, 0x68, 0x69, 0]).subarray(1, 3);
    const out = codec.encode(array);
    assert.deepEqual(out, buffer);
    assert.equal(out.buffer, array.buffer, 'a view, not a copy');
    assert.deepEqual(codec.encode('hi'), buffer);
  });

  test('options: frameBytes is required, at least 1, at most maxFrameBytes', () => {
    assert.equal(FIXED_LENGTH_DEFAULTS.maxFrameBytes, 8 * 1024 * 1024);
    const invalid = (options: unknown, name: string) =>
      assert.throws(
        () => new FixedLengthCodec(options as FixedLengthCodecOptions),
        (error: unknown) => error instanceof InvalidOptionError && error.message.includes(name),
      );
    invalid({}, 'frameBytes');
    invalid({ frameBytes: 0 }, 'frameBytes');
    invalid({ frameBytes: 2.5 }, 'frameBytes');
    invalid({ frameBytes: 9, maxFrameBytes: 8 }, 'frameBytes');
    invalid({ frameBytes: 1, maxFrameBytes: 0 }, 'maxFrameBytes');
    invalid(undefined, 'options');
  });

  test('any split of any messages decodes to the same messages', () => {
    for (const frameBytes of [1, 5, 64]) {
      const codec = new FixedLengthCodec({ frameBytes });
      assertRoundTrip(codec, fc.uint8Array({ minLength: frameBytes, maxLength: frameBytes }), hex, 100);
    }
  });

  test('random bytes: only DecodeError subclasses, always progress or "need more"', () => {
    assertFuzzSafe(new FixedLengthCodec({ frameBytes: 7 }));
  });
});
