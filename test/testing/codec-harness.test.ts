import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LengthFieldCodec, LineCodec, type Codec } from '../../src/index.js';
import { ChunkList, assertEverySplit, assertFuzzSafe, feed } from '../../src/testing/index.js';

/** A user codec with the classic bug: it reads its 2-byte header without checking the bytes are there. */
const careless: Codec<Buffer, Buffer> = {
  name: 'careless',
  maxFrameBytes: 1024,
  createDecoder: () => ({
    decode(input: ChunkList): Buffer | undefined {
      if (input.length === 0) return undefined;
      const length = input.readUInt(0, 2, false);
      if (input.length < 2 + length) return undefined;
      input.skip(2);
      return input.take(length);
    },
  }),
  encode: (body) => Buffer.concat([Buffer.from([body.length >> 8, body.length & 0xff]), body]),
};

describe('switchboard/testing', () => {
  it('assertEverySplit passes a correct codec and catches one that breaks when a header is split', () => {
    const codec = new LineCodec();
    assertEverySplit(codec, Buffer.from('one\ntwo\n'), ['one', 'two']);
    assert.throws(() => assertEverySplit(careless, careless.encode(Buffer.from('hi')), [Buffer.from('hi')]));
  });

  it('assertFuzzSafe passes the built-in codecs and names the run that crashes a careless one', () => {
    assertFuzzSafe(new LengthFieldCodec({ maxFrameBytes: 256 }), { runs: 300 });
    assert.throws(() => assertFuzzSafe(careless, { runs: 300, seed: 7 }), (error: Error) => /seed 7/.test(error.message));
  });

  it('feed decodes the chunks as a connection does', () => {
    const codec = new LengthFieldCodec();
    const stream = Buffer.concat([codec.encode('a'), codec.encode('bc')]);
    assert.deepEqual(feed(codec, [stream.subarray(0, 3), stream.subarray(3)]).map(String), ['a', 'bc']);
  });
});
