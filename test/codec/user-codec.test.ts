// The worked example of docs/CODECS.md ("Writing your own codec"), kept honest by running it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ChunkList, type Codec, type Decoder } from '../../src/codec/index.js';
import { CorruptFrameError, FrameTooLargeError } from '../../src/errors.js';
import { assertEverySplit, assertFuzzSafe, assertRoundTrip, feed } from './harness.js';

// ---- the example, as in the doc ------------------------------------------------------------

/** A packet: a type byte, a 2-byte big-endian body length, the body. */
interface Packet {
  type: number;
  body: Buffer;
}

const HEADER_BYTES = 3;
const KNOWN_TYPES = new Set([1, 2, 3]);

class PacketCodec implements Codec<Packet>, Decoder<Packet> {
  readonly name = 'packet';
  readonly maxFrameBytes = HEADER_BYTES + 0xffff;

  // Stateless: everything decode needs is in the input, so one object serves every connection.
  createDecoder(): Decoder<Packet> {
    return this;
  }

  decode(input: ChunkList): Packet | undefined {
    if (input.length === 0) return undefined;
    const type = input.byteAt(0);
    // Fail on the first bad byte rather than wait for a frame that can never be right.
    if (!KNOWN_TYPES.has(type)) throw new CorruptFrameError(`unknown packet type ${type}`);
    if (input.length < HEADER_BYTES) return undefined; // wait for the whole header
    const length = input.readUInt(1, 2, false);
    if (input.length < HEADER_BYTES + length) return undefined; // wait for the whole body
    input.skip(HEADER_BYTES);
    return { type, body: input.take(length) }; // a view when the body lies in one chunk
  }

  encode(packet: Packet): Buffer {
    const frame = HEADER_BYTES + packet.body.length;
    if (frame > this.maxFrameBytes) throw new FrameTooLargeError(frame, this.maxFrameBytes);
    const out = Buffer.allocUnsafe(frame);
    out[0] = packet.type;
    out.writeUInt16BE(packet.body.length, 1);
    out.set(packet.body, HEADER_BYTES);
    return out;
  }
}

// ---- its tests -------------------------------------------------------------------------------

const packet = (type: number, body: string): Packet => ({ type, body: Buffer.from(body) });

describe('a user codec (docs/CODECS.md example)', () => {
  const codec = new PacketCodec();

  test('frames at every split, empty bodies included', () => {
    const stream = Buffer.concat([codec.encode(packet(1, 'hi')), codec.encode(packet(2, '')), codec.encode(packet(3, 'there'))]);
    assertEverySplit(codec, stream, [packet(1, 'hi'), packet(2, ''), packet(3, 'there')]);
  });

  test('read_incomplete_head and read_incomplete_body ask for more', () => {
    const input = new ChunkList();
    input.push(Buffer.from([1, 0]));
    assert.equal(codec.decode(input), undefined);
    input.push(Buffer.from([2, 0x61]));
    assert.equal(codec.decode(input), undefined);
    input.push(Buffer.from([0x62]));
    assert.deepEqual(codec.decode(input), packet(1, 'ab'));
  });

  test('a body inside one chunk is a view of it', () => {
    const chunk = Buffer.alloc(8);
    codec.encode(packet(1, 'hello')).copy(chunk);
    const input = new ChunkList();
    input.push(chunk);
    assert.equal(codec.decode(input)!.body.buffer, chunk.buffer);
  });

  test('an unknown type is a corrupt frame, decided from the first byte', () => {
    assert.throws(() => feed(codec, [Buffer.from([9])]), CorruptFrameError);
  });

  test('a body too long for the length field is refused', () => {
    assert.throws(() => codec.encode({ type: 1, body: Buffer.alloc(0x10000) }), FrameTooLargeError);
  });

  test('any split of any packets decodes to the same packets', () => {
    const arbitrary = fc.record({ type: fc.constantFrom(1, 2, 3), body: fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)) });
    assertRoundTrip(codec, arbitrary, (p) => {
      const { type, body } = p as Packet;
      return { type, body: body.toString('hex') };
    });
  });

  test('random bytes: only DecodeError subclasses, always progress or "need more"', () => {
    assertFuzzSafe(codec);
  });

  test('the doc shows this very code', () => {
    // Compiled to dist/test/codec/; the sources sit three levels up.
    const root = new URL('../../../', import.meta.url);
    const source = readFileSync(new URL('test/codec/user-codec.test.ts', root), 'utf8');
    const example = source.slice(source.indexOf('/** A packet:'), source.indexOf('// ---- its tests')).trimEnd();
    assert.ok(example.length > 500);
    assert.ok(readFileSync(new URL('docs/CODECS.md', root), 'utf8').includes(example), 'docs/CODECS.md is out of date');
  });
});
