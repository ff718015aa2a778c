import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HubLeaveEvent } from '../../src/cluster/index.js';
import { until } from '../helpers/wait.js';
import { IpcMachine, type CallError, type IpcWorker } from './ipc-machine.js';

/**
 * The registry across worker processes of one machine on the IPC engine: real forked workers, each
 * a Server and a Registry made as an app makes them, the hub in this process as in the supervisor.
 * Every answer is checked from every worker; no timing thresholds (a test waits for the state it
 * expects and checks what it saw on the way).
 */

let run = 0;

async function machine(t: { after(fn: () => Promise<void>): void }, count: number, options: { requestTimeout?: number } = {}): Promise<{ machine: IpcMachine; workers: IpcWorker[] }> {
  const m = new IpcMachine();
  t.after(() => m.stop());
  const tag = `${process.pid}x${++run}`;
  const workers: IpcWorker[] = [];
  for (let i = 0; i < count; i++) workers.push(await m.fork(`w${i}-${tag}`, options));
  return { machine: m, workers };
}

/** Asks every worker the same question and checks that each answers `expected`. */
async function everywhere(workers: IpcWorker[], call: string, args: unknown[], expected: unknown, sort = false): Promise<void> {
  for (const worker of workers) {
    let value = await worker.call(call, ...args);
    if (sort && Array.isArray(value)) value = [...value].sort();
    assert.deepEqual(value, expected, `${call}(${args.map((a) => JSON.stringify(a)).join(', ')}) on ${worker.nodeId}`);
  }
}

describe('registry across worker processes on the IPC engine', { timeout: 90_000 }, () => {
  it('answers every question exactly from every worker, reading its own and the others\' writes', async (t) => {
    const { machine: m, workers } = await machine(t, 3);
    const [a, b, c] = workers as [IpcWorker, IpcWorker, IpcWorker];
    const [a1, a2] = await a.connect(2);
    const [b1] = await b.connect(1);
    const [c1, c2] = await c.connect(2);
    const all = [a1, a2, b1, c1, c2].sort();
    await everywhere(workers, 'connectionCount', [], 5);
    await everywhere(workers, 'connections', [], all, true);
    await everywhere(workers, 'exists', [b1], true);
    await everywhere(workers, 'exists', [`${b.nodeId}.zzz`], false);
    assert.deepEqual(m.hub.nodes().sort(), workers.map((w) => w.nodeId).sort());

    // Each write is made from a worker that does not hold the connection, and is read by all.
    assert.equal(await c.call('bind', a1, 'alice'), true);
    await everywhere(workers, 'flagExists', ['alice'], true);
    assert.equal(await a.call('bind', c1, 'alice'), true);
    assert.equal(await b.call('bind', a2, 'bob'), true);
    await everywhere(workers, 'flagCount', ['alice'], 2);
    await everywhere(workers, 'flagConnections', ['alice'], [a1, c1].sort(), true);
    await everywhere(workers, 'flagCount', [['alice', 'bob']], 3);
    await everywhere(workers, 'flagOf', [c1], 'alice');
    await everywhere(workers, 'flagOf', [b1], undefined);
    // Rebinding moves the connection: counted under its new flag only.
    assert.equal(await b.call('bind', c1, 'bob'), true);
    await everywhere(workers, 'flagCount', ['alice'], 1);
    await everywhere(workers, 'flagCount', ['bob'], 2);

    assert.equal(await a.call('join', b1, ['red', 'blue']), true);
    assert.equal(await b.call('join', c2, 'red'), true);
    assert.equal(await c.call('join', a1, 'red'), true);
    await everywhere(workers, 'groupCount', ['red'], 3);
    await everywhere(workers, 'groupCount', [['red', 'blue']], 3);
    await everywhere(workers, 'groupConnections', ['blue'], [b1]);
    await everywhere(workers, 'groupsOf', [b1], ['blue', 'red'], true);
    await everywhere(workers, 'groups', [], ['blue', 'red'], true);
    assert.equal(await c.call('leave', b1, 'blue'), true);
    assert.equal(await a.call('unbind', a2), true);
    await everywhere(workers, 'groups', [], ['red']);
    await everywhere(workers, 'flagExists', ['bob'], true);
    await everywhere(workers, 'flagCount', ['bob'], 1);
    await everywhere(workers, 'flagOf', [a2], undefined);
    // A call about an id no worker holds is false, not an error.
    assert.equal(await a.call('bind', `${b.nodeId}.nope`, 'x'), false);
    await everywhere(workers, 'flagExists', ['x'], false);

    // A connection that closes leaves every answer on every worker, with its flag and groups.
    c.peers[0]!.socket.destroy();
    c.peers[1]!.socket.destroy();
    await until(() => c.peers.every((p) => p.closed), 5000, 'c peers closed');
    for (;;) {
      // The close reaches c's server on its own time; once c says they are gone, all do.
      if ((await c.call<string[]>('connectionIds')).length === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await c.call('connectionCount');
    await everywhere(workers, 'connectionCount', [], 3);
    await everywhere(workers, 'exists', [c1], false);
    await everywhere(workers, 'flagCount', ['bob'], 0);
    await everywhere(workers, 'groupCount', ['red'], 2);
    await everywhere(workers, 'groupsOf', [c2], []);
  });

  it('pushes reach each target once with an honest count, a user bound on two workers included', async (t) => {
    const { workers } = await machine(t, 3);
    const [a, b, c] = workers as [IpcWorker, IpcWorker, IpcWorker];
    const [a1] = await a.connect(2);
    const [b1] = await b.connect(2);
    await c.connect(1);
    await c.call('bind', a1, 'alice');
    await c.call('bind', b1, 'alice');
    await a.call('join', a1, ['x', 'y']);
    await a.call('join', b1, ['x', 'y']);

    assert.equal(await c.call('sendByFlag', 'alice', 'to-alice'), 2);
    assert.equal(await b.call('sendByFlag', ['alice', 'alice'], 'to-alice-twice'), 2);
    assert.equal(await c.call('sendToGroup', ['x', 'y'], 'to-xy'), 2);
    assert.equal(await c.call('sendToAll', 'to-all', { except: a1 }), 4);
    assert.equal(await b.call('send', [a1, a1, b1], 'to-ids'), 2);
    assert.equal(await a.call('sendRawToAll', 'raw'), 5);
    const expected = new Map<string, string[]>([
      [a1!, ['to-alice', 'to-alice-twice', 'to-xy', 'to-ids', 'raw']],
      [b1!, ['to-alice', 'to-alice-twice', 'to-xy', 'to-all', 'to-ids', 'raw']],
    ]);
    // A last push to everyone: a connection's frames arrive in order, so once each peer has it,
    // each has everything it will ever get of the pushes above.
    assert.equal(await b.call('sendToAll', 'end'), 5);
    await until(() => workers.every((w) => w.frames().every((f) => f.at(-1) === 'end')), 10_000, 'the last push on every peer');
    const frames = workers.flatMap((w) => w.frames().map((f) => f.slice(0, -1)));
    // Which peer is which id is the server's business: compare the multiset of what each got.
    const got = frames.map((f) => f.join(',')).sort();
    const want = [...expected.values(), ['to-all', 'raw'], ['to-all', 'raw'], ['to-all', 'raw']].map((f) => f.join(',')).sort();
    assert.deepEqual(got, want, 'each target got each push once, and nothing else');
  });

  it('closes, reads and updates the context of connections on other workers', async (t) => {
    const { workers } = await machine(t, 2);
    const [a, b] = workers as [IpcWorker, IpcWorker];
    const [a1, a2] = await a.connect(2);
    assert.equal(await b.call('updateContext', a1, { role: 'admin' }), true);
    assert.deepEqual(await b.call('context', a1), { role: 'admin' });
    assert.equal(await b.call('context', `${a.nodeId}.nope`), undefined);
    await b.call('bind', a2, 'carol');
    assert.equal(await b.call('closeByFlag', 'carol', 'bye'), 1);
    await until(() => a.peers.some((p) => p.closed), 5000, 'a peer closed');
    const closed = a.peers.find((p) => p.closed)!;
    assert.deepEqual(closed.frames(), ['bye']);
    assert.equal(await b.call('close', a1), 1);
    await until(() => a.peers.every((p) => p.closed), 5000, 'both closed');
  });

  it('a SIGKILLed worker\'s connections vanish from every answer at once, the others untouched', async (t) => {
    const { machine: m, workers } = await machine(t, 3);
    const [a, b, c] = workers as [IpcWorker, IpcWorker, IpcWorker];
    const [a1] = await a.connect(2);
    const [b1, b2, b3] = await b.connect(3);
    const [c1] = await c.connect(1);
    await a.call('bind', a1, 'alice');
    await c.call('bind', b1, 'alice');
    await c.call('bind', b2, 'bob');
    await a.call('join', b3, 'room');
    await a.call('join', c1, 'room');
    await everywhere(workers, 'connectionCount', [], 6);
    const leaves: HubLeaveEvent[] = [];
    m.hub.on('nodeLeave', (event) => leaves.push(event));

    b.child.kill('SIGKILL');
    // Until the supervisor sees the exit, b is whole in every answer; after it, gone from all.
    // Never anything in between: the hub drops a node in one step.
    const seen = new Set<number>();
    while (b.alive) {
      const count = await a.call<number>('connectionCount');
      seen.add(count);
      if (count === 3) break;
    }
    await b.exit();
    assert.ok([...seen].every((n) => n === 6 || n === 3), `counts seen while b died: ${[...seen]}`);
    assert.deepEqual(leaves.map(({ nodeId, reason, connections, exit }) => ({ nodeId, reason, connections, signal: exit?.signal })), [{ nodeId: b.nodeId, reason: 'exit', connections: 3, signal: 'SIGKILL' }]);
    const survivors = [a, c];
    assert.ok([...a.peers, ...c.peers].every((peer) => !peer.closed), 'the other workers\' connections are untouched');
    await everywhere(survivors, 'connectionCount', [], 3);
    await everywhere(survivors, 'exists', [b1], false);
    await everywhere(survivors, 'flagCount', ['alice'], 1);
    await everywhere(survivors, 'flagExists', ['bob'], false);
    await everywhere(survivors, 'flagOf', [b2], undefined);
    await everywhere(survivors, 'groupConnections', ['room'], [c1]);
    await everywhere(survivors, 'groups', [], ['room']);
    // Pushes count the survivors' connections, and wait for no one.
    await everywhere(survivors, 'sendToAll', ['after'], 3);
    assert.equal(await c.call('sendByFlag', 'alice', 'to-alice'), 1);
    // A call about the dead worker's connection is an unknown id, not a hang.
    assert.equal(await a.call('bind', b1, 'x'), false);
    assert.deepEqual(m.hub.nodes().sort(), [a.nodeId, c.nodeId].sort());
    assert.equal(m.hub.pendingRequests, 0);
    // A replacement is a new node: it joins, and counts only its own.
    const d = await m.fork(`d-${b.nodeId}`);
    await d.connect(1);
    await everywhere([a, c, d], 'connectionCount', [], 4);
  });

  it('names a worker that is stalled (SIGSTOP) instead of leaving it out, and it answers again after SIGCONT', async (t) => {
    // The default timeout: a healthy worker answers far within it even on a loaded machine.
    const { machine: m, workers } = await machine(t, 3, { requestTimeout: 2000 });
    const [a, b, c] = workers as [IpcWorker, IpcWorker, IpcWorker];
    await a.connect(1);
    const [b1] = await b.connect(2);
    await c.connect(1);
    await a.call('bind', b1, 'bea');

    b.child.kill('SIGSTOP');
    t.after(() => void (b.alive && b.child.kill('SIGCONT')));
    // A push resolves with what the answering workers reached, and names b.
    const incomplete = await a.call('sendToAll', 'while-stalled').then(
      () => assert.fail('a push with a stalled worker resolved as if complete'),
      (error: CallError) => error,
    );
    assert.equal(incomplete.code, 'ERR_CLUSTER_INCOMPLETE');
    assert.deepEqual(incomplete.unanswered, [b.nodeId]);
    assert.equal(incomplete.delivered, 2);
    // A change to one of b's connections cannot be made without b: a coded timeout.
    const timeout = await c.call('bind', b1, 'x').then(
      () => assert.fail('bind resolved without the worker that holds the connection'),
      (error: CallError) => error,
    );
    assert.equal(timeout.code, 'ERR_CLUSTER_TIMEOUT');
    // Questions are the hub's to answer: b is alive, so its connections are counted, exactly.
    await everywhere([a, c], 'connectionCount', [], 4);
    await everywhere([a, c], 'flagConnections', ['bea'], [b1]);
    assert.equal(m.hub.pendingRequests, 0);

    b.child.kill('SIGCONT');
    // b catches up with the requests it missed (their late replies are discarded by the hub),
    // then answers in time again.
    assert.equal(await b.call('connectionCount'), 4);
    assert.equal(await a.call('sendToAll', 'after'), 4);
    assert.equal(await c.call('bind', b1, 'x'), true);
    await everywhere(workers, 'flagOf', [b1], 'x');
    assert.equal(m.hub.pendingRequests, 0);
    await until(() => b.frames().flat().filter((f) => f === 'after').length === 2, 5000, 'b\'s peers got the push after SIGCONT');
  });

  it('a worker whose registry is disposed of leaves every answer at once', async (t) => {
    const { workers } = await machine(t, 2);
    const [a, b] = workers as [IpcWorker, IpcWorker];
    await a.connect(1);
    const [b1] = await b.connect(2);
    await b.call('bind', b1, 'bob');
    await everywhere(workers, 'connectionCount', [], 3);
    await b.call('dispose');
    assert.equal(await a.call('connectionCount'), 1);
    assert.equal(await a.call('flagExists', 'bob'), false);
    assert.equal(await a.call('sendToAll', 'x'), 1);
  });
});
