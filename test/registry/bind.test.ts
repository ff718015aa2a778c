import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ErrorCode, SwitchboardError } from '../../src/index.js';
import { until } from '../helpers/wait.js';
import { Fixture } from './fixture.js';

let fixture: Fixture | undefined;
afterEach(async () => {
  await fixture?.stop();
  fixture = undefined;
});

describe('bind', () => {
  it('exclusive: the flag keeps only the new connection; the others get the goodbye and close', async () => {
    fixture = await Fixture.start();
    const { registry } = fixture;
    const peers = await fixture.connect(3);
    const [old1, old2, fresh] = peers.map((peer) => fixture!.connectionOf(peer));
    await registry.bind(old1!, 'alice');
    await registry.bind(old2!, 'alice');
    assert.equal(await registry.flagCount('alice'), 2);
    assert.equal(await registry.bind(fresh!, 'alice', { exclusive: true, finalMessage: 'replaced' }), true);
    assert.deepEqual(await registry.flagConnections('alice'), [fresh!.id]);
    await until(() => peers[0]!.closed && peers[1]!.closed, 5000, 'the displaced peers closed');
    assert.deepEqual(peers[0]!.frames(), ['replaced']);
    assert.deepEqual(peers[1]!.frames(), ['replaced']);
    assert.equal(peers[2]!.closed, false);
    // Binding again, exclusively, to the flag it already holds closes nothing.
    assert.equal(await registry.bind(fresh!, 'alice', { exclusive: true }), true);
    assert.equal(fresh!.state, 'open');
    await assert.rejects(registry.bind(fresh!, 'alice', { exclusive: 'yes' as unknown as boolean }), (e: SwitchboardError) => e.code === ErrorCode.InvalidArgument);
  });

  it("a message handler reads its sender's flag and groups synchronously", async () => {
    fixture = await Fixture.start();
    const { registry, server } = fixture;
    const [peer] = await fixture.connect(1);
    const connection = fixture.connectionOf(peer!);
    assert.equal(registry.localFlagOf(connection), undefined);
    assert.deepEqual(registry.localGroupsOf(connection), []);
    await registry.bind(connection, 'bob');
    await registry.join(connection, ['sensors', 'floor-2']);
    const seen: Array<[string | undefined, string[]]> = [];
    server.on('message', ({ connection: sender }) => seen.push([registry.localFlagOf(sender), registry.localGroupsOf(sender.id).sort()]));
    peer!.socket.write(Buffer.from([0, 0, 0, 1, 0x41]));
    await until(() => seen.length === 1, 5000, 'the message');
    assert.deepEqual(seen[0], ['bob', ['floor-2', 'sensors']]);
    assert.equal(registry.localFlagOf('no-such-id'), undefined);
    assert.throws(() => registry.localFlagOf(42 as unknown as string), (e: SwitchboardError) => e.code === ErrorCode.InvalidArgument);
  });
});
