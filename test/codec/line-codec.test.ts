import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ChunkList } from '../../src/codec/chunk-list.js';
import { LineCodec, LINE_DEFAULTS, type LineCodecOptions } from '../../src/codec/line-codec.js';
import { DecodeError, ErrorCode, FrameTooLargeError, InvalidMessageError, InvalidOptionError } from '../../src/errors.js';
import { assertEverySplit, assertFuzzSafe, assertRoundTrip, assertThrowsCode, feed } from './harness.js';

const b = (text: string): Buffer => Buffer.from(text);
const badUtf8 = (fn: () => unknown) => assertThrowsCode(fn, DecodeError, ErrorCode.InvalidUtf8);

describe('LineCodec', () => {
  describe("eol 'lf' (default)", () => {
    const codec = new LineCodec();

    test("lines end with '\\n'; a '\\r' before it is dropped too", () => {
      assert.equal(LINE_DEFAULTS.eol, 'lf');
      assert.deepEqual(codec.encode('héllo'), b('héllo\n'));
      assertEverySplit(codec, b('one\r\ntwo\n\nthree\r\n'), ['one', 'two', '', 'three']);
    });

    test('multi-byte characters split across chunks decode whole', () => {
      assertEverySplit(codec, b('日本語\n😀\n'), ['日本語', '😀']);
    });

    test('a byte-order mark is kept', () => {
      assertEverySplit(codec, b('\uFEFFx\n'), ['\uFEFFx']);
    });

    test('encode refuses a line holding a newline or ending in a carriage return', () => {
      assertThrowsCode(() => codec.encode('a\nb'), InvalidMessageError, ErrorCode.InvalidMessage);
      assertThrowsCode(() => codec.encode('a\r'), InvalidMessageError, ErrorCode.InvalidMessage);
      assert.deepEqual(codec.encode('a\rb'), b('a\rb\n'));
    });
  });

  describe("eol 'crlf'", () => {
    const codec = new LineCodec({ eol: 'crlf' });

    test("lines end with '\\r\\n', split at every offset; a bare '\\n' is part of the line", () => {
      assert.deepEqual(codec.encode('abc'), b('abc\r\n'));
      assertEverySplit(codec, b('a\nb\r\n\r\nc\r\r\n'), ['a\nb', '', 'c\r']);
    });

    test("encode refuses a line holding '\\r\\n'", () => {
      assertThrowsCode(() => codec.encode('a\r\nb'), InvalidMessageError, ErrorCode.InvalidMessage);
      assert.deepEqual(codec.encode('a\nb\r'), b('a\nb\r\r\n'));
    });
  });

  describe('invalid UTF-8', () => {
    test('fails with ERR_INVALID_UTF8, the decoder error as cause', () => {
      const codec = new LineCodec();
      for (const wire of [Buffer.from([0xff, 0x0a]), Buffer.from([0xc3, 0x28, 0x0a]), Buffer.from([0xed, 0xa0, 0x80, 0x0a]), Buffer.from([0xe6, 0x97, 0x0a])]) {
        badUtf8(() => feed(codec, [wire]));
      }
      assert.throws(
        () => feed(codec, [Buffer.from([0xff, 0x0a])]),
        (error: unknown) => error instanceof DecodeError && error.cause instanceof TypeError,
      );
    });

    test('a character cut by the end of the stream is invalid too', () => {
      badUtf8(() => feed(new LineCodec(), [Buffer.from([0x61, 0xe6, 0x97])], true));
    });
  });

  describe('end of stream', () => {
    test('decodeEnd delivers a last line without its newline', () => {
      const codec = new LineCodec();
      assertEverySplit(codec, b('a\nlast'), ['a', 'last'], true);
      assertEverySplit(codec, b('a\nlast\r'), ['a', 'last'], true);
      assertEverySplit(codec, b('a\n'), ['a'], true);
    });

    test('decodeEnd on an empty input gives nothing', () => {
      const decoder = new LineCodec().createDecoder();
      assert.equal(decoder.decodeEnd!(new ChunkList()), undefined);
    });
  });

  describe('max frame', () => {
    test('fails as soon as maxFrameBytes bytes have arrived without an end of line', () => {
      const decoder = new LineCodec({ maxFrameBytes: 5 }).createDecoder();
      const input = new ChunkList();
      for (let i = 1; i < 5; i++) {
        input.push(b('x'));
        assert.equal(decoder.decode(input), undefined);
      }
      input.push(b('x'));
      assertThrowsCode(() => decoder.decode(input), FrameTooLargeError, ErrorCode.FrameTooLarge);
    });

    test('the end of line counts toward the frame', () => {
      const codec = new LineCodec({ eol: 'crlf', maxFrameBytes: 5 });
      assert.deepEqual(feed(codec, [b('abc\r\n')]), ['abc']);
      assert.throws(() => feed(codec, [b('abcd\r\n')]), FrameTooLargeError);
      assert.throws(() => codec.encode('abcd'), FrameTooLargeError);
    });
  });

  test('encode accepts bytes as UTF-8 as they are', () => {
    const codec = new LineCodec();
    assert.deepEqual(codec.encode(b('hi')), b('hi\n'));
    assert.deepEqual(codec.encode(new Uint8Array([0x68, 0x69])), b('hi\n'));
    assertThrowsCode(() => codec.encode(b('a\nb')), InvalidMessageError, ErrorCode.InvalidMessage);
  });

  test('options are validated', () => {
    assert.throws(() => new LineCodec({ eol: 'cr' } as unknown as LineCodecOptions), (e: unknown) => e instanceof InvalidOptionError && e.message.includes('eol'));
    assert.throws(() => new LineCodec({ eol: 'crlf', maxFrameBytes: 1 }), InvalidOptionError);
  });

  describe('properties', () => {
    // Any well-formed text; lines cannot hold their end of line.
    const text = fc.string({ unit: 'binary', maxLength: 30 });
    test("any split of any lines decodes to the same lines: 'lf'", () => {
      assertRoundTrip(new LineCodec(), text.filter((s) => !s.includes('\n') && !s.endsWith('\r')));
    });

    test("any split of any lines decodes to the same lines: 'crlf'", () => {
      const controls = fc.string({ unit: fc.constantFrom('a', '\r', '\n', 'é'), maxLength: 12 });
      assertRoundTrip(new LineCodec({ eol: 'crlf' }), fc.oneof(text, controls).filter((s) => !s.includes('\r\n')));
    });

    test('random bytes: only DecodeError subclasses, always progress or "need more"', () => {
      assertFuzzSafe(new LineCodec({ maxFrameBytes: 32 }), fc.uint8Array({ maxLength: 300 }).map((a) => a.map((x) => (x % 8 === 0 ? 0x0a : x))));
      assertFuzzSafe(new LineCodec({ eol: 'crlf', maxFrameBytes: 64 }), fc.uint8Array({ maxLength: 300 }).map((a) => a.map((x) => (x % 4 === 0 ? 0x0a : x % 4 === 1 ? 0x0d : x))));
    });
  });
});
