import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { constants, deflateRawSync, type ZlibOptions } from 'node:zlib';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { ErrorCode } from '../../src/index.js';
import { until } from '../helpers/wait.js';
import { wsServer } from './fixtures.js';
import { RawWebSocket, upgradeRequest } from './raw-websocket.js';

/** A permessage-deflate payload (RFC 7692 §7.2.1: sync flush, trailing 00 00 ff ff removed). */
function deflated(data: Buffer): Buffer {
  const out = deflateRawSync(data, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - 4);
}

/**
 * Counts the bytes every raw inflater made from now on puts out. The `ws` inflater Switchboard
 * reuses calls `zlib.createInflateRaw` on the shared `zlib` module, so wrapping it sees them all.
 */
function countInflatedBytes(): { readonly bytes: number; restore(): void } {
  // The CommonJS module object (what `ws` holds), not the read-only ES namespace.
  const zlib = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  const original = zlib.createInflateRaw;
  // Node defines it read-only but configurable: redefined, then put back.
  const replace = (value: typeof original): void => void Object.defineProperty(zlib, 'createInflateRaw', { value, configurable: true, enumerable: true, writable: false });
  const counter = {
    bytes: 0,
    restore: () => replace(original),
  };
  replace((options?: ZlibOptions) => {
    const inflater = original(options);
    inflater.on('data', (chunk: Buffer) => (counter.bytes += chunk.length));
    return inflater;
  });
  return counter;
}

describe('permessage-deflate', () => {
  it('is off by default: an offer is ignored and messages flow uncompressed', async () => {
    const f = await wsServer();
    try {
      const socket = new WebSocket(`ws://127.0.0.1:${f.port}/`, { perMessageDeflate: true });
      await new Promise((resolve) => socket.once('open', resolve));
      assert.equal(socket.extensions, '');
      socket.send('x'.repeat(5000));
      const reply = await new Promise<Buffer>((resolve) => socket.once('message', resolve));
      assert.equal(reply.length, 5000);
      socket.close();
    } finally {
      await f.stop();
    }
  });

  it('when on, negotiates with a ws client and inflates its compressed messages (fragmented too)', async () => {
    const f = await wsServer({ perMessageDeflate: { clientNoContextTakeover: true } });
    try {
      const socket = new WebSocket(`ws://127.0.0.1:${f.port}/`, { perMessageDeflate: { threshold: 0 } });
      await new Promise((resolve) => socket.once('open', resolve));
      assert.match(socket.extensions, /permessage-deflate/);
      const raw = await RawWebSocket.open(f.port, upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' }));
      assert.match(raw.response, /\r\nSec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n/);
      raw.destroy();
      await until(() => f.server.connectionCount >= 1, 1000, 'connection');
      assert.equal([...f.server.connections()][0]!.websocket?.compressed, true);
      const big = 'compress me '.repeat(10_000);
      socket.send(big);
      socket.send(Buffer.alloc(3000, 7), { binary: true, fin: false });
      socket.send(Buffer.alloc(3000, 8), { binary: true, fin: true });
      socket.send('after');
      const replies: Buffer[] = [];
      await new Promise<void>((resolve) =>
        socket.on('message', (data: Buffer) => {
          replies.push(data);
          if (replies.length === 3) resolve();
        }),
      );
      assert.equal(replies[0]!.toString(), big);
      assert.deepEqual(replies[1], Buffer.concat([Buffer.alloc(3000, 7), Buffer.alloc(3000, 8)]));
      assert.equal(replies[2]!.toString(), 'after');
      socket.close();
    } finally {
      await f.stop();
    }
  });

  it('clientMaxWindowBits limits the window the client may use, in the negotiated response', async () => {
    const f = await wsServer({ perMessageDeflate: { clientMaxWindowBits: 10 } });
    try {
      const raw = await RawWebSocket.open(f.port, upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' }));
      assert.match(raw.response, /\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n/);
      raw.destroy();
      // A ws client offering 15 bits agrees to 10, and its compressed messages are inflated.
      const socket = new WebSocket(`ws://127.0.0.1:${f.port}/`, { perMessageDeflate: { threshold: 0, clientMaxWindowBits: 15 } });
      await new Promise((resolve) => socket.once('open', resolve));
      assert.match(socket.extensions, /permessage-deflate/);
      const text = 'windowed '.repeat(5000);
      socket.send(text);
      const reply = await new Promise<Buffer>((resolve) => socket.once('message', resolve));
      assert.equal(reply.toString(), text);
      socket.close();
    } finally {
      await f.stop();
    }
  });

  it('fails a deflate bomb with 1009 as soon as the inflated size passes the limit, without inflating the rest', async () => {
    const inflated = countInflatedBytes();
    const f = await wsServer({ perMessageDeflate: true, limits: { maxReceiveBufferSize: 1024 * 1024 } });
    try {
      const peer = await RawWebSocket.open(f.port, upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
      assert.match(peer.response, /Sec-WebSocket-Extensions: permessage-deflate/);
      const bomb = deflated(Buffer.alloc(64 * 1024 * 1024)); // 64 MiB of zeros in ~64 KiB
      assert.ok(bomb.length < 100 * 1024);
      peer.send(0x2, bomb, { rsv: 0x40 });
      assert.equal((await peer.nextClose(5000)).code, 1009);
      await peer.whenClosed();
      await until(() => f.closes.length === 1, 1000, 'close event');
      assert.equal(f.closes[0]!.error?.code, ErrorCode.FrameTooLarge);
      // Counted at the inflater's output (Buffer memory, which heapUsed leaves out): it stopped
      // about the limit (1 MiB, plus what zlib had in flight), not at the bomb's 64 MiB.
      assert.ok(inflated.bytes > 1024 * 1024, `the inflater ran: ${inflated.bytes} bytes`);
      assert.ok(inflated.bytes < 4 * 1024 * 1024, `inflated ${inflated.bytes} bytes of a 64 MiB bomb: the rest must not be inflated`);
    } finally {
      inflated.restore();
      await f.stop();
    }
  });

  it('fails compressed fragments adding up past the limit with 1009', async () => {
    const f = await wsServer({ perMessageDeflate: true, limits: { maxReceiveBufferSize: 100 * 1024 } });
    try {
      const peer = await RawWebSocket.open(f.port, upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_no_context_takeover' }));
      // Each fragment inflates to 60 KiB (under the limit); together they pass it.
      const part = deflateRawSync(Buffer.alloc(60 * 1024), { finishFlush: constants.Z_SYNC_FLUSH });
      peer.send(0x2, part, { rsv: 0x40, fin: false });
      peer.send(0x0, part, { fin: false });
      assert.equal((await peer.nextClose(5000)).code, 1009);
    } finally {
      await f.stop();
    }
  });

  it('fails corrupt compressed data with 1007 and RSV1 on a continuation with 1002', async () => {
    const f = await wsServer({ perMessageDeflate: true });
    try {
      const peer = await RawWebSocket.open(f.port, upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
      peer.send(0x1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00]), { rsv: 0x40 });
      assert.equal((await peer.nextClose(5000)).code, 1007);
      const second = await RawWebSocket.open(f.port, upgradeRequest('/', { 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
      second.send(0x1, deflated(Buffer.from('a')), { rsv: 0x40, fin: false });
      second.send(0x0, deflated(Buffer.from('b')), { rsv: 0x40 });
      assert.equal((await second.nextClose(5000)).code, 1002);
    } finally {
      await f.stop();
    }
  });
});
