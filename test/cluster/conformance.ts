import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AdapterFactory } from '../../src/index.js';
import { until } from '../helpers/wait.js';
import { Node } from './cluster-fixture.js';

/**
 * The registry contract across nodes, run against every engine: the same calls on every node give
 * the same exact answers, and a push reaches each target once.
 */
export function clusterConformance(makeAdapter: () => AdapterFactory): void {
  async function cluster(size: number, t: { after(fn: () => Promise<void>): void }): Promise<Node[]> {
    const nodes: Node[] = [];
    t.after(async () => {
      for (const node of nodes) await node.stop();
    });
    const adapter = makeAdapter();
    for (let i = 0; i < size; i++) nodes.push(await Node.start(adapter));
    return nodes;
  }

  it('answers presence exactly on every node, reading its own and the others\' writes', async (t) => {
    const [a, b] = await cluster(2, t);
    const [a1, a2] = await a!.connect(2);
    const [b1] = await b!.connect(1);
    for (const node of [a!, b!]) {
      assert.equal(await node.registry.connectionCount(), 3);
      assert.deepEqual((await node.registry.connections()).sort(), [a1!.id, a2!.id, b1!.id].sort());
      assert.equal(await node.registry.exists(b1!.id), true);
      assert.equal(await node.registry.exists(`${b!.nodeId}.zzz`), false);
    }
    // b binds a's connection: applied by a, visible everywhere once the call resolves
    assert.equal(await b!.registry.bind(a1!.id, 'alice'), true);
    assert.equal(await a!.registry.bind(b1!, 'alice'), true);
    assert.equal(await a!.registry.bind(a2!, 'bob'), true);
    for (const node of [a!, b!]) {
      assert.equal(await node.registry.flagExists('alice'), true);
      assert.equal(await node.registry.flagCount('alice'), 2);
      assert.deepEqual((await node.registry.flagConnections('alice')).sort(), [a1!.id, b1!.id].sort());
      assert.equal(await node.registry.flagOf(b1!.id), 'alice');
      assert.equal(await node.registry.flagCount(['alice', 'bob']), 3);
    }
    assert.equal(await b!.registry.join(a1!.id, ['red', 'blue']), true);
    assert.equal(await b!.registry.join(b1!, 'red'), true);
    for (const node of [a!, b!]) {
      assert.equal(await node.registry.groupCount('red'), 2);
      assert.equal(await node.registry.groupCount(['red', 'blue']), 2);
      assert.deepEqual((await node.registry.groupsOf(a1!.id)).sort(), ['blue', 'red']);
      assert.deepEqual((await node.registry.groups()).sort(), ['blue', 'red']);
    }
    assert.equal(await a!.registry.leave(a1!.id, 'blue'), true);
    assert.equal(await b!.registry.unbind(b1!.id), true);
    for (const node of [a!, b!]) {
      assert.deepEqual(await node.registry.groups(), ['red']);
      assert.equal(await node.registry.flagCount('alice'), 1);
      assert.equal(await node.registry.flagOf(b1!.id), undefined);
    }
    // a connection that closes leaves every answer on every node
    b!.peers[0]!.socket.destroy();
    await until(() => b1!.state === 'closed', 5000, 'b1 closed');
    await b!.registry.connectionCount();
    for (const node of [a!, b!]) {
      assert.equal(await node.registry.exists(b1!.id), false);
      assert.equal(await node.registry.groupCount('red'), 1);
      assert.equal(await node.registry.connectionCount(), 2);
    }
  });

  it('pushes each target once across nodes and counts every node\'s deliveries', async (t) => {
    const [a, b, c] = await cluster(3, t);
    const [a1] = await a!.connect(2);
    const [b1] = await b!.connect(2);
    await c!.connect(1);
    // one user on two nodes, in two groups each: one copy per connection
    await a!.registry.bind(a1!, 'alice');
    await a!.registry.bind(b1!.id, 'alice');
    await c!.registry.join(a1!.id, ['x', 'y']);
    await c!.registry.join(b1!.id, ['x', 'y']);
    assert.equal(await c!.registry.sendByFlag('alice', 'to-alice'), 2);
    assert.equal(await c!.registry.sendToGroup(['x', 'y'], 'to-xy'), 2);
    assert.equal(await c!.registry.sendToAll('to-all', { except: a1!.id }), 4);
    assert.equal(await b!.registry.send([a1!.id, a1!.id, b1!.id], 'to-ids'), 2);
    await until(() => [a!, b!, c!].flatMap((n) => n.framesPerPeer().flat()).filter((f) => f === 'to-all').length === 4, 5000, 'broadcasts');
    await until(() => a!.framesPerPeer()[0]!.includes('to-ids'), 5000, 'to-ids');
    assert.deepEqual(a!.framesPerPeer()[0], ['to-alice', 'to-xy', 'to-ids']);
    assert.deepEqual(b!.framesPerPeer()[0], ['to-alice', 'to-xy', 'to-all', 'to-ids']);
    assert.deepEqual(b!.framesPerPeer()[1], ['to-all']);
    assert.deepEqual(c!.framesPerPeer()[0], ['to-all']);
  });

  it('closes, reads and updates contexts of connections on other nodes', async (t) => {
    const [a, b] = await cluster(2, t);
    const [a1, a2] = await a!.connect(2);
    assert.equal(await b!.registry.updateContext(a1!.id, { role: 'admin' }), true);
    assert.deepEqual(await b!.registry.context(a1!.id), { role: 'admin' });
    assert.equal(await b!.registry.context(`${a!.nodeId}.nope`), undefined);
    assert.equal(await b!.registry.bind(`${a!.nodeId}.nope`, 'x'), false);
    await b!.registry.bind(a2!.id, 'carol');
    assert.equal(await b!.registry.closeByFlag('carol', 'bye'), 1);
    await until(() => a2!.state === 'closed', 5000, 'a2 closed');
    await until(() => a!.peers[1]!.closed, 5000, 'peer closed');
    assert.deepEqual(a!.peers[1]!.frames(), ['bye']);
    assert.equal(await b!.registry.close(a1!.id), 1);
  });

  it('a node that leaves is gone from every answer at once', async (t) => {
    const [a, b] = await cluster(2, t);
    await a!.connect(1);
    const [b1] = await b!.connect(2);
    await b!.registry.bind(b1!, 'bob');
    assert.equal(await a!.registry.connectionCount(), 3);
    await b!.registry.dispose();
    assert.equal(await a!.registry.connectionCount(), 1);
    assert.equal(await a!.registry.flagExists('bob'), false);
    assert.equal(await a!.registry.sendToAll('x'), 1);
  });

}
