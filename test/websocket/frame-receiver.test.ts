import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode, type WebSocketProtocolError } from '../../src/errors.js';
import { FrameReceiver, onClose, onFail, onMessage, onPing, onPong, onResume, receiving, type FrameHandler } from '../../src/transport/websocket/frame-receiver.js';
import { writeCloseFrame, writeFrame } from '../../src/transport/websocket/frame-writer.js';
import { applyMask } from '../../src/transport/websocket/mask.js';
import { clientFrame, closePayload } from './raw-websocket.js';

type Event = [string, ...unknown[]];

function receiver(role: 'server' | 'client' = 'server', maxMessageBytes = 1 << 20): { receiver: FrameReceiver; events: Event[] } {
  const events: Event[] = [];
  const handler: FrameHandler = {
    [onMessage]: (data: string | Buffer, binary: boolean) => events.push(['message', binary ? [...(data as Buffer)] : data]),
    [onPing]: (payload: Buffer) => events.push(['ping', payload.toString()]),
    [onPong]: (payload: Buffer) => events.push(['pong', payload.toString()]),
    [onClose]: (code: number | undefined, reason: string) => events.push(['close', code, reason]),
    [onFail]: (error: WebSocketProtocolError) => events.push(['fail', error.closeCode, error.code]),
    [onResume]: () => events.push(['resume']),
    [receiving]: () => true,
  };
  return { receiver: new FrameReceiver(handler, { role, maxMessageBytes }), events };
}

function feed(r: FrameReceiver, ...chunks: Buffer[]): void {
  for (const chunk of chunks) {
    r.input.push(Buffer.from(chunk));
    r.run();
  }
}

describe('FrameReceiver', () => {
  const stream = Buffer.concat([
    clientFrame(0x1, 'héllo'),
    clientFrame(0x2, Buffer.from([1, 2]), { fin: false }),
    clientFrame(0x9, 'p'),
    clientFrame(0x0, Buffer.from([3]), { fin: true }),
    clientFrame(0x1, Buffer.from('€'.repeat(50)).subarray(0, 100), { fin: false }),
    clientFrame(0x0, Buffer.from('€'.repeat(50)).subarray(100), { fin: true }),
    clientFrame(0x2, Buffer.alloc(300, 7)),
    clientFrame(0xa, ''),
    clientFrame(0x8, closePayload(1000, 'bye')),
  ]);
  const expected: Event[] = [
    ['message', 'héllo'],
    ['ping', 'p'],
    ['message', [1, 2, 3]],
    ['message', '€'.repeat(50)],
    ['message', [...Buffer.alloc(300, 7)]],
    ['pong', ''],
    ['close', 1000, 'bye'],
  ];

  it('read_whole_stream', () => {
    const { receiver: r, events } = receiver();
    feed(r, stream);
    assert.deepEqual(events, expected);
  });

  it('read_split_at_every_offset gives the same events', () => {
    for (let at = 0; at <= stream.length; at++) {
      const { receiver: r, events } = receiver();
      feed(r, stream.subarray(0, at), stream.subarray(at));
      assert.deepEqual(events, expected, `split at ${at}`);
    }
  });

  it('read_one_byte_at_a_time gives the same events', () => {
    const { receiver: r, events } = receiver();
    for (let i = 0; i < stream.length; i++) feed(r, stream.subarray(i, i + 1));
    assert.deepEqual(events, expected);
  });

  it('read_server_frames as a client; refuses masked ones', () => {
    const { receiver: r, events } = receiver('client');
    feed(r, writeFrame(0x1, 'to client'), writeFrame(0x2, Buffer.from([9])), writeCloseFrame(1001, 'going'));
    assert.deepEqual(events, [['message', 'to client'], ['message', [9]], ['close', 1001, 'going']]);
    const masked = receiver('client');
    feed(masked.receiver, clientFrame(0x1, 'x'));
    assert.deepEqual(masked.events, [['fail', 1002, ErrorCode.WebSocketProtocol]]);
  });

  it('read_max_frame_len: a header over the limit fails before its payload', () => {
    const { receiver: r, events } = receiver('server', 100);
    feed(r, clientFrame(0x2, Buffer.alloc(101)).subarray(0, 8));
    assert.deepEqual(events, [['fail', 1009, ErrorCode.FrameTooLarge]]);
    assert.equal(r.bufferedBytes, 0);
    const exact = receiver('server', 100);
    feed(exact.receiver, clientFrame(0x2, Buffer.alloc(100)));
    assert.equal(exact.events.length, 1);
  });

  it('ignores everything after a failure or a close', () => {
    const { receiver: r, events } = receiver();
    feed(r, clientFrame(0x3, 'x'), clientFrame(0x1, 'later'));
    assert.deepEqual(events, [['fail', 1002, ErrorCode.WebSocketProtocol]]);
  });

  it('stops between frames while the handler is not receiving, and goes on when run again', () => {
    const events: string[] = [];
    let accepting = true;
    const handler: FrameHandler = {
      [onMessage]: (data: string | Buffer) => {
        events.push(String(data));
        accepting = false;
      },
      [onPing]: () => undefined,
      [onPong]: () => undefined,
      [onClose]: () => undefined,
      [onFail]: () => undefined,
      [onResume]: () => undefined,
      [receiving]: () => accepting,
    };
    const r = new FrameReceiver(handler, { role: 'server', maxMessageBytes: 1000 });
    r.input.push(Buffer.concat([clientFrame(0x1, 'a'), clientFrame(0x1, 'b')]));
    assert.equal(r.run(), 1);
    assert.deepEqual(events, ['a']);
    accepting = true;
    r.run();
    assert.deepEqual(events, ['a', 'b']);
  });
});

describe('applyMask', () => {
  it('matches a byte-by-byte XOR at every length and alignment', () => {
    // Keys with the top bit set too: the short-payload path turns the key with signed shifts.
    for (const key of [0x12345678, 0xdeadbeef, 0x80000001]) {
      const mask = Buffer.alloc(4);
      mask.writeUInt32BE(key);
      // With the accelerator built, lengths from NATIVE_MASK_MIN go to C (32- and 8-byte steps, then bytes).
      const backing = Buffer.alloc(1100);
      const lengths = [...Array.from({ length: 131 }, (_, n) => n), 257, 1031];
      for (let offset = 0; offset < 4; offset++) {
        for (const length of lengths) {
          const data = backing.subarray(offset, offset + length);
          for (let i = 0; i < length; i++) data[i] = (i * 7 + offset) & 0xff;
          const expected = Buffer.from(data).map((b, i) => b ^ mask[i & 3]!);
          applyMask(data, key);
          assert.deepEqual([...data], [...expected], `key ${key.toString(16)} offset ${offset} length ${length}`);
        }
      }
    }
  });
});
