import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { Server } from '../../src/index.js';
import type { WebSocketProtocolError } from '../../src/errors.js';
import { FrameReceiver, onClose, onFail, onMessage, onPing, onPong, onResume, receiving, type FrameHandler } from '../../src/transport/websocket/frame-receiver.js';
import { writeFrame, writeFrameParts } from '../../src/transport/websocket/frame-writer.js';
import { Opcode } from '../../src/transport/websocket/constants.js';
import { bytesOfReceivedText } from '../../src/transport/websocket/received-text.js';
import { clientFrame } from './raw-websocket.js';

/** A server-side receiver whose message handler runs `listener` (the place where an echo sends). */
function receiverWith(listener: (text: string, payload: Buffer | undefined) => void): FrameReceiver {
  const handler: FrameHandler = {
    [onMessage]: (data: string | Buffer) => listener(data as string, typeof data === 'string' ? bytesOfReceivedText(data) : undefined),
    [onPing]: () => {},
    [onPong]: () => {},
    [onClose]: () => {},
    [onFail]: (error: WebSocketProtocolError) => assert.fail(error),
    [onResume]: () => {},
    [receiving]: () => true,
  };
  return new FrameReceiver(handler, { role: 'server', maxMessageBytes: 1 << 20 });
}

function receive(r: FrameReceiver, frame: Buffer): void {
  r.input.push(frame);
  r.run();
}

/** The payload of an unmasked frame with a 2-byte or 4-byte header (as written by the server). */
function payloadOf(frame: Buffer): Buffer {
  return frame.subarray((frame[1]! & 0x7f) === 126 ? 4 : 2);
}

describe('text echoed while it is delivered', () => {
  it('writes the received bytes for the same string, and equal bytes to a fresh encoding', () => {
    const texts = ['hello', 'héllo wörld €', '\uFEFFstarts with a BOM', '😀 astral', ''];
    for (const text of texts) {
      let frame: Buffer | undefined;
      const r = receiverWith((received, bytes) => {
        assert.ok(bytes !== undefined, 'the delivered text has its received bytes');
        frame = writeFrame(Opcode.Text, received);
      });
      receive(r, clientFrame(Opcode.Text, text));
      assert.deepEqual(frame, writeFrame(Opcode.Text, text), JSON.stringify(text));
    }
  });

  it('keeps a large echoed text as a view of the received bytes', () => {
    const text = 'x'.repeat(20_000) + '€';
    let parts: Buffer[] = [];
    let received: Buffer | undefined;
    const r = receiverWith((message, bytes) => {
      received = bytes;
      writeFrameParts(Opcode.Text, message, parts);
    });
    receive(r, clientFrame(Opcode.Text, text));
    assert.equal(parts.length, 2);
    assert.equal(parts[1]!.buffer, received!.buffer, 'the payload is the received chunk');
    assert.equal(parts[1]!.byteOffset, received!.byteOffset);
    assert.equal(parts[1]!.toString(), text);
    // The same string outside delivery is encoded into a frame of its own, with equal bytes.
    parts = [];
    writeFrameParts(Opcode.Text, text, parts);
    assert.equal(parts.length, 1);
    assert.equal(payloadOf(parts[0]!).toString(), text);
  });

  it('encodes a different or edited string, and forgets the text once its listeners return', () => {
    const frames: Buffer[] = [];
    const r = receiverWith((text) => {
      frames.push(writeFrame(Opcode.Text, text + '!'));
      frames.push(writeFrame(Opcode.Text, text.toUpperCase()));
      frames.push(writeFrame(Opcode.Text, 'other'));
      assert.equal(bytesOfReceivedText(text.slice(1)), undefined);
    });
    receive(r, clientFrame(Opcode.Text, 'café'));
    assert.deepEqual(
      frames.map((f) => payloadOf(f).toString()),
      ['café!', 'CAFÉ', 'other'],
    );
    assert.equal(bytesOfReceivedText('café'), undefined, 'nothing is remembered after delivery');
  });

  it('does not offer the bytes of a fragmented text (its pieces were joined as strings)', () => {
    let offered: Buffer | undefined | null = null;
    const r = receiverWith((_text, bytes) => {
      offered = bytes;
    });
    receive(r, Buffer.concat([clientFrame(Opcode.Text, 'ab', { fin: false }), clientFrame(Opcode.Continuation, 'c')]));
    assert.equal(offered, undefined);
  });

  it('forgets the text when a listener throws', () => {
    const r = receiverWith(() => {
      throw new Error('listener failed');
    });
    assert.throws(() => receive(r, clientFrame(Opcode.Text, 'boom')), /listener failed/);
    assert.equal(bytesOfReceivedText('boom'), undefined);
  });

  it('echoes and relays text through a real server unchanged, whatever the listener sends', async () => {
    const server = new Server({ endpoints: [{ transport: 'ws', host: '127.0.0.1', port: 0, path: '/' }] });
    server.on('message', ({ connection, message }) => {
      const text = message as string;
      // The same string, then an edited one, in the same listener.
      connection.send(text);
      connection.send(`${text}|${text.length}`);
    });
    await server.start();
    const client = new WebSocket(`ws://127.0.0.1:${server.port()}/`);
    try {
      await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
      const texts = ['plain', 'ünïcödé €', '😀', 'y'.repeat(70_000)];
      const got: string[] = [];
      const done = new Promise<void>((resolve) =>
        client.on('message', (data, binary) => {
          got.push(binary ? '(binary)' : String(data));
          if (got.length === texts.length * 2) resolve();
        }),
      );
      for (const text of texts) client.send(text);
      await done;
      assert.deepEqual(
        got,
        texts.flatMap((t) => [t, `${t}|${t.length}`]),
      );
    } finally {
      client.close();
      await server.stop();
    }
  });
});
