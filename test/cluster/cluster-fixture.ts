import { randomBytes } from 'node:crypto';
import type { Codec } from '../../src/codec/codec.js';
import { Registry, Server, type AdapterFactory, type ClusterStatus, type Connection } from '../../src/index.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { until } from '../helpers/wait.js';

/** One cluster node in this process: a server on loopback, its registry, raw peers connected to it. */
export class Node {
  readonly peers: RawPeer[] = [];
  readonly statuses: ClusterStatus[] = [];
  private constructor(
    readonly server: Server,
    readonly registry: Registry,
  ) {
    registry.on('cluster', (status) => this.statuses.push(status));
  }

  static async start(adapter: AdapterFactory, nodeId = `t${randomBytes(4).toString('hex')}`, codec?: Codec): Promise<Node> {
    const server = new Server({ nodeId, endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }], ...(codec ? { codec } : {}) });
    const registry = new Registry(server, { adapter });
    const node = new Node(server, registry);
    await server.start();
    await registry.ready();
    return node;
  }

  get nodeId(): string {
    return this.server.nodeId;
  }

  get port(): number {
    const address = this.server.addresses()[0];
    if (!address || address.transport === 'unix') throw new Error('no tcp address');
    return address.port;
  }

  /** Connects `count` peers and resolves with their server-side connections, once registered. */
  async connect(count: number): Promise<Connection[]> {
    const before = new Set(this.server.connections());
    const peers: RawPeer[] = [];
    for (let i = 0; i < count; i++) peers.push(new RawPeer({ port: this.port }));
    await Promise.all(peers.map((peer) => peer.connected()));
    this.peers.push(...peers);
    await until(() => [...this.server.connections()].filter((c) => !before.has(c) && c.state === 'open').length >= count, 5000, `${count} connections`);
    const added = [...this.server.connections()].filter((c) => !before.has(c));
    // Presence writes of an establish are on their way: a question from this node is ordered
    // after them, so one round trip settles them.
    await this.registry.connectionCount();
    return added;
  }

  /** Frames received by every peer of this node. */
  framesPerPeer(): string[][] {
    return this.peers.map((peer) => peer.frames());
  }

  async stop(): Promise<void> {
    for (const peer of this.peers) peer.socket.destroy();
    await this.server.stop({ timeout: 1000 });
    await this.registry.dispose();
  }
}
