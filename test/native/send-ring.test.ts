// The native writer's sendEach on real sockets, called directly: what each (fd, Buffer) pair of a
// batch reports, and what arrives. On Linux the batch goes through io_uring (the send ring); the
// last test runs this file again with SWITCHBOARD_IO_URING=0, one send(2) per socket, so both
// ways are held to the same results on every run.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it, type TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import { IO_URING_ENV, nativeSendPath, nativeWriter } from '../../src/transport/native-writer.js';
import { runNode } from '../helpers/node-child.js';
import { until } from '../helpers/wait.js';

const ADDON = fileURLToPath(new URL('../../../native/build/switchboard-native.node', import.meta.url));
const EAGAIN = -11;
const EBADF = -9;
const ECANCELED = -125;
/** No process here has this many files open, so it is never a file. */
const NOT_A_FILE = 1_000_000;

interface Pair {
  /** The accepted side, whose fd sendEach writes to. */
  readonly sender: Socket;
  readonly fd: number;
  /** The connecting side, which collects what arrives. */
  readonly receiver: Socket;
  readonly received: Buffer[];
}

/** `count` loopback TCP connections; each accepted side's fd, and what its peer receives. */
async function pairs(count: number, t: TestContext): Promise<Pair[]> {
  const accepted: Socket[] = [];
  const server: Server = createServer((socket) => accepted.push(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const receivers: Socket[] = [];
  t.after(() => {
    for (const socket of [...receivers, ...accepted]) socket.destroy();
    server.close();
  });
  for (let i = 0; i < count; i++) {
    const receiver = connect(port, '127.0.0.1');
    receivers.push(receiver);
    await once(receiver, 'connect');
  }
  await until(() => accepted.length === count, 5000, 'every connection accepted');
  // Accepted sockets in the order of their connections: match them by port.
  const byPort = new Map(accepted.map((socket) => [socket.remotePort, socket]));
  return receivers.map((receiver) => {
    const sender = byPort.get(receiver.localPort)!;
    const fd = (sender as unknown as { _handle: { fd: number } })._handle.fd;
    const received: Buffer[] = [];
    receiver.on('data', (chunk: Buffer) => received.push(chunk));
    return { sender, fd, receiver, received };
  });
}

function sendEach(fds: readonly number[], buffers: readonly Buffer[]): number[] {
  const result = new Int32Array(fds.length);
  nativeWriter!.sendEach(Int32Array.from(fds), buffers, fds.length, result);
  return [...result];
}

describe('the native writer, called directly', { skip: nativeWriter === undefined ? 'the accelerator is not built or is turned off' : false }, () => {
  it(`says how it sends (${nativeSendPath()} here)`, () => {
    const path = nativeSendPath();
    if (process.env[IO_URING_ENV] === '0' || process.platform !== 'linux') assert.equal(path, 'send');
    else assert.ok(path === 'io_uring' || path === 'send', path);
  });

  it('a batch larger than the ring (300 sockets), three times: each socket gets its bytes whole and in order', async (t) => {
    const all = await pairs(300, t);
    const expected = all.map(() => [] as Buffer[]);
    for (let round = 0; round < 3; round++) {
      const buffers = all.map((_, i) => Buffer.from(`round ${round} socket ${i} `.padEnd(40 + ((i * 7 + round) % 50), '.')));
      const result = sendEach(all.map((p) => p.fd), buffers);
      assert.deepEqual(result, buffers.map((b) => b.length), 'every send taken whole');
      buffers.forEach((b, i) => expected[i]!.push(b));
    }
    const want = expected.map((parts) => Buffer.concat(parts));
    await until(() => all.every((p, i) => Buffer.concat(p.received).length >= want[i]!.length), 10_000, 'every byte');
    all.forEach((p, i) => assert.ok(Buffer.concat(p.received).equals(want[i]!), `socket ${i}`));
  });

  it('a full socket, a closed fd, an empty Buffer and a socket twice, in one batch: each reported on its own, the others sent', async (t) => {
    const [full, first, second] = await pairs(3, t);
    // Fill the first socket: its peer reads nothing until the end.
    full!.receiver.pause();
    const block = Buffer.alloc(256 * 1024, 7);
    let filled = 0;
    for (let i = 0; i < 10_000; i++) {
      const [taken] = sendEach([full!.fd], [block]);
      if (taken! <= 0) break;
      filled += taken!;
    }
    assert.ok(filled > 0, 'the socket took something before it filled');
    const a1 = Buffer.from('first, once');
    const b1 = Buffer.from('second, once');
    const b2 = Buffer.from(' and twice');
    const result = sendEach([full!.fd, first!.fd, NOT_A_FILE, second!.fd, first!.fd, second!.fd], [block, a1, Buffer.from('lost'), b1, Buffer.alloc(0), b2]);
    assert.deepEqual(result, [EAGAIN, a1.length, EBADF, b1.length, 0, b2.length]);
    await until(() => Buffer.concat(second!.received).length >= b1.length + b2.length, 5000, 'the second socket');
    assert.equal(Buffer.concat(second!.received).toString(), 'second, once and twice');
    await until(() => Buffer.concat(first!.received).length >= a1.length, 5000, 'the first socket');
    assert.equal(Buffer.concat(first!.received).toString(), 'first, once');
    // The full socket still works: once its peer reads, everything it took arrives.
    full!.receiver.resume();
    await until(() => Buffer.concat(full!.received).length >= filled, 10_000, 'what the full socket took');
    assert.equal(Buffer.concat(full!.received).length, filled);
  });

  it('a peer that reset its connection: the send reports the error, the rest of the batch is sent', async (t) => {
    const [gone, other] = await pairs(2, t);
    gone!.receiver.resetAndDestroy();
    // Node has not seen the reset yet (its handle is not read in this loop turn): the fd is still
    // open, and a send on it fails once the kernel has the RST.
    let result: number[] = [];
    let sentToOther = 0;
    for (let i = 0; i < 100; i++) {
      const mine = Buffer.from(`y${i};`);
      result = sendEach([gone!.fd, other!.fd], [Buffer.from('x'), mine]);
      assert.equal(result[1], mine.length, 'the other socket of the batch is sent');
      sentToOther += mine.length;
      if (result[0]! < 0) break;
    }
    assert.ok(result[0]! < 0, `the reset is reported: ${result[0]}`);
    await until(() => Buffer.concat(other!.received).length >= sentToOther, 5000, 'the other socket');
  });

  it('each worker thread gets its own, given back when the thread ends: no file left open', { skip: process.platform !== 'linux' ? '/proc/self/fd is Linux' : false }, async () => {
    const openFiles = (): number => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    for (let i = 0; i < 20; i++) {
      const worker = new Worker(
        `const { parentPort } = require('node:worker_threads');
         const addon = require(${JSON.stringify(ADDON)});
         parentPort.postMessage(addon.sendPath());`,
        { eval: true },
      );
      const [path] = (await once(worker, 'message')) as [string];
      assert.equal(path, nativeSendPath(), 'the same path as the main thread');
      await worker.terminate();
    }
    assert.equal(openFiles(), before, 'every ring closed with its thread');
  });

  it('a ring that fails as a whole (its fd closed behind it): the batch still goes out through send(2), and send(2) from then on', { skip: nativeSendPath() !== 'io_uring' ? 'no ring here' : false, timeout: 30_000 }, async () => {
    // In a process of its own, whose ring this test breaks for real: the fd that appears when the
    // ring is made is closed, so io_uring_enter fails with EBADF.
    const script = `
      const { readdirSync, readlinkSync, closeSync } = require('node:fs');
      const net = require('node:net');
      const addon = require(${JSON.stringify(ADDON)});
      const rings = () => readdirSync('/proc/self/fd').filter((fd) => { try { return readlinkSync('/proc/self/fd/' + fd) === 'anon_inode:[io_uring]'; } catch { return false; } });
      const before = new Set(rings());
      if (addon.sendPath() !== 'io_uring') throw new Error('no ring');
      const mine = rings().filter((fd) => !before.has(fd));
      if (mine.length !== 1) throw new Error('ring fds: ' + mine.join(','));
      const server = net.createServer((socket) => {
        const fd = socket._handle.fd;
        closeSync(Number(mine[0]));
        const parts = [Buffer.from('one '), Buffer.from('batch '), Buffer.from('through send(2)')];
        const result = new Int32Array(3);
        addon.sendEach(Int32Array.from([fd, fd, fd]), parts, 3, result);
        console.log(JSON.stringify({ result: [...result], path: addon.sendPath() }));
        socket.end();
      }).listen(0, '127.0.0.1', () => {
        const client = net.connect(server.address().port, '127.0.0.1');
        let got = '';
        client.on('data', (chunk) => (got += chunk));
        client.on('end', () => { console.log(JSON.stringify({ got })); server.close(); });
      });`;
    const { code, output } = await runNode(['-e', script], {}, 20_000);
    assert.equal(code, 0, output);
    const [sent, received] = output.trim().split('\n').map((line) => JSON.parse(line) as { result?: number[]; path?: string; got?: string });
    assert.deepEqual(sent!.result, [4, 6, 15], 'each part sent whole');
    assert.equal(sent!.path, 'send', 'the ring is given up');
    assert.equal(received!.got, 'one batch through send(2)');
  });

  it('a send the kernel parks (sent without MSG_DONTWAIT, a test-only setting) is cancelled before the call returns, and the ring given up', { skip: nativeSendPath() !== 'io_uring' ? 'no ring here' : false, timeout: 30_000 }, async () => {
    // With MSG_DONTWAIT the kernel never parks a send; this checks the path that would keep a
    // parked one from touching its Buffer after the call: SWITCHBOARD_IO_URING=test-parked-sends.
    const script = `
      const net = require('node:net');
      const addon = require(${JSON.stringify(ADDON)});
      const server = net.createServer((socket) => {
        const fd = socket._handle.fd;
        const block = Buffer.alloc(256 * 1024, 7);
        const one = new Int32Array(1);
        for (let i = 0; i < 1000; i++) {
          addon.sendEach(Int32Array.from([fd]), [block], 1, one); // one socket: send(2), never parked
          if (one[0] <= 0) break;
        }
        const result = new Int32Array(2);
        addon.sendEach(Int32Array.from([fd, fd]), [Buffer.from('parked'), Buffer.from('too')], 2, result);
        console.log(JSON.stringify({ result: [...result], path: addon.sendPath() }));
        process.exit(0);
      }).listen(0, '127.0.0.1', () => net.connect(server.address().port, '127.0.0.1').pause());`;
    const { code, output } = await runNode(['-e', script], { [IO_URING_ENV]: 'test-parked-sends' }, 20_000);
    assert.equal(code, 0, output);
    const { result, path } = JSON.parse(output.trim()) as { result: number[]; path: string };
    assert.deepEqual(result, [ECANCELED, ECANCELED], 'both parked sends cancelled, neither sent');
    assert.equal(path, 'send', 'the ring is given up');
  });

  it('gives the same results with one send(2) per socket (SWITCHBOARD_IO_URING=0)', { skip: process.env[IO_URING_ENV] === '0' ? 'this is that run' : false, timeout: 60_000 }, async () => {
    const { code, output } = await runNode(['--test', '--test-force-exit', fileURLToPath(import.meta.url)], { [IO_URING_ENV]: '0' }, 50_000);
    assert.equal(code, 0, `the send(2) run failed:\n${output.slice(-4000)}`);
    assert.match(output, /says how it sends \(send here\)/);
    assert.match(output, /# fail 0/);
  });
});
