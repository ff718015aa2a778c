import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LocalHub, Registry, Server, clusterAdapter, setDefaultClusterEngine } from '../../src/index.js';
import { clusterConformance } from './conformance.js';

describe('cluster over a LocalHub (nodes in one process)', () => {
  clusterConformance(() => {
    const hub = new LocalHub();
    return clusterAdapter(() => hub.engine());
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
