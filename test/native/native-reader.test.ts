// The accelerator's reads (src/transport/native-reader.ts): plain sockets read natively, one
// call into JavaScript per batch; anything but data (the peer's FIN, a reset) handed back to
// Node's own reading. native-writer.test.ts runs this file again with the accelerator off.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Server, type Connection } from '../../src/index.js';
import { linkOf } from '../../src/connection/internal.js';
import { isReadNatively, nativeReads } from '../../src/transport/native-reader.js';
import { makeTlsMaterial } from '../helpers/tls-material.js';
import { stopAfter } from '../helpers/cleanup.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { tcpServer } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';
import { RawWebSocket } from '../websocket/raw-websocket.js';

const socketOf = (connection: Connection) => (connection[linkOf] as unknown as { socket: import('node:net').Socket }).socket;
const READER_MODULE = fileURLToPath(new URL('../../src/transport/native-reader.js', import.meta.url));

describe('native reads', () => {
  it('take plain TCP and WebSocket sockets where the accelerator is on, never TLS', async (t) => {
    const server = new Server({
      endpoints: [
        { transport: 'tcp', host: '127.0.0.1', port: 0 },
        { transport: 'ws', host: '127.0.0.1', port: 0, path: '/' },
        { transport: 'tls', host: '127.0.0.1', port: 0, tls: makeTlsMaterial() },
      ],
    });
    stopAfter(t, server);
    await server.start();
    const [tcp, ws, tls] = server.addresses() as Array<{ port: number }>;
    const peer = new RawPeer({ port: tcp!.port }, t);
    await peer.connected();
    const socket = await RawWebSocket.open(ws!.port);
    t.after(() => socket.destroy());
    const { connect: tlsConnect } = await import('node:tls');
    const secure = tlsConnect({ port: tls!.port, host: '127.0.0.1', rejectUnauthorized: false });
    t.after(() => secure.destroy());
    await until(() => server.connectionCount === 3 && [...server.connections()].every((c) => c.state === 'open'), 5000, 'the connections');
    for (const connection of server.connections()) {
      assert.equal(isReadNatively(socketOf(connection)), nativeReads && connection.transport !== 'tls', connection.transport);
    }
  });

  it('many connections, frames cut at random points, receiving paused and resumed meanwhile: every message echoed whole and in order', { timeout: 60_000 }, async (t) => {
    const { server, port } = await tcpServer({}, t);
    server.on('message', ({ connection, message }) => connection.send(message as Buffer));
    const peers = Array.from({ length: 20 }, () => new RawPeer({ port }, t));
    await Promise.all(peers.map((peer) => peer.connected()));
    await until(() => server.connectionCount === 20, 5000, 'the connections');
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const sent = peers.map(() => [] as Buffer[]);
    for (let round = 0; round < 30; round++) {
      if (round % 10 === 3) for (const connection of server.connections()) if (random(2) === 0) connection.pauseReceive();
      if (round % 10 === 7) for (const connection of server.connections()) connection.resumeReceive();
      peers.forEach((peer, i) => {
        const frames = Array.from({ length: 1 + random(5) }, () => RawPeer.frame(Buffer.alloc(random(3000), random(256))));
        sent[i]!.push(...frames);
        const bytes = Buffer.concat(frames);
        // Written in pieces cut anywhere, headers included.
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + random(bytes.length - at);
          peer.socket.write(bytes.subarray(at, at + size));
          at += size;
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    for (const connection of server.connections()) connection.resumeReceive();
    for (let i = 0; i < peers.length; i++) {
      const want = Buffer.concat(sent[i]!);
      await until(() => peers[i]!.received.length >= want.length, 20_000, `peer ${i}'s echoes`);
      assert.ok(peers[i]!.received.equals(want), `peer ${i} got every message back in order`);
    }
  });

  it('more ready bytes than one slab holds: every ready socket is read in the same turn, bytes intact', async (t) => {
    const { server, port } = await tcpServer({}, t);
    const PEERS = 64;
    const SIZE = 4096; // 64 x 4 KiB: twice the reader's 128 KiB slab
    const peers = Array.from({ length: PEERS }, () => new RawPeer({ port }, t));
    await Promise.all(peers.map((peer) => peer.connected()));
    await until(() => server.connectionCount === PEERS && [...server.connections()].every((c) => c.state === 'open'), 5000, 'the connections');
    for (const connection of server.connections()) connection.pauseReceive();
    peers.forEach((peer, i) => peer.socket.write(RawPeer.frame(Buffer.alloc(SIZE, i))));
    // Every peer's frame waits in its server socket's receive buffer.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const got = new Map<Connection, Buffer>();
    let beforeNextTurn = -1;
    server.on('message', ({ connection, message }) => {
      if (got.size === 0) setImmediate(() => (beforeNextTurn = got.size));
      got.set(connection, Buffer.from(message as Buffer));
    });
    for (const connection of server.connections()) connection.resumeReceive();
    await until(() => got.size === PEERS, 5000, 'every message');
    await until(() => beforeNextTurn >= 0, 5000, 'the next turn');
    // One turn reads them all: the reader asks for more after each full slab instead of leaving
    // the rest to later turns (a third of the sockets per turn with 4 KiB reads, before).
    assert.equal(beforeNextTurn, PEERS, 'messages delivered before the next turn of the loop');
    const fills = new Set([...got.values()].map((message) => {
      assert.equal(message.length, SIZE);
      assert.ok(message.every((byte) => byte === message[0]), 'a message is one peer\'s bytes');
      return message[0];
    }));
    assert.equal(fills.size, PEERS, 'each peer\'s own message');
  });

  it('listeners that close and pause other connections while a turn reads several slabs: nothing is delivered to them after, the rest intact', async (t) => {
    const { server, port } = await tcpServer({}, t);
    const PEERS = 64;
    const SIZE = 4096;
    const peers = Array.from({ length: PEERS }, () => new RawPeer({ port }, t));
    await Promise.all(peers.map((peer) => peer.connected()));
    await until(() => server.connectionCount === PEERS && [...server.connections()].every((c) => c.state === 'open'), 5000, 'the connections');
    const byFill = new Map<number, Connection>();
    peers.forEach((peer, i) => {
      // Each peer's first frame says who it is; the server answers with its connection id.
      peer.socket.write(RawPeer.frame(Buffer.from([i])));
    });
    server.on('message', function identify({ connection, message }) {
      byFill.set((message as Buffer)[0]!, connection);
      if (byFill.size === PEERS) server.off('message', identify);
    });
    await until(() => byFill.size === PEERS, 5000, 'every peer identified');
    for (const connection of server.connections()) connection.pauseReceive();
    peers.forEach((peer, i) => peer.socket.write(RawPeer.frame(Buffer.alloc(SIZE, i))));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopped = new Set<Connection>();
    const delivered = new Map<Connection, Buffer>();
    // Listener errors are the server's to report: what goes wrong is collected and asserted after.
    const wrong: string[] = [];
    server.on('message', ({ connection, message }) => {
      const bytes = message as Buffer;
      if (stopped.has(connection)) wrong.push(`a message after connection ${connection.id} was closed or paused`);
      if (bytes.length !== SIZE || !bytes.every((byte) => byte === bytes[0])) wrong.push(`a message of ${bytes.length} bytes that is not one peer's`);
      delivered.set(connection, Buffer.from(bytes));
      // Every fourth peer's message closes the next peer's connection and pauses the one after.
      const fill = bytes[0]!;
      if (fill % 4 === 0) {
        for (const [offset, act] of [[1, 'destroy'], [2, 'pause']] as const) {
          const other = byFill.get((fill + offset) % PEERS)!;
          if (delivered.has(other)) continue;
          stopped.add(other);
          if (act === 'destroy') other.destroy();
          else other.pauseReceive();
        }
      }
    });
    for (const connection of server.connections()) connection.resumeReceive();
    await until(() => delivered.size + stopped.size === PEERS, 5000, 'every message delivered or its connection stopped');
    assert.deepEqual(wrong, []);
    assert.ok(stopped.size > 0, 'some connections were stopped mid-turn');
    // The server reads on: a surviving peer is still echoed.
    const survivor = [...byFill.entries()].find(([, c]) => c.state === 'open' && !stopped.has(c))!;
    server.on('message', ({ connection, message }) => {
      if (connection === survivor[1]) connection.send(message as Buffer);
    });
    peers[survivor[0]]!.socket.write(RawPeer.frame('still here'));
    await until(() => peers[survivor[0]]!.frames().includes('still here'), 5000, 'the echo');
  });

  it("the peer's last bytes and its FIN: every message delivered, then the connection closes as the peer's", async (t) => {
    const { server, port } = await tcpServer({}, t);
    const got: string[] = [];
    server.on('message', ({ message }) => got.push((message as Buffer).toString()));
    const closed = new Promise<string>((resolve) => server.on('close', ({ reason }) => resolve(reason)));
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    await until(() => server.connectionCount === 1, 5000, 'the connection');
    peer.socket.write(RawPeer.frame('first'));
    await until(() => got.length === 1, 5000, 'the first message');
    // Data and FIN together: the socket is given back to Node's reading, which reads both.
    peer.socket.end(Buffer.concat([RawPeer.frame('second'), RawPeer.frame('last')]));
    assert.equal(await closed, 'peer');
    assert.deepEqual(got, ['first', 'second', 'last']);
  });

  it('a reset peer closes its connection; the others go on', async (t) => {
    const { server, port } = await tcpServer({}, t);
    server.on('message', ({ connection, message }) => connection.send(message as Buffer));
    const [gone, stays] = [new RawPeer({ port }, t), new RawPeer({ port }, t)];
    await Promise.all([gone.connected(), stays.connected()]);
    await until(() => server.connectionCount === 2, 5000, 'the connections');
    gone.socket.resetAndDestroy();
    await until(() => server.connectionCount === 1, 5000, 'the reset connection to close');
    stays.socket.write(RawPeer.frame('still here'));
    await until(() => stays.frames().length === 1, 5000, 'the echo');
    assert.deepEqual(stays.frames(), ['still here']);
  });

  it('a process whose only handles are natively read sockets stays alive for them', { timeout: 20_000 }, async () => {
    // Node's handle of a socket it does not read keeps nothing alive: the reader must.
    const script = `
      import net from 'node:net';
      const { readNatively } = await import(${JSON.stringify(READER_MODULE)});
      const listener = net.createServer((socket) => {
        const reads = { onChunk(chunk) { this.write(chunk); }, giveBack(s) { s.on('data', (d) => s.write(d)); s.on('end', () => s.end()); s._handle.readStart(); } };
        readNatively(socket, reads) || reads.giveBack(socket);
        listener.close(); // from now on only the connection is left
      }).listen(0, '127.0.0.1', () => console.log(listener.address().port));
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
        child.once('exit', (code) => reject(new Error(`the child exited (${code})`)));
      });
      const socket = connect({ port, host: '127.0.0.1' });
      await new Promise((resolve) => socket.once('connect', resolve));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(child.exitCode, null, 'the child is still running');
      socket.write('ping');
      const echo = await new Promise<string>((resolve) => socket.once('data', (data: Buffer) => resolve(data.toString())));
      assert.equal(echo, 'ping');
      socket.end();
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      assert.equal(code, 0, 'the child exits once the connection is gone');
    } finally {
      child.kill();
    }
  });
});
