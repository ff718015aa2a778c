// Reads into one shared buffer, copied into slabs (src/transport/read-slab.ts, issue 11): used for
// plain sockets, not TLS; a message kept by a listener is never overwritten by later reads of any
// connection, across many slab turnovers and reads large enough to get a Buffer of their own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { NODE_READS_ENV, OWN_BUFFER_MIN } from '../../src/transport/read-slab.js';
import type { Connection } from '../../src/index.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { tcpServer } from '../helpers/servers.js';
import { until } from '../helpers/wait.js';

const nodeReads = process.env[NODE_READS_ENV] === '1';

function socketOf(connection: Connection): { listenerCount(event: string): number } {
  return (connection as unknown as { link: { socket: { listenerCount(event: string): number } } }).link.socket;
}

describe('reads into the shared read buffer', () => {
  it('a plain TCP socket reads through it (no data listener), unless turned off', async (t) => {
    const { server, port } = await tcpServer({}, t);
    const peer = new RawPeer({ port }, t);
    await peer.connected();
    await until(() => server.connectionCount === 1, 5000, 'the connection');
    const connection = [...server.connections()][0]!;
    assert.equal(socketOf(connection).listenerCount('data'), nodeReads ? 1 : 0);
    peer.socket.write(RawPeer.frame('still delivered'));
    const message = await new Promise<Buffer>((resolve) => server.once('message', ({ message }) => resolve(message as Buffer)));
    assert.equal(message.toString(), 'still delivered');
  });

  it('messages kept by listeners stay intact while 16 connections send 3 MB more, in slabs and in reads of their own', async (t) => {
    const { server, port } = await tcpServer({}, t);
    const kept = new Map<number, Buffer[]>();
    server.on('message', ({ connection, message }) => {
      const list = kept.get(connection.id as unknown as number) ?? [];
      list.push(message as Buffer); // the view itself, as delivered: not copied
      kept.set(connection.id as unknown as number, list);
    });
    const peers = await Promise.all(
      Array.from({ length: 16 }, async () => {
        const peer = new RawPeer({ port }, t);
        await peer.connected();
        return peer;
      }),
    );
    await until(() => server.connectionCount === 16, 5000, 'the connections');
    const sent: Buffer[][] = peers.map(() => []);
    let total = 0;
    for (let round = 0; round < 40; round++) {
      peers.forEach((peer, i) => {
        // Mostly small frames (many per read, into the slab), now and then one larger than a
        // slab's own-buffer threshold, and the writes cut at random places.
        const frames: Buffer[] = [];
        for (let k = 0; k < 6; k++) {
          const size = (round + k + i) % 13 === 0 ? OWN_BUFFER_MIN * 3 + k : 1 + ((round * 97 + k * 31 + i * 7) % 900);
          const body = randomBytes(size);
          sent[i]!.push(body);
          frames.push(RawPeer.frame(body));
          total += size;
        }
        const bytes = Buffer.concat(frames);
        const cut = (round * 131 + i * 17) % bytes.length;
        peer.socket.write(bytes.subarray(0, cut));
        peer.socket.write(bytes.subarray(cut));
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    const expected = sent.reduce((sum, list) => sum + list.length, 0);
    await until(() => [...kept.values()].reduce((sum, list) => sum + list.length, 0) === expected, 20_000, 'every message');
    assert.ok(total > 3_000_000);
    // Connection ids in order of acceptance are not guaranteed to match the peers': match by content of the first message.
    for (const list of kept.values()) {
      const owner = sent.findIndex((bodies) => bodies[0]!.equals(list[0]!));
      assert.ok(owner >= 0, 'a connection whose first message no peer sent');
      assert.equal(list.length, sent[owner]!.length);
      list.forEach((message, k) => assert.ok(message.equals(sent[owner]![k]!), `message ${k} of peer ${owner} was overwritten`));
    }
  });
});
