import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { LengthFieldCodec, LineCodec } from '../../src/codec/index.js';
import type { Codec } from '../../src/codec/codec.js';
import { ErrorCode, type Connection, type DropEvent, type EncodeFailEvent, type SendFailEvent, type SwitchboardError } from '../../src/index.js';
import type { RawPeer } from '../helpers/raw-peer.js';
import { until } from '../helpers/wait.js';
import { Fixture } from './fixture.js';

const settle = (ms = 30): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A codec that counts its encodings. */
function counting<M>(codec: Codec<M>): Codec<M> & { encodes: number } {
  const counted = {
    name: codec.name,
    maxFrameBytes: codec.maxFrameBytes,
    encodes: 0,
    createDecoder: () => codec.createDecoder(),
    encode(message: M): Buffer {
      counted.encodes++;
      return codec.encode(message);
    },
  };
  return counted;
}

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

/** A server with a length-field endpoint and a line endpoint, `each` peers on both, all in group 'g'. */
async function mixed(each: number): Promise<{ lengthCodec: ReturnType<typeof counting>; lineCodec: ReturnType<typeof counting>; lengthPeers: RawPeer[]; linePeers: RawPeer[] }> {
  const lengthCodec = counting(new LengthFieldCodec() as Codec);
  const lineCodec = counting(new LineCodec() as Codec);
  fixture = await Fixture.start({
    endpoints: [
      { transport: 'tcp', host: '127.0.0.1', port: 0, codec: lengthCodec },
      { transport: 'tcp', host: '127.0.0.1', port: 0, codec: lineCodec },
    ],
  });
  const linePort = (fixture.server.addresses()[1] as { port: number }).port;
  const lengthPeers = await fixture.connect(each);
  const linePeers = await fixture.connect(each, { port: linePort });
  for (const connection of fixture.server.connections()) await fixture.registry.join(connection, 'g');
  return { lengthCodec, lineCodec, lengthPeers, linePeers };
}

describe('broadcast', () => {
  it('encodes once per distinct encoder among the targets and frames each member by its own codec', async () => {
    const { lengthCodec, lineCodec, lengthPeers, linePeers } = await mixed(5);
    assert.equal(await fixture!.registry.sendToGroup('g', 'hello'), 10);
    assert.equal(lengthCodec.encodes, 1);
    assert.equal(lineCodec.encodes, 1);
    assert.equal(await fixture!.registry.sendToAll('again'), 10);
    assert.equal(lengthCodec.encodes, 2);
    assert.equal(lineCodec.encodes, 2);
    await until(() => linePeers.every((peer) => peer.received.toString() === 'hello\nagain\n'), 2000, 'lines');
    await until(() => lengthPeers.every((peer) => peer.frames().length === 2), 2000, 'frames');
    for (const peer of lengthPeers) assert.deepEqual(peer.frames(), ['hello', 'again']);
  });

  it('a message one codec cannot frame reaches every member whose codec can; the others are named per codec', async () => {
    const { lengthCodec, lineCodec, lengthPeers, linePeers } = await mixed(2);
    const failures: EncodeFailEvent[] = [];
    fixture!.registry.on('encodeFail', (event) => failures.push(event));
    const refused: string[] = [];
    fixture!.server.on('sendFail', ({ connection, code, error }) => {
      if (code === 'encodeFailed' && error?.code === ErrorCode.InvalidMessage) refused.push(connection.id);
    });
    // Fine for a length field; a line cannot hold a newline.
    assert.equal(await fixture!.registry.sendToGroup('g', 'two\nlines'), 2);
    assert.equal(lengthCodec.encodes + lineCodec.encodes, 2);
    const lineIds = linePeers.map((peer) => fixture!.connectionOf(peer).id).sort();
    assert.equal(failures.length, 1);
    assert.equal(failures[0]!.codec, lineCodec.name);
    assert.equal(failures[0]!.delivered, 2);
    assert.equal(failures[0]!.error.code, ErrorCode.InvalidMessage);
    assert.deepEqual([...failures[0]!.ids].sort(), lineIds);
    assert.deepEqual(refused.sort(), lineIds);
    await until(() => lengthPeers.every((peer) => peer.frames().length === 1), 2000, 'frames');
    for (const peer of lengthPeers) assert.deepEqual(peer.frames(), ['two\nlines']);
    await settle();
    for (const peer of linePeers) assert.equal(peer.received.length, 0);
  });

  it("a user codec's own throw is wrapped as ERR_INVALID_MESSAGE, as connection.send wraps it; no target could frame it, so the push rejects", async () => {
    const fussy: Codec = {
      name: 'fussy',
      maxFrameBytes: 1024,
      createDecoder: () => new LengthFieldCodec().createDecoder(),
      encode(message: unknown): Buffer {
        if (typeof message !== 'string') throw new TypeError('fussy encodes strings only');
        return new LengthFieldCodec().encode(message);
      },
    };
    fixture = await Fixture.start({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0, codec: fussy }] });
    const peers = await fixture.connect(2);
    for (const connection of fixture.server.connections()) await fixture.registry.join(connection, 'g');
    const check = (error: SwitchboardError): boolean => error.code === ErrorCode.InvalidMessage && error.cause instanceof TypeError;
    await assert.rejects(fixture.registry.sendToGroup('g', 42), check);
    await assert.rejects(fixture.registry.sendToAll(42), check);
    await assert.rejects(fixture.registry.send(fixture.connectionOf(peers[0]!), 42), check);
    const refused: SendFailEvent[] = [];
    fixture.connectionOf(peers[0]!).on('sendFail', (event) => refused.push(event));
    assert.equal(fixture.connectionOf(peers[0]!).send(42), false);
    assert.ok(refused[0] && check(refused[0].error!));
    assert.equal(await fixture.registry.sendToGroup('g', 'fine'), 2);
  });

  it('a connection that closes during a broadcast loses only its own copy; counts stay exact', async () => {
    fixture = await Fixture.start();
    const { registry, server } = fixture;
    const peers = await fixture.connect(10);
    const members = peers.map((peer) => fixture!.connectionOf(peer));
    for (const connection of members) await registry.join(connection, 'room');
    const [, , closedBefore, , slow, , closedDuring, leavesDuring] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => members[i]!) as Connection[];

    closedBefore!.destroy(); // closing, but its `close` event (and unregistering) comes later
    slow!.setLimits({ maxSendBufferSize: 1 });
    slow!.send('queued first'); // now over its limit until the next flush
    server.on('sendFail', ({ connection, code }) => {
      // Runs inside the broadcast loop: the registry must cope with membership changing under it.
      if (connection === slow && code === 'bufferFull') {
        closedDuring!.close();
        void registry.leave(leavesDuring!, 'room');
      }
    });
    const drops: DropEvent[] = [];
    registry.on('drop', (event) => drops.push(event));

    assert.equal(await registry.sendToGroup('room', 'news'), 7);
    assert.deepEqual(drops, [{ delivered: 7, ids: [slow!.id] }]);

    const expectNews = [0, 1, 3, 5, 7, 8, 9];
    await until(() => expectNews.every((i) => peers[i]!.frames().includes('news')), 3000, 'the news');
    await until(() => peers[2]!.closed && peers[6]!.closed, 3000, 'closed peers');
    await settle();
    peers.forEach((peer, i) => {
      const news = peer.frames().filter((frame) => frame === 'news').length;
      assert.equal(news, expectNews.includes(i) ? 1 : 0, `peer ${i}`);
    });
    assert.deepEqual(peers[4]!.frames(), ['queued first'], 'the slow one kept its earlier message, missed this one');
    assert.equal(slow!.state, 'open', "its policy 'refuse' leaves it open");
  });

  it('peers resetting in the middle of a stream of broadcasts cost the others nothing', async () => {
    fixture = await Fixture.start();
    const { registry } = fixture;
    const peers = await fixture.connect(50);
    const leaving = new Set([3, 11, 20, 33, 47]);
    const counts: number[] = [];
    for (let n = 0; n < 100; n++) {
      if (n === 40) for (const i of leaving) peers[i]!.socket.resetAndDestroy();
      counts.push(await registry.sendToAll(`m${n}`));
      if (n % 10 === 9) await settle(5);
    }
    const survivors = peers.filter((_, i) => !leaving.has(i));
    await until(() => survivors.every((peer) => peer.frames().length >= 100), 3000, 'every broadcast at every survivor');
    await settle();
    const expected = Array.from({ length: 100 }, (_, n) => `m${n}`);
    for (const peer of survivors) assert.deepEqual(peer.frames(), expected);
    assert.deepEqual(counts.slice(0, 40), Array(40).fill(50));
    assert.ok(counts.every((count) => count >= 45 && count <= 50));
    assert.equal(counts.at(-1), 45, 'once the resets are seen, only the survivors are counted');
    assert.equal(await registry.connectionCount(), 45);
  });
});
