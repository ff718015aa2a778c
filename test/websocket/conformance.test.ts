// RFC 6455 rules, checked from a raw socket (Autobahn|Testsuite cannot run on these machines).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../src/index.js';
import { until } from '../helpers/wait.js';
import { wsServer, type WsFixture } from './fixtures.js';
import { closePayload, RawWebSocket } from './raw-websocket.js';

const TEXT = 0x1;
const BINARY = 0x2;
const CONTINUATION = 0x0;
const CLOSE = 0x8;
const PING = 0x9;
const PONG = 0xa;

let fixture: WsFixture;
before(async () => {
  fixture = await wsServer({ limits: { maxReceiveBufferSize: 64 * 1024 } });
});
after(() => fixture.stop());

const open = (): Promise<RawWebSocket> => RawWebSocket.open(fixture.port);

/** Sends bytes that break the protocol; expects a close frame with `code`, then the socket closed. */
async function expectFailure(send: (peer: RawWebSocket) => void, code: number): Promise<void> {
  const peer = await open();
  send(peer);
  const close = await peer.nextClose();
  assert.equal(close.code, code);
  await peer.whenClosed();
  peer.destroy();
}

describe('WebSocket conformance (RFC 6455)', () => {
  it('echoes text as text and binary as binary, unmasked', async () => {
    const peer = await open();
    assert.equal(peer.status, 101);
    peer.send(TEXT, 'hello ünïcode');
    peer.send(BINARY, Buffer.from([0, 1, 2, 255]));
    const text = await peer.nextFrame();
    assert.deepEqual([text.opcode, text.fin, text.masked, text.rsv, text.payload.toString()], [TEXT, true, false, 0, 'hello ünïcode']);
    const binary = await peer.nextFrame();
    assert.equal(binary.opcode, BINARY);
    assert.deepEqual([...binary.payload], [0, 1, 2, 255]);
    peer.destroy();
  });

  it('answers a ping with a pong carrying the same payload', async () => {
    const peer = await open();
    peer.send(PING, 'are you there');
    const pong = await peer.nextFrame();
    assert.equal(pong.opcode, PONG);
    assert.equal(pong.payload.toString(), 'are you there');
    peer.destroy();
  });

  it('assembles a fragmented message; a ping between fragments is answered first, with its payload', async () => {
    const peer = await open();
    peer.send(TEXT, 'frag', { fin: false });
    peer.send(PING, 'mid-message');
    peer.send(CONTINUATION, 'men', { fin: false });
    peer.send(CONTINUATION, 'ted', { fin: true });
    const pong = await peer.nextFrame();
    assert.equal(pong.opcode, PONG);
    assert.equal(pong.payload.toString(), 'mid-message');
    const echo = await peer.nextFrame();
    assert.equal(echo.opcode, TEXT);
    assert.equal(echo.payload.toString(), 'fragmented');
    peer.destroy();
  });

  it('accepts a UTF-8 sequence split across fragments, and empty fragments', async () => {
    const peer = await open();
    const bytes = Buffer.from('κόσμε€😀');
    peer.send(TEXT, bytes.subarray(0, 1), { fin: false });
    peer.send(CONTINUATION, Buffer.alloc(0), { fin: false });
    peer.send(CONTINUATION, bytes.subarray(1, bytes.length - 2), { fin: false });
    peer.send(CONTINUATION, bytes.subarray(bytes.length - 2), { fin: true });
    peer.send(BINARY, Buffer.from([1]), { fin: false });
    peer.send(CONTINUATION, Buffer.from([2, 3]), { fin: true });
    assert.equal((await peer.nextFrame()).payload.toString(), 'κόσμε€😀');
    assert.deepEqual([...(await peer.nextFrame()).payload], [1, 2, 3]);
    peer.destroy();
  });

  it('fails invalid UTF-8 in a text frame with 1007', async () => {
    await expectFailure((peer) => peer.send(TEXT, Buffer.from([0x68, 0xc3, 0x28])), 1007);
    await expectFailure((peer) => peer.send(TEXT, Buffer.from([0xed, 0xa0, 0x80])), 1007); // a surrogate
  });

  it('fails invalid UTF-8 split across fragments with 1007, as soon as the bad fragment arrives', async () => {
    // Valid first fragment ending in a partial sequence; the next one breaks it. No final fragment is ever sent.
    await expectFailure((peer) => {
      peer.send(TEXT, Buffer.from([0x61, 0xe2, 0x82]), { fin: false });
      peer.send(CONTINUATION, Buffer.from([0x28, 0x61]), { fin: false });
    }, 1007);
    // Invalid at once in the first fragment of a long message.
    await expectFailure((peer) => peer.send(TEXT, Buffer.from([0xce, 0xba, 0xf4, 0x90, 0x80, 0x80]), { fin: false }), 1007);
    // A sequence left incomplete by the final fragment.
    await expectFailure((peer) => {
      peer.send(TEXT, Buffer.from('ok'), { fin: false });
      peer.send(CONTINUATION, Buffer.from([0xe2, 0x82]), { fin: true });
    }, 1007);
  });

  it('does not check binary messages for UTF-8', async () => {
    const peer = await open();
    peer.send(BINARY, Buffer.from([0xc3, 0x28, 0xff]));
    assert.deepEqual([...(await peer.nextFrame()).payload], [0xc3, 0x28, 0xff]);
    peer.destroy();
  });

  it('fails reserved bits without an extension with 1002', async () => {
    for (const rsv of [0x40, 0x20, 0x10]) {
      await expectFailure((peer) => peer.send(TEXT, 'x', { rsv }), 1002);
    }
  });

  it('fails reserved opcodes 3-7 and 11-15 with 1002', async () => {
    for (const opcode of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
      await expectFailure((peer) => peer.send(opcode, 'x'), 1002);
    }
  });

  it('fails an unmasked client frame with 1002', async () => {
    await expectFailure((peer) => peer.send(TEXT, 'plain', { mask: false }), 1002);
  });

  it('fails a control frame over 125 bytes, or fragmented, with 1002', async () => {
    await expectFailure((peer) => peer.send(PING, Buffer.alloc(126)), 1002);
    await expectFailure((peer) => peer.send(PING, 'x', { fin: false }), 1002);
    await expectFailure((peer) => peer.send(CLOSE, closePayload(1000), { fin: false }), 1002);
    await expectFailure((peer) => peer.send(PONG, 'x', { rsv: 0x40 }), 1002);
  });

  it('fails a continuation with nothing to continue, and a new data frame inside a fragmented message, with 1002', async () => {
    await expectFailure((peer) => peer.send(CONTINUATION, 'orphan'), 1002);
    await expectFailure((peer) => {
      peer.send(TEXT, 'begun', { fin: false });
      peer.send(TEXT, 'again');
    }, 1002);
    await expectFailure((peer) => {
      peer.send(BINARY, 'one', { fin: true });
      peer.send(CONTINUATION, 'after the end');
    }, 1002);
  });

  it('fails an oversized frame with 1009 from its header, before the payload arrives', async () => {
    const peer = await open();
    // Announce 1 MiB (the limit is 64 KiB) and send nothing more: the verdict comes from the header.
    peer.send(BINARY, Buffer.alloc(0), { announcedLength: 1024 * 1024 });
    assert.equal((await peer.nextClose()).code, 1009);
    await peer.whenClosed();
    await until(() => fixture.closes.at(-1)?.code === 1009, 1000, 'close event 1009');
    const closed = fixture.closes.at(-1)!;
    assert.equal(closed.error?.code, ErrorCode.FrameTooLarge);
  });

  it('fails a frame announcing 2^63-1 bytes with 1009', async () => {
    const peer = await open();
    const header = Buffer.from([0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4]);
    peer.write(header);
    assert.equal((await peer.nextClose()).code, 1009);
    await peer.whenClosed();
    // A set top bit (not allowed at all) is refused the same way.
    await expectFailure((p) => p.write(Buffer.from([0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4])), 1009);
  });

  it('fails fragments adding up past the limit with 1009', async () => {
    await expectFailure((peer) => {
      peer.send(BINARY, Buffer.alloc(40 * 1024), { fin: false });
      peer.send(CONTINUATION, Buffer.alloc(40 * 1024), { fin: false });
    }, 1009);
  });

  it('answers an empty close frame with 1000 and reports 1005', async () => {
    const peer = await open();
    peer.send(CLOSE);
    assert.equal((await peer.nextClose()).code, 1000);
    await peer.whenClosed();
    await until(() => fixture.closes.at(-1)?.code === 1005, 1000, 'close event');
    assert.equal(fixture.closes.at(-1)!.reason, 'peer');
  });

  it('fails a close frame with a 1-byte payload with 1002', async () => {
    await expectFailure((peer) => peer.send(CLOSE, Buffer.from([0x03])), 1002);
  });

  it('fails close codes that may not be sent with 1002', async () => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
      await expectFailure((peer) => peer.send(CLOSE, closePayload(code)), 1002);
    }
  });

  it('echoes valid close codes, 3000-4999 included, and reports code and reason', async () => {
    for (const code of [1000, 1001, 1003, 1011, 3000, 3999, 4000, 4999]) {
      const peer = await open();
      peer.send(CLOSE, closePayload(code, 'see you'));
      assert.equal((await peer.nextClose()).code, code);
      await peer.whenClosed();
      await until(() => fixture.closes.at(-1)?.code === code, 1000, `close event ${code}`);
      assert.equal(fixture.closes.at(-1)!.closeReason, 'see you');
    }
  });

  it('fails a close reason that is not UTF-8 with 1007', async () => {
    await expectFailure((peer) => peer.send(CLOSE, Buffer.concat([closePayload(1000), Buffer.from([0xff, 0xfe])])), 1007);
  });

  it('processes nothing after a close frame', async () => {
    const before = fixture.messages.length;
    const peer = await open();
    peer.write(Buffer.concat([
      Buffer.from([0x81, 0x80, 0, 0, 0, 0]), // an empty text frame, masked with a zero key: fine
      Buffer.from([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xe8]),
      Buffer.from([0x81, 0x85, 0, 0, 0, 0]),
      Buffer.from('after'),
    ]));
    assert.equal((await peer.nextClose()).code, 1000);
    await peer.whenClosed();
    assert.deepEqual(fixture.messages.slice(before), ['']);
  });

  it('performs the close handshake when the server closes: final message, close frame, wait, then the server ends TCP', async () => {
    const peer = await open();
    peer.send(TEXT, 'hi');
    await peer.nextFrame();
    const connection = [...fixture.server.connections()].at(-1)!;
    connection.close('goodbye');
    const last = await peer.nextFrame();
    assert.deepEqual([last.opcode, last.payload.toString()], [TEXT, 'goodbye']);
    assert.equal((await peer.nextClose()).code, 1000);
    assert.equal(connection.state, 'closing');
    // The server waits for our close frame before it ends the connection.
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(peer.ended || peer.closed, false);
    peer.send(CLOSE, closePayload(4321, 'ok'));
    await peer.whenClosed();
    await until(() => connection.state === 'closed', 1000, 'closed');
    const event = fixture.closes.at(-1)!;
    assert.deepEqual([event.reason, event.code, event.closeReason], ['local', 4321, 'ok']);
  });

  it('parses frames arriving one byte at a time', async () => {
    const peer = await open();
    const bytes = Buffer.concat([
      Buffer.from([0x01, 0x83, 1, 2, 3, 4]), Buffer.from('abc').map((b, i) => b ^ [1, 2, 3, 4][i & 3]!),
      Buffer.from([0x89, 0x80, 9, 9, 9, 9]),
      Buffer.from([0x80, 0x82, 5, 6, 7, 8]), Buffer.from('de').map((b, i) => b ^ [5, 6, 7, 8][i & 3]!),
    ]);
    for (const byte of bytes) {
      peer.write(Buffer.from([byte]));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal((await peer.nextFrame()).opcode, PONG);
    assert.equal((await peer.nextFrame()).payload.toString(), 'abcde');
    peer.destroy();
  });
});
