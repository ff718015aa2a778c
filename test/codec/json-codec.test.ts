import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { JsonCodec, JSON_DEFAULTS, type JsonCodecOptions } from '../../src/codec/json-codec.js';
import { CorruptFrameError, DecodeError, ErrorCode, FrameTooLargeError, InvalidMessageError, InvalidOptionError } from '../../src/errors.js';
import { assertEverySplit, assertFuzzSafe, assertRoundTrip, assertThrowsCode, feed } from './harness.js';

const b = (text: string): Buffer => Buffer.from(text);
/** What JSON keeps of a value (-0 becomes 0, and so on). */
const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

describe('JsonCodec', () => {
  describe("framing 'line' (default)", () => {
    const codec = new JsonCodec();

    test('one JSON value per line, any value, null included', () => {
      assert.equal(JSON_DEFAULTS.framing, 'line');
      assert.deepEqual(codec.encode({ a: [1, 'x'] }), b('{"a":[1,"x"]}\n'));
      assertEverySplit(codec, b('{"a":1}\r\nnull\n"s\\n"\n[1,2]\n3\nfalse\n'), [{ a: 1 }, null, 's\n', [1, 2], 3, false]);
    });

    test('blank lines are skipped', () => {
      assertEverySplit(codec, b('\n1\n \r\n\t\n2\n'), [1, 2]);
    });

    test('bad JSON fails with ERR_INVALID_JSON, the parse error as cause', () => {
      for (const line of ['{', '{"a":}', 'undefined', "'x'", '1 2', '{"a":1}}']) {
        assert.throws(
          () => feed(codec, [b(`${line}\n`)]),
          (error: unknown) =>
            error instanceof DecodeError && error.code === ErrorCode.InvalidJson && error.cause instanceof SyntaxError,
          line,
        );
      }
    });

    test('invalid UTF-8 fails with ERR_INVALID_UTF8', () => {
      assertThrowsCode(() => feed(codec, [Buffer.from([0x22, 0xff, 0x22, 0x0a])]), DecodeError, ErrorCode.InvalidUtf8);
    });

    test('a last value without its newline is delivered at the end of the stream', () => {
      assertEverySplit(codec, b('1\n{"last":true}'), [1, { last: true }], true);
    });

    test('maxFrameBytes bytes without a newline fail at once', () => {
      assertThrowsCode(() => feed(new JsonCodec({ maxFrameBytes: 8 }), [b('"abcdefghij')]), FrameTooLargeError, ErrorCode.FrameTooLarge);
    });

    test('text with newlines and U+2028 inside strings stays on one line', () => {
      const value = { text: 'a\nb\r\nc\u2028d\u2029' };
      assert.equal(codec.encode(value).indexOf(0x0a), codec.encode(value).length - 1);
      assertEverySplit(codec, codec.encode(value), [value]);
    });
  });

  describe("framing 'length'", () => {
    test('a 4-byte big-endian length by default, LengthFieldCodec options passed through', () => {
      const codec = new JsonCodec({ framing: 'length' });
      assert.deepEqual(codec.encode([1]), Buffer.concat([Buffer.from([0, 0, 0, 3]), b('[1]')]));
      assertEverySplit(codec, Buffer.concat([codec.encode(null), codec.encode({ a: 'b' })]), [null, { a: 'b' }]);
      const small = new JsonCodec({ framing: 'length', lengthField: { lengthFieldBytes: 2, endian: 'little' } });
      assert.deepEqual(small.encode('x'), Buffer.concat([Buffer.from([3, 0]), b('"x"')]));
    });

    test('errors of the length field come through', () => {
      const codec = new JsonCodec({ framing: 'length', maxFrameBytes: 16 });
      assertThrowsCode(() => feed(codec, [Buffer.from([0x7f, 0, 0, 0])]), FrameTooLargeError, ErrorCode.FrameTooLarge);
      const signed = new JsonCodec({ framing: 'length', lengthField: { signedLength: true } });
      assertThrowsCode(() => feed(signed, [Buffer.from([0xff, 0xff, 0xff, 0xff])]), CorruptFrameError, ErrorCode.CorruptFrame);
    });

    test('an empty body is not JSON', () => {
      assertThrowsCode(() => feed(new JsonCodec({ framing: 'length' }), [Buffer.alloc(4)]), DecodeError, ErrorCode.InvalidJson);
    });
  });

  describe('encode', () => {
    test('what JSON cannot hold is refused with ERR_INVALID_MESSAGE', () => {
      const codec = new JsonCodec();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const value of [undefined, () => 1, Symbol('s'), 1n, cyclic]) {
        assertThrowsCode(() => codec.encode(value), InvalidMessageError, ErrorCode.InvalidMessage);
      }
    });

    test('a value past maxFrameBytes is refused', () => {
      assertThrowsCode(() => new JsonCodec({ maxFrameBytes: 4 }).encode('abcd'), FrameTooLargeError, ErrorCode.FrameTooLarge);
    });
  });

  test('options are validated', () => {
    const invalid = (options: unknown, name: string) =>
      assert.throws(
        () => new JsonCodec(options as JsonCodecOptions),
        (error: unknown) => error instanceof InvalidOptionError && error.message.includes(name),
      );
    invalid({ framing: 'xml' }, 'framing');
    invalid({ lengthField: { lengthFieldBytes: 2 } }, 'lengthField');
    invalid({ framing: 'length', lengthField: { lengthFieldBytes: 3 } }, 'lengthFieldBytes');
    invalid({ framing: 'length', lengthField: null }, 'lengthField');
  });

  describe('properties', () => {
    for (const options of [{}, { framing: 'length' as const }, { framing: 'length' as const, lengthField: { lengthFieldBytes: 2 as const } }]) {
      test(`any split of any JSON values decodes to the same values: ${JSON.stringify(options)}`, () => {
        assertRoundTrip(new JsonCodec(options), fc.jsonValue({ maxDepth: 3 }), viaJson, 150);
      });
    }

    test('random bytes: only DecodeError subclasses, always progress or "need more"', () => {
      const jsonish = fc.array(fc.constantFrom(...'{}[]":,0123 \n\r\tnulltruefalse\\'.split('').map((c) => c.charCodeAt(0)), 0xff, 0xc3), { maxLength: 200 });
      assertFuzzSafe(new JsonCodec({ maxFrameBytes: 64 }), jsonish.map((a) => Uint8Array.from(a)));
      assertFuzzSafe(new JsonCodec({ framing: 'length', lengthField: { lengthFieldBytes: 1 } }));
    });
  });
});
