import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { beginSharedChunk, ChunkList, endSharedChunk } from '../../src/codec/chunk-list.js';
import { cutAt } from './harness.js';

function listOf(...chunks: (string | Buffer)[]): ChunkList {
  const list = new ChunkList();
  for (const chunk of chunks) list.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return list;
}

describe('ChunkList', () => {
  test('length and chunkCount follow push, skip and take; empty chunks are ignored', () => {
    const list = listOf('abc', '', 'de');
    assert.equal(list.length, 5);
    assert.equal(list.chunkCount, 2);
    list.skip(3);
    assert.equal(list.chunkCount, 1);
    assert.equal(list.take(2).toString(), 'de');
    assert.equal(list.length, 0);
    assert.equal(list.chunkCount, 0);
  });

  test('byteAt reads across chunks after a partial skip', () => {
    const list = listOf('ab', 'c', 'def');
    list.skip(1);
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => String.fromCharCode(list.byteAt(i))).join(''), 'bcdef');
    // backwards after forwards: the cursor must not get in the way
    assert.equal(String.fromCharCode(list.byteAt(0)), 'b');
  });

  describe('take', () => {
    test('a frame inside one chunk is a view of it', () => {
      const chunk = Buffer.alloc(11, 'hello world');
      const list = listOf(chunk);
      list.skip(6);
      const frame = list.take(5);
      assert.equal(frame.toString(), 'world');
      assert.equal(frame.buffer, chunk.buffer);
      assert.equal(frame.byteOffset, chunk.byteOffset + 6);
    });

    test('a frame across chunks is one copy', () => {
      // Not from the shared pool, so that buffer identity means something.
      const a = Buffer.alloc(3, 'hel');
      const b = Buffer.alloc(2, 'lo');
      const list = listOf(a, b, 'rest');
      const frame = list.take(5);
      assert.equal(frame.toString(), 'hello');
      assert.notEqual(frame.buffer, a.buffer);
      assert.notEqual(frame.buffer, b.buffer);
      assert.equal(list.take(4).toString(), 'rest');
    });

    test('take(0) is empty and consumes nothing', () => {
      const list = listOf('x');
      assert.equal(list.take(0).length, 0);
      assert.equal(list.length, 1);
    });

    test('takeAll drains everything', () => {
      const list = listOf('ab', 'cd');
      list.skip(1);
      assert.equal(list.takeAll().toString(), 'bcd');
      assert.equal(list.length, 0);
    });

    test('take matches slicing the joined stream, at any cut', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.array(fc.nat()), fc.array(fc.nat({ max: 16 })), (data, cuts, takes) => {
          const stream = Buffer.from(data);
          const list = listOf(...cutAt(stream, cuts));
          let at = 0;
          for (const n of takes) {
            const count = Math.min(n, stream.length - at);
            assert.deepEqual(list.take(count), stream.subarray(at, at + count));
            at += count;
            assert.equal(list.length, stream.length - at);
          }
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('takeAfter', () => {
    test('a body inside one chunk, or ending exactly at its end, is a view of it', () => {
      const chunk = Buffer.alloc(12, '0123456789ab');
      const list = listOf(chunk, 'rest');
      const middle = list.takeAfter(2, 3);
      assert.equal(middle.toString(), '234');
      assert.equal(middle.buffer, chunk.buffer);
      const last = list.takeAfter(1, 6);
      assert.equal(last.toString(), '6789ab');
      assert.equal(last.buffer, chunk.buffer);
      assert.equal(list.chunkCount, 1);
      assert.equal(list.takeAfter(0, 4).toString(), 'rest');
      assert.equal(list.length, 0);
    });

    test('matches skip then take on the joined stream, at any cut', () => {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.array(fc.nat()), fc.array(fc.tuple(fc.nat({ max: 4 }), fc.nat({ max: 16 }))), (data, cuts, steps) => {
          const stream = Buffer.from(data);
          const list = listOf(...cutAt(stream, cuts));
          let at = 0;
          for (const [gap, n] of steps) {
            if (at + gap + n > stream.length) break;
            assert.deepEqual(list.takeAfter(gap, n), stream.subarray(at + gap, at + gap + n));
            at += gap + n;
            assert.equal(list.length, stream.length - at);
            if (at < stream.length) assert.equal(list.byteAt(0), stream[at]);
          }
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('readUInt', () => {
    const safe = (value: bigint): number => (value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value));

    test('1, 2, 4 and 8 bytes, big and little endian, across chunks', () => {
      const bytes = Buffer.from('0102030405060708090a0b0c0d', 'hex');
      bytes[9] = 0; // so that the little-endian 8-byte read at 2 is below 2^53, hence exact
      for (let cut = 1; cut < bytes.length; cut++) {
        const list = listOf(bytes.subarray(0, cut), bytes.subarray(cut));
        for (const at of [0, 1, 2]) {
          assert.equal(list.readUInt(at, 1, false), bytes[at]);
          assert.equal(list.readUInt(at, 2, false), bytes.readUInt16BE(at));
          assert.equal(list.readUInt(at, 2, true), bytes.readUInt16LE(at));
          assert.equal(list.readUInt(at, 4, false), bytes.readUInt32BE(at));
          assert.equal(list.readUInt(at, 4, true), bytes.readUInt32LE(at));
          assert.equal(list.readUInt(at, 8, false), safe(bytes.readBigUInt64BE(at)));
          assert.equal(list.readUInt(at, 8, true), safe(bytes.readBigUInt64LE(at)));
        }
      }
    });

    test('after a partial skip the position is relative to the read position', () => {
      const list = listOf('\x00\x00\x01', '\x02');
      list.skip(2);
      assert.equal(list.readUInt(0, 2, false), 0x0102);
    });

    test('8-byte values past 2^53 are Infinity, exact up to it, in one chunk or several', () => {
      const max = Buffer.alloc(8, 0xff);
      const safe = Buffer.alloc(8);
      safe.writeBigUInt64BE(BigInt(Number.MAX_SAFE_INTEGER));
      const above = Buffer.alloc(8);
      above.writeBigUInt64BE(BigInt(Number.MAX_SAFE_INTEGER) + 1n);
      for (const split of [8, 3]) {
        const read = (b: Buffer, le = false) => listOf(b.subarray(0, split), b.subarray(split)).readUInt(0, 8, le);
        assert.equal(read(max), Infinity);
        assert.equal(read(max, true), Infinity);
        assert.equal(read(safe), Number.MAX_SAFE_INTEGER);
        assert.equal(read(above), Infinity);
      }
    });
  });

  describe('indexOf', () => {
    test('finds a pattern split across a seam', () => {
      assert.equal(listOf('ab\r', '\ncd').indexOf(Buffer.from('\r\n')), 2);
    });

    test('finds a pattern spread over three chunks', () => {
      assert.equal(listOf('xx<', '-', '>yy').indexOf(Buffer.from('<->')), 2);
    });

    test('respects the read position and `from`', () => {
      const list = listOf('a\nb\n', 'c\n');
      assert.equal(list.indexOf(Buffer.from('\n')), 1);
      assert.equal(list.indexOf(Buffer.from('\n'), 2), 3);
      assert.equal(list.indexOf(Buffer.from('\n'), 4), 5);
      list.skip(2);
      assert.equal(list.indexOf(Buffer.from('\n')), 1);
      assert.equal(list.indexOf(Buffer.from('\n'), 2), 3);
    });

    test('a partial match at the end is not a match', () => {
      assert.equal(listOf('ab', '\r').indexOf(Buffer.from('\r\n')), -1);
      assert.equal(listOf('ab\r').indexOf(Buffer.from('\r\n'), 2), -1);
    });

    test('empty pattern, empty list and `from` past the end give -1', () => {
      assert.equal(listOf('abc').indexOf(Buffer.alloc(0)), -1);
      assert.equal(new ChunkList().indexOf(Buffer.from('a')), -1);
      assert.equal(listOf('abc').indexOf(Buffer.from('c'), 3), -1);
    });

    test('agrees with Buffer#indexOf on the joined stream, at any cut, skip and from', () => {
      const small = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a.map((b) => b % 3)));
      const pattern = fc.uint8Array({ minLength: 1, maxLength: 4 }).map((a) => Buffer.from(a.map((b) => b % 3)));
      fc.assert(
        fc.property(small, fc.array(fc.nat()), pattern, fc.nat({ max: 40 }), fc.nat({ max: 40 }), (data, cuts, pat, skip, from) => {
          const list = listOf(...cutAt(data, cuts));
          const skipped = Math.min(skip, data.length);
          list.skip(skipped);
          const rest = data.subarray(skipped);
          const expected = from > rest.length ? -1 : rest.indexOf(pat, from);
          assert.equal(list.indexOf(pat, from), expected);
          // and again from 0, after the cursor has moved on
          assert.equal(list.indexOf(pat), rest.indexOf(pat));
        }),
        { numRuns: 300 },
      );
    });

    // No timing assertion (shared, noisy machines): a quadratic search over 200,000 chunks takes
    // minutes, so the test's own timeout is what catches it.
    test('a search resumed where it stopped stays linear over many 1-byte chunks', { timeout: 60_000 }, () => {
      const list = new ChunkList();
      const pattern = Buffer.from('\r\n');
      for (let i = 0; i < 200_000; i++) {
        list.push(Buffer.of(0x61));
        assert.equal(list.indexOf(pattern, Math.max(0, list.length - pattern.length + 1)), -1);
      }
      list.push(Buffer.from('\r'));
      list.push(Buffer.from('\n'));
      assert.equal(list.indexOf(pattern, list.length - 3), 200_000);
    });
  });

  test('consumed chunks are released even when the list never runs empty', () => {
    const list = new ChunkList();
    for (let i = 0; i < 10_000; i++) {
      list.push(Buffer.alloc(3, i & 0xff));
      if (list.length >= 4) list.skip(4); // always ends inside a chunk
    }
    const slots = (Reflect.get(list, 'chunks') as Buffer[]).filter((c) => c.length > 0).length;
    assert.ok(slots <= list.chunkCount, `${slots} consumed chunks still held`);
    assert.ok((Reflect.get(list, 'chunks') as Buffer[]).length < 200, 'dead slots never compacted');
  });

  test('clear drops everything', () => {
    const list = listOf('abc', 'def');
    list.clear();
    assert.equal(list.length, 0);
    assert.equal(list.chunkCount, 0);
    list.push(Buffer.from('x\n'));
    assert.equal(list.indexOf(Buffer.from('\n')), 1);
  });

  test('what a list keeps of a shared chunk past the read is a copy; searches and reads go on as before', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 1, maxLength: 40 }), fc.nat(), fc.boolean(), (first, second, cut, behind) => {
        // `behind`: the shared chunk arrives after an older, owned one.
        const older = behind ? Buffer.from(first) : undefined;
        const shared = Buffer.from(behind ? second : first + second);
        const list = new ChunkList();
        if (older) list.push(older);
        beginSharedChunk(shared);
        list.push(shared);
        const whole = Buffer.concat(older ? [older, shared] : [shared]);
        const taken = cut % (whole.length + 1);
        const head = list.take(taken);
        // A cursor left inside the shared chunk: the copy must not leave it pointing at old positions.
        if (list.length > 1) list.byteAt(list.length - 1);
        endSharedChunk();
        const expected = whole.subarray(taken);
        shared.fill(0x21); // the slab's bytes, were they ever written again, must not show through
        assert.equal(head.length, taken);
        assert.equal(list.length, expected.length);
        for (let i = expected.length - 1; i >= 0; i--) assert.equal(list.byteAt(i), expected[i]);
        if (expected.length > 0) assert.equal(list.indexOf(expected.subarray(expected.length - 1)), expected.indexOf(expected.subarray(expected.length - 1)));
        assert.ok(list.take(list.length).equals(expected));
      }),
    );
  });

  test('a shared chunk consumed whole during the read is not copied, and lists it was not pushed to are left alone', () => {
    const other = listOf('kept');
    const list = new ChunkList();
    const shared = Buffer.from('abc');
    beginSharedChunk(shared);
    list.push(shared);
    assert.equal(list.take(3).toString(), 'abc');
    endSharedChunk();
    assert.equal(list.length, 0);
    assert.equal(other.take(4).toString(), 'kept');
  });
});
