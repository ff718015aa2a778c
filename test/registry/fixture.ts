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
    for (let i = 0; i < count; i++) peers.push(new RawPeer('path' in to ? to : { port: to.port }));
    await Promise.all(peers.map((peer) => peer.connected()));
    await until(() => this.registered >= want, 5000, `${want} registered connections`);
    this.peers.push(...peers);
    return peers;
  }

  /** The server-side connection of a TCP peer (matched by port). */
  connectionOf(peer: RawPeer): Connection {
    for (const connection of this.server.connections()) {
      if (connection.remotePort === peer.socket.localPort && connection.transport !== 'unix') return connection;
    }
    throw new Error(`no server connection for peer port ${peer.socket.localPort}`);
  }

  async stop(): Promise<void> {
    for (const peer of this.peers) peer.socket.destroy();
    await this.server.stop({ timeout: 1000 });
    await this.registry.dispose();
  }
}
