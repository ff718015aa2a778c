import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Opcode } from '../../src/transport/websocket/constants.js';
import { SLAB_FRAME_MAX } from '../../src/transport/websocket/frame-slab.js';
import { writeFrame, writeFrameParts } from '../../src/transport/websocket/frame-writer.js';

describe('small text frames of a turn in the shared slab', () => {
  it('a connection’s frames of a turn become one piece, with the bytes of the frames one by one', () => {
    const texts = ['a', 'héllo', '', '😀'.repeat(40), 'x'.repeat(200)];
    const out: Buffer[] = [];
    for (const text of texts) writeFrameParts(Opcode.Text, text, out);
    assert.equal(out.length, 1);
    assert.deepEqual(out[0], Buffer.concat(texts.map((t) => writeFrame(Opcode.Text, t))));
  });

  it('frames of connections written in turn stay apart, each queue whole', () => {
    const a: Buffer[] = [];
    const b: Buffer[] = [];
    writeFrameParts(Opcode.Text, 'a1', a);
    writeFrameParts(Opcode.Text, 'b1', b);
    writeFrameParts(Opcode.Text, 'a2', a);
    writeFrameParts(Opcode.Text, 'b2', b);
    writeFrameParts(Opcode.Text, 'b3', b);
    assert.deepEqual(Buffer.concat(a), Buffer.concat([writeFrame(Opcode.Text, 'a1'), writeFrame(Opcode.Text, 'a2')]));
    assert.deepEqual(b.length, 2, 'b2 and b3 were written back to back');
    assert.deepEqual(Buffer.concat(b), Buffer.concat(['b1', 'b2', 'b3'].map((t) => writeFrame(Opcode.Text, t))));
  });

  it('never rewrites bytes already handed out, and keeps any mix of sizes in order (property)', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      // Around the slab's frame limit, and enough bytes in a run to fill several slabs.
      fc.integer({ min: SLAB_FRAME_MAX - 20, max: SLAB_FRAME_MAX + 20 }).map((n) => 'z'.repeat(n)),
      fc.integer({ min: 1000, max: 3000 }).map((n) => '€'.repeat(n)),
      fc.integer({ min: 2000, max: 6000 }).map((n) => 'q'.repeat(n)),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), text), { minLength: 30, maxLength: 120 }), (sends) => {
        const queues: Buffer[][] = [[], [], []];
        const expected: Buffer[][] = [[], [], []];
        // A copy of every piece as it was handed out: later frames must not change it.
        const handedOut: Array<[Buffer, Buffer]> = [];
        for (const [target, message] of sends) {
          const queue = queues[target]!;
          const before = queue.length;
          const bytes = writeFrameParts(Opcode.Text, message, queue);
          const frame = writeFrame(Opcode.Text, message);
          assert.equal(bytes, frame.length);
          expected[target]!.push(frame);
          for (let i = Math.max(0, before - 1); i < queue.length; i++) handedOut.push([queue[i]!, Buffer.from(queue[i]!)]);
        }
        for (let q = 0; q < 3; q++) assert.deepEqual(Buffer.concat(queues[q]!), Buffer.concat(expected[q]!));
        for (const [piece, copy] of handedOut) assert.deepEqual(piece, copy);
      }),
      { numRuns: 200 },
    );
  });
});
