import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ChunkList } from '../../src/codec/chunk-list.js';
import { LengthFieldCodec, LENGTH_FIELD_DEFAULTS, type LengthFieldCodecOptions } from '../../src/codec/length-field-codec.js';
import { CorruptFrameError, ErrorCode, FrameTooLargeError, InvalidOptionError, SwitchboardError } from '../../src/errors.js';
import { assertEverySplit, assertFuzzSafe, assertRoundTrip, assertThrowsCode, feed, hex } from './harness.js';

const bytes = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const decodeOnly = (codec: LengthFieldCodec, wire: Buffer): unknown[] => feed(codec, [wire]).map(hex);
const tooLarge = (fn: () => unknown) => assertThrowsCode(fn, FrameTooLargeError, ErrorCode.FrameTooLarge);
const corrupt = (fn: () => unknown) => assertThrowsCode(fn, CorruptFrameError, ErrorCode.CorruptFrame);

describe('LengthFieldCodec', () => {
  describe('frames', () => {
    test('default: 4-byte big-endian length, then the body (the benchmark protocol)', () => {
      const codec = new LengthFieldCodec();
      assert.equal(LENGTH_FIELD_DEFAULTS.lengthFieldBytes, 4);
      assert.deepEqual(codec.encode('abc'), bytes('00000003 616263'));
      assertEverySplit(codec, bytes('00000003 616263 00000001 64'), ['abc', 'd'].map((s) => Buffer.from(s)));
    });

    test('read_incomplete_head', () => {
      const codec = new LengthFieldCodec();
      const input = new ChunkList();
      input.push(bytes('000000'));
      assert.equal(codec.createDecoder().decode(input), undefined);
      assert.equal(input.length, 3);
    });

    test('read_incomplete_payload', () => {
      const codec = new LengthFieldCodec();
      const input = new ChunkList();
      input.push(bytes('00000003 6162'));
      assert.equal(codec.createDecoder().decode(input), undefined);
      assert.equal(input.length, 6);
    });

    test('1-byte field', () => {
      const codec = new LengthFieldCodec({ lengthFieldBytes: 1 });
      assert.deepEqual(codec.encode('abc'), bytes('03 616263'));
      assert.deepEqual(decodeOnly(codec, bytes('03 616263')), ['616263']);
    });

    test('2-byte field, big and little endian', () => {
      assert.deepEqual(new LengthFieldCodec({ lengthFieldBytes: 2 }).encode('abc'), bytes('0003 616263'));
      const le = new LengthFieldCodec({ lengthFieldBytes: 2, endian: 'little' });
      assert.deepEqual(le.encode('abc'), bytes('0300 616263'));
      assertEverySplit(le, bytes('0300 616263 0100 64'), [Buffer.from('abc'), Buffer.from('d')]);
    });

    test('4-byte field, little endian', () => {
      const codec = new LengthFieldCodec({ endian: 'little' });
      assert.deepEqual(codec.encode('abc'), bytes('03000000 616263'));
      assert.deepEqual(decodeOnly(codec, bytes('03000000 616263')), ['616263']);
    });

    test('8-byte field, big and little endian', () => {
      const be = new LengthFieldCodec({ lengthFieldBytes: 8 });
      const le = new LengthFieldCodec({ lengthFieldBytes: 8, endian: 'little' });
      assert.deepEqual(be.encode('abc'), bytes('0000000000000003 616263'));
      assert.deepEqual(le.encode('abc'), bytes('0300000000000000 616263'));
      assertEverySplit(le, bytes('0300000000000000 616263'), [Buffer.from('abc')]);
    });

    test('offset header: a fixed header before the length field, kept with keepHeader', () => {
      const keep = new LengthFieldCodec({ lengthFieldOffset: 2, lengthFieldBytes: 2, keepHeader: true });
      const frame = Buffer.concat([bytes('cafe 000c'), Buffer.from('HELLO, WORLD')]);
      assertEverySplit(keep, frame, [frame]);
      // without keepHeader only the body comes out, and encode zero-fills the fixed header
      const body = new LengthFieldCodec({ lengthFieldOffset: 2, lengthFieldBytes: 2 });
      assert.deepEqual(feed(body, [frame]), [Buffer.from('HELLO, WORLD')]);
      assert.deepEqual(body.encode('HELLO, WORLD'), Buffer.concat([bytes('0000 000c'), Buffer.from('HELLO, WORLD')]));
    });

    test('keepHeader encode fills in the length field and leaves the fixed header alone', () => {
      const codec = new LengthFieldCodec({ lengthFieldOffset: 1, lengthFieldBytes: 2, keepHeader: true });
      const message = Buffer.concat([bytes('07 0000'), Buffer.from('hi')]);
      const frame = codec.encode(message);
      assert.deepEqual(frame, Buffer.concat([bytes('07 0002'), Buffer.from('hi')]));
      assert.deepEqual(message, Buffer.concat([bytes('07 0000'), Buffer.from('hi')]), 'the caller’s Buffer is not modified');
      assert.deepEqual(feed(codec, [frame]), [frame]);
      assertThrowsCode(() => codec.encode(bytes('07 00')), SwitchboardError, ErrorCode.InvalidMessage);
    });

    test('lengthIncludesHeader: the value counts the header as well', () => {
      const codec = new LengthFieldCodec({ lengthFieldBytes: 2, lengthIncludesHeader: true });
      const frame = Buffer.concat([bytes('000e'), Buffer.from('HELLO, WORLD')]);
      assert.deepEqual(codec.encode('HELLO, WORLD'), frame);
      assertEverySplit(codec, frame, [Buffer.from('HELLO, WORLD')]);
    });

    test('lengthAdjustment: an extra header after the length field belongs to the body', () => {
      // Netty's example: the length counts the content only, a 2-byte header follows the field.
      const codec = new LengthFieldCodec({ lengthFieldBytes: 2, lengthAdjustment: 2 });
      const frame = Buffer.concat([bytes('000c cafe'), Buffer.from('HELLO, WORLD')]);
      assertEverySplit(codec, frame, [frame.subarray(2)]);
      assert.deepEqual(codec.encode(frame.subarray(2)), frame);
    });

    test('zero-length body: exactly one empty message, then "need more"', () => {
      const codec = new LengthFieldCodec();
      assertEverySplit(codec, bytes('00000000'), [Buffer.alloc(0)]);
      assertEverySplit(codec, bytes('00000000 00000000 00000001 61'), [Buffer.alloc(0), Buffer.alloc(0), Buffer.from('a')]);
      const input = new ChunkList();
      input.push(bytes('00000000'));
      const decoder = codec.createDecoder();
      assert.deepEqual(decoder.decode(input), Buffer.alloc(0));
      assert.equal(input.length, 0);
      assert.equal(decoder.decode(input), undefined);
    });

    test('zero-length body with the header counted, and with keepHeader', () => {
      assertEverySplit(new LengthFieldCodec({ lengthFieldBytes: 2, lengthIncludesHeader: true }), bytes('0002'), [Buffer.alloc(0)]);
      assertEverySplit(new LengthFieldCodec({ lengthFieldBytes: 2, keepHeader: true }), bytes('0000'), [bytes('0000')]);
    });

    test('a frame inside one chunk comes out as a view of it', () => {
      const codec = new LengthFieldCodec();
      const chunk = Buffer.alloc(16);
      codec.encode('hello').copy(chunk, 0);
      const input = new ChunkList();
      input.push(chunk);
      const message = codec.createDecoder().decode(input)!;
      assert.equal(message.toString(), 'hello');
      assert.equal(message.buffer, chunk.buffer);
      assert.equal(message.byteOffset, chunk.byteOffset + 4);
    });
  });

  describe('bad input', () => {
    const headerOnly = (codec: LengthFieldCodec, header: string) => () => {
      const input = new ChunkList();
      input.push(bytes(header));
      return codec.createDecoder().decode(input);
    };

    test('max frame from the header alone: 2 GiB and 4 GiB - 1 in a 4-byte field', () => {
      const codec = new LengthFieldCodec();
      tooLarge(headerOnly(codec, '80000000'));
      tooLarge(headerOnly(codec, 'ffffffff'));
      tooLarge(headerOnly(new LengthFieldCodec({ endian: 'little' }), '00000080'));
    });

    test('max frame from the header alone: 2^53 and the 8-byte maximum', () => {
      const codec = new LengthFieldCodec({ lengthFieldBytes: 8 });
      tooLarge(headerOnly(codec, '0020000000000000')); // 2^53
      tooLarge(headerOnly(codec, 'ffffffffffffffff'));
      tooLarge(headerOnly(new LengthFieldCodec({ lengthFieldBytes: 8, endian: 'little' }), 'ffffffffffffff7f'));
    });

    test('read_max_frame_len: the header counts toward maxFrameBytes', () => {
      const codec = new LengthFieldCodec({ maxFrameBytes: 10 });
      assert.deepEqual(feed(codec, [bytes('00000006 616263646566')]), [Buffer.from('abcdef')]);
      assert.throws(headerOnly(codec, '00000007'), (error: unknown) => {
        assert.ok(error instanceof FrameTooLargeError);
        assert.equal(error.frameBytes, 11);
        assert.equal(error.maxFrameBytes, 10);
        return true;
      });
    });

    test('signed length: a negative value is a corrupt frame, at every width', () => {
      corrupt(headerOnly(new LengthFieldCodec({ lengthFieldBytes: 1, signedLength: true }), '80'));
      corrupt(headerOnly(new LengthFieldCodec({ lengthFieldBytes: 2, signedLength: true, endian: 'little' }), 'ffff'));
      corrupt(headerOnly(new LengthFieldCodec({ signedLength: true }), 'ffffffff'));
      corrupt(headerOnly(new LengthFieldCodec({ signedLength: true }), '80000000'));
      corrupt(headerOnly(new LengthFieldCodec({ lengthFieldBytes: 8, signedLength: true }), '8000000000000000'));
      corrupt(headerOnly(new LengthFieldCodec({ lengthFieldBytes: 8, signedLength: true, endian: 'little' }), 'ffffffffffffffff'));
    });

    test('signed length: a positive adjustment does not make a negative value plausible', () => {
      corrupt(headerOnly(new LengthFieldCodec({ signedLength: true, lengthAdjustment: 10 }), 'ffffffff'));
    });

    test('signed length: a large positive value is still too large, not negative', () => {
      tooLarge(headerOnly(new LengthFieldCodec({ lengthFieldBytes: 8, signedLength: true }), '7fffffffffffffff'));
    });

    test('adjusted length smaller than the header is a corrupt frame', () => {
      corrupt(headerOnly(new LengthFieldCodec({ lengthIncludesHeader: true }), '00000003'));
      corrupt(headerOnly(new LengthFieldCodec({ lengthAdjustment: -5 }), '00000001'));
    });

    test('after a failure the input is not consumed: the connection discards it, no loop', () => {
      const codec = new LengthFieldCodec({ lengthIncludesHeader: true });
      const input = new ChunkList();
      input.push(bytes('00000000 00000000'));
      const decoder = codec.createDecoder();
      for (let i = 0; i < 3; i++) assert.throws(() => decoder.decode(input), CorruptFrameError);
      assert.equal(input.length, 8);
    });

    test('random bytes: only DecodeError subclasses, always progress or "need more"', () => {
      for (const options of [
        {},
        { maxFrameBytes: 64 },
        { lengthFieldBytes: 1 as const },
        { lengthFieldBytes: 2 as const, endian: 'little' as const, signedLength: true },
        { lengthFieldBytes: 8 as const, signedLength: true, maxFrameBytes: 300 },
        { lengthFieldBytes: 2 as const, lengthFieldOffset: 3, lengthIncludesHeader: true, lengthAdjustment: -1, keepHeader: true },
      ]) {
        assertFuzzSafe(new LengthFieldCodec(options));
      }
    });
  });

  describe('encode', () => {
    test('a body too long for the field is refused', () => {
      tooLarge(() => new LengthFieldCodec({ lengthFieldBytes: 1 }).encode(Buffer.alloc(256)));
      tooLarge(() => new LengthFieldCodec({ lengthFieldBytes: 1, signedLength: true }).encode(Buffer.alloc(128)));
      assert.equal(new LengthFieldCodec({ lengthFieldBytes: 1 }).encode(Buffer.alloc(255)).length, 256);
    });

    test('a frame past maxFrameBytes is refused, strings before anything is allocated', () => {
      const codec = new LengthFieldCodec({ maxFrameBytes: 8 });
      tooLarge(() => codec.encode(Buffer.alloc(5)));
      tooLarge(() => codec.encode('x'.repeat(5)));
      tooLarge(() => new LengthFieldCodec({ keepHeader: true, maxFrameBytes: 8 }).encode(Buffer.alloc(9)));
      assert.equal(codec.encode('abcd').length, 8);
    });

    test('accepts Buffer, Uint8Array and string alike', () => {
      const codec = new LengthFieldCodec();
      const expected = bytes('00000002 6869');
      assert.deepEqual(codec.encode('hi'), expected);
      assert.deepEqual(codec.encode(Buffer.from('hi')), expected);
      assert.deepEqual(codec.encode(new Uint8Array([0x68, 0x69])), expected);
      assert.deepEqual(codec.encode(new Uint8Array([0, 0x68, 0x69, 0]).subarray(1, 3)), expected);
    });
  });

  describe('options', () => {
    const invalid = (options: unknown, name: string) =>
      assert.throws(
        () => new LengthFieldCodec(options as LengthFieldCodecOptions),
        (error: unknown) => error instanceof InvalidOptionError && error.message.includes(name),
      );

    test('bad options are refused, naming the option and its value', () => {
      invalid({ lengthFieldBytes: 3 }, 'lengthFieldBytes');
      invalid({ endian: 'middle' }, 'endian');
      invalid({ lengthFieldOffset: -1 }, 'lengthFieldOffset');
      invalid({ lengthAdjustment: 1.5 }, 'lengthAdjustment');
      invalid({ maxFrameBytes: 0 }, 'maxFrameBytes');
      invalid({ lengthFieldOffset: 10, maxFrameBytes: 12 }, 'maxFrameBytes');
      invalid({ keepHeader: 'yes' }, 'keepHeader');
    });
  });

  describe('properties', () => {
    const body = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
    for (const options of [
      {},
      { lengthFieldBytes: 1 as const, maxFrameBytes: 256 },
      { lengthFieldBytes: 2 as const, endian: 'little' as const },
      { lengthFieldBytes: 8 as const, endian: 'little' as const },
      { lengthFieldBytes: 2 as const, signedLength: true },
      { lengthFieldOffset: 3, lengthIncludesHeader: true },
      { lengthFieldBytes: 2 as const, lengthAdjustment: -2 },
    ] satisfies LengthFieldCodecOptions[]) {
      test(`any split of any messages decodes to the same messages: ${JSON.stringify(options)}`, () => {
        assertRoundTrip(new LengthFieldCodec(options), body, hex);
      });
    }

    test('keepHeader: any split gives back the encoded frames', () => {
      const codec = new LengthFieldCodec({ lengthFieldOffset: 2, lengthFieldBytes: 2, keepHeader: true });
      // A whole frame whose length field is already right, so that decode(encode(x)) = x.
      const message = fc
        .tuple(fc.uint8Array({ minLength: 2, maxLength: 2 }), body)
        .map(([fixed, b]) => codec.encode(Buffer.concat([fixed, Buffer.alloc(2), b])));
      assertRoundTrip(codec, message, hex);
    });
  });
});
