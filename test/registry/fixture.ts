import type { Codec } from '../../src/codec/codec.js';
import { Registry, Server, type Connection, type ConnectionLimits, type EndpointOptions, type RegistryOptions } from '../../src/index.js';
import { RawPeer } from '../helpers/raw-peer.js';
import { until } from '../helpers/wait.js';

/** A started server on loopback with a registry, and helpers to connect raw peers to it. */
export class Fixture {
  readonly peers: RawPeer[] = [];
  /** Connections registered and not yet unregistered, as the registry's events tell. */
  registered = 0;
  private constructor(
    readonly server: Server,
    readonly registry: Registry,
  ) {
    registry.on('register', () => this.registered++);
    registry.on('unregister', () => this.registered--);
  }

  static async start(options: { registry?: RegistryOptions; limits?: ConnectionLimits; codec?: Codec; endpoints?: EndpointOptions[] } = {}): Promise<Fixture> {
    const server = new Server({
      endpoints: options.endpoints ?? [{ transport: 'tcp', host: '127.0.0.1', port: 0 }],
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.codec ? { codec: options.codec } : {}),
    });
    const registry = new Registry(server, options.registry);
    await server.start();
    return new Fixture(server, registry);
  }

  get port(): number {
    const address = this.server.addresses()[0];
    if (!address || address.transport === 'unix') throw new Error('no tcp address');
    return address.port;
  }

  /** Connects `count` raw peers (to the first endpoint, or `to`) and waits until all are registered. */
  async connect(count: number, to: { port: number } | { path: string } = { port: this.port }): Promise<RawPeer[]> {
    const want = this.registered + count;
    const peers: RawPeer[] = [];
    // In batches, each accepted before the next: connects that overflow the listen backlog (511)
    // are dropped by the kernel and retried a second later.
    for (let start = 0; start < count; start += 100) {
      const batch: RawPeer[] = [];
      for (let i = start; i < Math.min(count, start + 100); i++) batch.push(new RawPeer('path' in to ? to : { port: to.port }));
      await Promise.all(batch.map((peer) => peer.connected()));
      peers.push(...batch);
      const batchWant = want - count + peers.length;
      await until(() => this.registered >= batchWant, 5000, `${batchWant} registered connections`);
    }
    this.peers.push(...peers);
    return peers;
  }

  /** The server-side connection of a TCP peer (matched by port). */
  connectionOf(peer: RawPeer): Connection {
    let connection = this.byPort.get(peer.socket.localPort ?? -1);
    if (!connection || connection.state === 'closed') {
      this.byPort.clear();
      for (const c of this.server.connections()) if (c.remotePort !== undefined) this.byPort.set(c.remotePort, c);
      connection = this.byPort.get(peer.socket.localPort ?? -1);
    }
    if (!connection) throw new Error(`no server connection for peer port ${peer.socket.localPort}`);
    return connection;
  }
  private readonly byPort = new Map<number, Connection>();

  async stop(): Promise<void> {
    for (const peer of this.peers) peer.socket.destroy();
    await this.server.stop({ timeout: 1000 });
    await this.registry.dispose();
  }
}
