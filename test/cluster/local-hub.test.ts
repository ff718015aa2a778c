import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClusterIncompleteError, ErrorCode, type ClusterError, LocalHub, Registry, Server, clusterAdapter, setDefaultClusterEngine } from '../../src/index.js';
import { until } from '../helpers/wait.js';
import { Node } from './cluster-fixture.js';
import { clusterConformance } from './conformance.js';

describe('cluster over a LocalHub (nodes in one process)', () => {
  clusterConformance(() => {
    const hub = new LocalHub();
    return clusterAdapter(() => hub.engine());
  });
});

describe('honest pushes over a LocalHub', () => {
  it('a live node that does not answer in time is named, and the others are counted', async (t) => {
    const hub = new LocalHub();
    const a = await Node.start(clusterAdapter(() => hub.engine(), { requestTimeout: 50 }));
    const b = await Node.start(clusterAdapter(() => hub.engine(), { requestTimeout: 50 }));
    t.after(async () => {
      hub.leave('stuck');
      await a.stop();
      await b.stop();
    });
    await a.connect(2);
    await b.connect(1);
    // A node that is live in the hub but never answers (a paused process, as the hub sees it).
    hub.join({ nodeId: 'stuck', onRequest: () => new Promise(() => {}), onMessage() {}, snapshot: () => [] });
    await assert.rejects(a.registry.sendToAll('x'), (error: ClusterIncompleteError) => {
      assert.equal(error.code, ErrorCode.ClusterIncomplete);
      assert.deepEqual(error.unanswered, ['stuck']);
      assert.equal(error.delivered, 3);
      return true;
    });
    await assert.rejects(a.registry.closeByFlag('nobody'), (error: ClusterIncompleteError) => error.code === ErrorCode.ClusterIncomplete);
    hub.leave('stuck');
    assert.equal(await a.registry.sendToAll('y'), 3);
  });

  it('a call the node holding the connection fails rejects with ERR_CLUSTER_REMOTE_FAILED, naming its code', async (t) => {
    const hub = new LocalHub();
    const a = await Node.start(clusterAdapter(() => hub.engine()));
    t.after(async () => {
      hub.leave('failing');
      await a.stop();
    });
    // A node whose own work failed (its presence write, say) answers with the error it met.
    hub.join({ nodeId: 'failing', onRequest: async () => ({ error: { code: 'ERR_CLUSTER_UNAVAILABLE', message: 'its engine is down' } }), onMessage() {}, snapshot: () => [{ id: 'failing.1' }] });
    await assert.rejects(a.registry.bind('failing.1', 'f'), (error: ClusterError) => {
      assert.equal(error.code, ErrorCode.ClusterRemoteFailed);
      assert.match(error.message, /failing: ERR_CLUSTER_UNAVAILABLE: its engine is down/);
      return true;
    });
  });

  it('fire-and-forget resolves to this node\'s count and still reaches the others', async (t) => {
    const hub = new LocalHub();
    const a = await Node.start(clusterAdapter(() => hub.engine(), { countPushes: false }));
    const b = await Node.start(clusterAdapter(() => hub.engine(), { countPushes: false }));
    t.after(async () => {
      await a.stop();
      await b.stop();
    });
    await a.connect(2);
    await b.connect(3);
    assert.equal(await a.registry.sendToAll('ff'), 2);
    await until(() => b.framesPerPeer().every((frames) => frames.includes('ff')), 5000, 'the other node\'s peers');
  });
});

describe('the default cluster engine', () => {
  it('is what a Registry without an adapter option joins, so that an app never names its shape', async (t) => {
    const hub = new LocalHub();
    setDefaultClusterEngine(() => hub.engine());
    t.after(() => setDefaultClusterEngine(undefined));
    const a = new Server({ nodeId: 'defa', endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
    const b = new Server({ nodeId: 'defb', endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
    const ra = new Registry(a);
    const rb = new Registry(b);
    t.after(async () => {
      await ra.dispose();
      await rb.dispose();
    });
    await ra.ready();
    await rb.ready();
    assert.deepEqual(hub.presence.nodes().sort(), ['defa', 'defb']);
    setDefaultClusterEngine(undefined);
    const c = new Server({ nodeId: 'defc', endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
    const rc = new Registry(c);
    await rc.ready();
    assert.deepEqual(hub.presence.nodes().sort(), ['defa', 'defb']);
    await rc.dispose();
  });

  it('checks its options at once', () => {
    assert.throws(() => setDefaultClusterEngine(() => new LocalHub().engine(), { requestTimeout: 0 }), /requestTimeout/);
    assert.throws(() => clusterAdapter(() => new LocalHub().engine(), { countPushes: 'yes' as unknown as boolean }), /countPushes/);
  });
});
