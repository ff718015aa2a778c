import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ChunkList } from '../../src/codec/chunk-list.js';
import { DelimiterCodec, DELIMITER_DEFAULTS, type DelimiterCodecOptions } from '../../src/codec/delimiter-codec.js';
import { ErrorCode, FrameTooLargeError, InvalidMessageError, InvalidOptionError } from '../../src/errors.js';
import { assertEverySplit, assertFuzzSafe, assertRoundTrip, assertThrowsCode, feed, hex } from './harness.js';

const b = (text: string): Buffer => Buffer.from(text);
const tooLarge = (fn: () => unknown) => assertThrowsCode(fn, FrameTooLargeError, ErrorCode.FrameTooLarge);
const invalidMessage = (fn: () => unknown) => assertThrowsCode(fn, InvalidMessageError, ErrorCode.InvalidMessage);

describe('DelimiterCodec', () => {
  describe('frames', () => {
    test("default: '\\n', dropped from the message", () => {
      assert.equal(DELIMITER_DEFAULTS.delimiter, '\n');
      const codec = new DelimiterCodec();
      assert.deepEqual(codec.encode('abc'), b('abc\n'));
      assertEverySplit(codec, b('abc\nde\n'), [b('abc'), b('de')]);
    });

    test('keepDelimiter: each message ends with its delimiter', () => {
      assertEverySplit(new DelimiterCodec({ keepDelimiter: true }), b('abc\nde\n'), [b('abc\n'), b('de\n')]);
    });

    test('a multi-byte delimiter split across chunks, at every offset', () => {
      const codec = new DelimiterCodec({ delimiter: '\r\n' });
      assertEverySplit(codec, b('GET /\r\nHost: x\r\n\r\n'), [b('GET /'), b('Host: x'), b('')]);
    });

    test('a self-overlapping delimiter', () => {
      const codec = new DelimiterCodec({ delimiter: 'abab' });
      assertEverySplit(codec, b('xxabababyyabab'), [b('xx'), b('abyy')]);
    });

    test('back-to-back delimiters are empty messages', () => {
      assertEverySplit(new DelimiterCodec(), b('\n\n\na\n'), [b(''), b(''), b(''), b('a')]);
      assertEverySplit(new DelimiterCodec({ delimiter: '--' }), b('----a--'), [b(''), b(''), b('a')]);
    });

    test('a delimiter given as bytes; the option is copied', () => {
      const delimiter = Buffer.from([0, 0xff]);
      const codec = new DelimiterCodec({ delimiter });
      delimiter[0] = 1;
      assertEverySplit(codec, Buffer.from([1, 2, 0, 0xff, 3, 0, 0xff]), [Buffer.from([1, 2]), Buffer.from([3])]);
    });

    test('a frame inside one chunk comes out as a view of it', () => {
      const chunk = Buffer.alloc(16, 'hello\nworld\n');
      const input = new ChunkList();
      input.push(chunk);
      const message = new DelimiterCodec().createDecoder().decode(input)!;
      assert.equal(message.toString(), 'hello');
      assert.equal(message.buffer, chunk.buffer);
    });

    test('bytes after the last delimiter are left in the input', () => {
      const input = new ChunkList();
      input.push(b('a\nbc'));
      const decoder = new DelimiterCodec().createDecoder();
      assert.deepEqual(decoder.decode(input), b('a'));
      assert.equal(decoder.decode(input), undefined);
      assert.equal(input.length, 2);
    });
  });

  describe('several delimiters', () => {
    test("the earliest wins: ['\\r\\n', '\\n'] reads both line ends", () => {
      const codec = new DelimiterCodec({ delimiter: ['\r\n', '\n'] });
      assertEverySplit(codec, b('a\r\nb\nc\r\n'), [b('a'), b('b'), b('c')]);
      assert.deepEqual(codec.encode('x'), b('x\r\n'));
    });

    test('on a tie the longest wins, and decoding waits until it can tell', () => {
      const codec = new DelimiterCodec({ delimiter: ['\r\n', '\r'], keepDelimiter: true });
      // 'a\r' alone could still become 'a\r\n': no frame until the next byte says which.
      assertEverySplit(codec, b('a\r\nb\rc\r\n'), [b('a\r\n'), b('b\r'), b('c\r\n')]);
      const input = new ChunkList();
      input.push(b('a\r'));
      const decoder = codec.createDecoder();
      assert.equal(decoder.decode(input), undefined);
      assert.deepEqual(decoder.decodeEnd!(input), b('a\r'), 'at the end of the stream it is due');
    });

    test('an earlier delimiter still arriving beats a later complete one', () => {
      const codec = new DelimiterCodec({ delimiter: ['b', 'xyz'] });
      assertEverySplit(codec, b('1xyzb'), [b('1'), b('')]);
    });

    test('the delimiter encode writes must not begin another one', () => {
      assert.throws(() => new DelimiterCodec({ delimiter: ['\r', '\r\n'] }), InvalidOptionError);
    });

    test('any split decodes the same, for any delimiter set', () => {
      const word = (max: number) => fc.string({ unit: fc.constantFrom('a', 'b'), minLength: 1, maxLength: max });
      fc.assert(
        fc.property(fc.uniqueArray(word(3), { minLength: 1, maxLength: 3 }), fc.boolean(), (delimiters, keepDelimiter) => {
          let codec: DelimiterCodec;
          try {
            codec = new DelimiterCodec({ delimiter: delimiters, keepDelimiter, maxFrameBytes: 64 });
          } catch (error) {
            assert.ok(error instanceof InvalidOptionError);
            return;
          }
          const message = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 8 }).filter((m) => {
            try {
              codec.encode(m);
              return true;
            } catch (error) {
              assert.ok(error instanceof InvalidMessageError);
              return false;
            }
          });
          const withDelimiter = (m: unknown) => (keepDelimiter ? `${String(m)}${delimiters[0]}` : m);
          assertRoundTrip(codec, message, (m) => (m instanceof Uint8Array ? Buffer.from(m).toString() : withDelimiter(m)), 20);
        }),
        { numRuns: 100 },
      );
    });
  });

  describe('max frame', () => {
    test('fails as soon as maxFrameBytes bytes have arrived without a delimiter', () => {
      const codec = new DelimiterCodec({ maxFrameBytes: 8 });
      const decoder = codec.createDecoder();
      const input = new ChunkList();
      for (let i = 1; i < 8; i++) {
        input.push(b('x'));
        assert.equal(decoder.decode(input), undefined, `${i} bytes`);
      }
      input.push(b('x'));
      tooLarge(() => decoder.decode(input));
    });

    test('a frame of exactly maxFrameBytes, delimiter included, is accepted', () => {
      const codec = new DelimiterCodec({ delimiter: '\r\n', maxFrameBytes: 8 });
      assertEverySplit(codec, b('abcdef\r\n'), [b('abcdef')]);
      assert.throws(() => feed(codec, [b('abcdefg\r\n')]), FrameTooLargeError);
      // the '\r' is the 8th byte: no complete delimiter within the limit
      assert.throws(() => feed(codec, [b('abcdefg\r')]), FrameTooLargeError);
    });

    test('a delimiter past the limit inside one big chunk fails too', () => {
      tooLarge(() => feed(new DelimiterCodec({ maxFrameBytes: 4 }), [b('abcdefgh\n')]));
    });

    test('frames after a long one are unaffected by the limit', () => {
      assertEverySplit(new DelimiterCodec({ maxFrameBytes: 4 }), b('abc\nabc\nabc\n'), [b('abc'), b('abc'), b('abc')]);
    });

    test('does not rescan what it has searched: each read starts where the last stopped', () => {
      const codec = new DelimiterCodec({ delimiter: '\r\n' });
      const decoder = codec.createDecoder();
      const input = new ChunkList();
      const starts: number[] = [];
      const indexOf = input.indexOf.bind(input);
      input.indexOf = (pattern: Buffer, from?: number) => {
        starts.push(from ?? 0);
        return indexOf(pattern, from);
      };
      for (let i = 0; i < 100; i++) {
        input.push(b('0123456789'));
        assert.equal(decoder.decode(input), undefined);
      }
      // Each search begins one byte before the previous end (a '\r' may be waiting for '\n').
      assert.deepEqual(starts, Array.from({ length: 100 }, (_, i) => Math.max(0, i * 10 - 1)));
      input.push(b('\r\n'));
      assert.equal(decoder.decode(input)!.length, 1000);
    });

    // Quadratic rescanning would take minutes: the test's timeout catches it, no timing assertion.
    test('a long frame in 1-byte chunks stays linear', { timeout: 60_000 }, () => {
      const codec = new DelimiterCodec({ delimiter: '\r\n', maxFrameBytes: 1 << 20 });
      const decoder = codec.createDecoder();
      const input = new ChunkList();
      for (let i = 0; i < 100_000; i++) {
        input.push(Buffer.of(0x61));
        assert.equal(decoder.decode(input), undefined);
      }
      input.push(b('\r\n'));
      assert.equal(decoder.decode(input)!.length, 100_000);
    });
  });

  describe('encode', () => {
    test('a message holding the delimiter is refused', () => {
      invalidMessage(() => new DelimiterCodec().encode('a\nb'));
      invalidMessage(() => new DelimiterCodec({ delimiter: '\r\n' }).encode('a\r\nb'));
      invalidMessage(() => new DelimiterCodec({ delimiter: ['\r\n', '\n'] }).encode('a\nb'));
    });

    test('a message the peer would cut elsewhere is refused', () => {
      // 'ab' + 'abab' = 'ababab': the first 'abab' is at 0
      invalidMessage(() => new DelimiterCodec({ delimiter: 'abab' }).encode('ab'));
      // 'x' + '\n' with ['\n', 'x\n'] reads as 'x\n' at 0
      invalidMessage(() => new DelimiterCodec({ delimiter: ['\n', 'x\n'] }).encode('x'));
      // 'x' + '\n' with ['\n', 'x\ny']: a next message starting with 'y' would complete 'x\ny' at 0
      invalidMessage(() => new DelimiterCodec({ delimiter: ['\n', 'x\ny'] }).encode('x'));
      // but a '\r' at the end of a '\r\n'-delimited message is fine
      assert.deepEqual(feed(new DelimiterCodec({ delimiter: '\r\n' }), [new DelimiterCodec({ delimiter: '\r\n' }).encode('a\r')]), [b('a\r')]);
    });

    test('a frame past maxFrameBytes is refused', () => {
      tooLarge(() => new DelimiterCodec({ maxFrameBytes: 4 }).encode('abcd'));
      assert.equal(new DelimiterCodec({ maxFrameBytes: 4 }).encode('abc').length, 4);
    });

    test('accepts Buffer, Uint8Array and string alike', () => {
      const codec = new DelimiterCodec();
      for (const message of ['hi', b('hi'), new Uint8Array([0x68, 0x69]), new Uint8Array([0, 0x68, 0x69]).subarray(1)]) {
        assert.deepEqual(codec.encode(message), b('hi\n'));
      }
    });
  });

  describe('options', () => {
    const invalid = (options: unknown, name: string) =>
      assert.throws(
        () => new DelimiterCodec(options as DelimiterCodecOptions),
        (error: unknown) => error instanceof InvalidOptionError && error.message.includes(name),
      );

    test('bad options are refused, naming the option', () => {
      invalid({ delimiter: '' }, 'delimiter');
      invalid({ delimiter: [] }, 'delimiter');
      invalid({ delimiter: 42 }, 'delimiter');
      invalid({ keepDelimiter: 1 }, 'keepDelimiter');
      invalid({ delimiter: '\r\n', maxFrameBytes: 1 }, 'maxFrameBytes');
    });
  });

  describe('properties', () => {
    const message = (alphabet: number[]) => fc.array(fc.constantFrom(...alphabet), { maxLength: 40 }).map((a) => Buffer.from(a));
    test("any split of any messages decodes to the same messages: '\\n'", () => {
      assertRoundTrip(new DelimiterCodec(), message([0x61, 0x0d, 0x00]), hex);
    });

    test("any split of any messages decodes to the same messages: '\\r\\n', messages with lone '\\r' and '\\n'", () => {
      const codec = new DelimiterCodec({ delimiter: '\r\n' });
      assertRoundTrip(codec, message([0x61, 0x0d, 0x0a]).filter((m) => !m.includes('\r\n')), hex);
    });

    test('random bytes: only DecodeError subclasses, always progress or "need more"', () => {
      const small = fc.uint8Array({ maxLength: 300 }).map((a) => a.map((x) => x % 4));
      assertFuzzSafe(new DelimiterCodec({ delimiter: Buffer.of(1), maxFrameBytes: 16 }), small);
      assertFuzzSafe(new DelimiterCodec({ delimiter: Buffer.of(1, 2), maxFrameBytes: 64 }), small);
      assertFuzzSafe(new DelimiterCodec({ delimiter: [Buffer.of(1, 2), Buffer.of(2), Buffer.of(3, 3, 3)], maxFrameBytes: 32 }), small);
    });
  });
});
