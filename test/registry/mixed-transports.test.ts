import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import WebSocket from 'ws';
import { LengthFieldCodec, TextBinaryMessageCodec, type Codec, type MessageCodec } from '../../src/index.js';
import { until } from '../helpers/wait.js';
import { Fixture } from './fixture.js';

let fixture: Fixture | undefined;
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await fixture?.stop();
  fixture = undefined;
});

describe('a group of TCP and WebSocket members', () => {
  it('costs two encodings, not one per member, and each member gets its own framing', async () => {
    let tcpEncodes = 0;
    let wsEncodes = 0;
    const length = new LengthFieldCodec();
    const tcpCodec: Codec = { name: length.name, maxFrameBytes: length.maxFrameBytes, createDecoder: () => length.createDecoder(), encode: (m: unknown) => (tcpEncodes++, length.encode(m as string)) };
    const text = new TextBinaryMessageCodec();
    const wsCodec: MessageCodec = { name: text.name, decode: (data) => text.decode(data), encode: (m: unknown) => (wsEncodes++, text.encode(m as string)) };
    fixture = await Fixture.start({
      endpoints: [
        { transport: 'tcp', host: '127.0.0.1', port: 0, codec: tcpCodec },
        { transport: 'ws', host: '127.0.0.1', port: 0, messageCodec: wsCodec },
      ],
    });
    const wsAddress = fixture.server.addresses()[1] as { port: number };
    const tcpPeers = await fixture.connect(3);
    const received: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const socket = new WebSocket(`ws://127.0.0.1:${wsAddress.port}/`);
      const got: string[] = [];
      socket.on('message', (data, isBinary) => got.push(`${isBinary ? 'binary' : 'text'}:${data.toString()}`));
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      sockets.push(socket);
      received.push(got);
    }
    await until(() => fixture!.registered === 6, 3000, 'six registrations');
    const transports = new Set<string>();
    for (const connection of fixture.server.connections()) {
      transports.add(connection.transport);
      await fixture.registry.join(connection, 'mixed');
    }
    assert.deepEqual([...transports].sort(), ['tcp', 'ws']);

    assert.equal(await fixture.registry.sendToGroup('mixed', 'hello'), 6);
    assert.deepEqual([tcpEncodes, wsEncodes], [1, 1]);
    assert.equal(await fixture.registry.sendRawToGroup('mixed', 'raw'), 6);
    assert.deepEqual([tcpEncodes, wsEncodes], [1, 1], 'raw pushes skip the codecs');

    await until(() => received.every((got) => got.length === 2), 3000, 'WebSocket messages');
    for (const got of received) assert.deepEqual(got, ['text:hello', 'text:raw']);
    await until(() => tcpPeers.every((peer) => peer.received.length === 4 + 5 + 3), 3000, 'TCP bytes');
    for (const peer of tcpPeers) assert.equal(peer.received.toString('latin1'), '\u0000\u0000\u0000\u0005helloraw');
  });
});
