import { createSocket, type RemoteInfo, type Socket as DgramSocket } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import { RawCodec } from '../../codec/raw-codec.js';
import { InvalidArgumentError } from '../../errors.js';
import { describeAddress, type ListeningAddress } from '../endpoint.js';
import { datagramFraming, type Framing } from '../framing.js';
import { listenError } from '../listen-error.js';
import type { Listener, ListenerHooks } from '../listener.js';
import { UDP_DEFAULTS, validateUdpEndpoint, type UdpEndpoint } from './udp-endpoint.js';
import { ConnectedCarrier } from './connected-carrier.js';
import { UdpLink, type DatagramCarrier } from './udp-link.js';

/**
 * dgram resolves every destination through `lookup`, by default `dns.lookup`, which answers even an
 * IP address on a later tick: a cost on every datagram sent, and a send still pending when the
 * socket closes is lost. A peer's address (from a datagram it sent) is always an IP, answered here
 * at once; names still go to DNS.
 */
function lookup(address: string, options: LookupOneOptions, callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const version = isIP(address);
  if (version !== 0) callback(null, address, version);
  // Node 20 passes the family as a number, later versions an options object: dns.lookup takes both.
  else dnsLookup(address, options, callback);
}

/**
 * A UDP endpoint: one datagram socket. Without sessions, datagrams become `packet` events. With
 * sessions, the first datagram from an address and port the server admits (`maxConnections`,
 * `maxConnectionsPerAddress`) makes a session link, and later ones from the same peer go to it.
 * A datagram from a peer refused admission is dropped before anything is allocated for it (the
 * server counts it with a `reject` event), so a flood from spoofed ports costs no memory.
 */
export class UdpListener implements Listener, DatagramCarrier {
  readonly framing: Framing;
  private socket: DgramSocket | undefined;
  private hooks: ListenerHooks | undefined;
  /** Sessions by remote address, then port: no key string built per datagram. */
  private readonly sessions = new Map<string, Map<number, UdpLink>>();
  private sessionCount = 0;
  private boundPort: number | undefined;
  private accepting = false;
  private readonly withSessions: boolean;
  private readonly connectSessions: boolean;
  private readonly maxDatagramBytes: number;
  private readonly host: string;

  constructor(readonly endpoint: UdpEndpoint) {
    validateUdpEndpoint(endpoint);
    this.withSessions = endpoint.sessions ?? UDP_DEFAULTS.sessions;
    this.connectSessions = this.withSessions && (endpoint.connectSessions ?? UDP_DEFAULTS.connectSessions);
    this.maxDatagramBytes = endpoint.maxDatagramBytes ?? UDP_DEFAULTS.maxDatagramBytes;
    this.host = endpoint.host ?? UDP_DEFAULTS.host;
    this.framing = datagramFraming(endpoint.codec ?? new RawCodec(), this.maxDatagramBytes);
  }

  async listen(hooks: ListenerHooks): Promise<void> {
    this.hooks = hooks;
    const socket = createSocket({ type: this.family(), lookup, reuseAddr: this.connectSessions });
    const where = describeAddress({ transport: 'udp', host: this.host, port: this.endpoint.port });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => reject(listenError(error, where));
      socket.once('error', onError);
      socket.bind({ port: this.endpoint.port, address: this.host }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    // An unconnected socket is told of no peer's ICMP errors (Linux reports them only to connected
    // sockets); whatever else it reports once bound must not crash the process.
    socket.on('error', () => undefined);
    socket.on('message', (data: Buffer, info: RemoteInfo) => this.incoming(data, info));
    this.socket = socket;
    this.boundPort = socket.address().port;
    this.accepting = true;
  }

  /**
   * Stops taking new peers and `packet`s; the socket itself stays until the last session is
   * closed, so that sessions closing (a server's stop, with its final message) can still send.
   */
  close(): Promise<void> {
    this.accepting = false;
    if (this.sessionCount === 0) this.closeSocket();
    return Promise.resolve();
  }

  address(): ListeningAddress | undefined {
    if (!this.accepting || this.socket === undefined) return undefined;
    const info = this.socket.address();
    return { transport: 'udp', host: info.address, port: info.port };
  }

  /** Sends one datagram from this endpoint's socket (the server's `sendTo`). False if not listening. */
  sendTo(address: string, port: number, data: Buffer | Uint8Array | string): boolean {
    if (typeof address !== 'string' || address === '') throw new InvalidArgumentError('address', address, 'an IP address or host name');
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError('port', port, 'an integer from 1 to 65535');
    const socket = this.socket;
    if (socket === undefined || !this.accepting) return false;
    // To a peer with a session, through the session's carrier: with connectSessions, its own
    // connected socket, which hears an ICMP port unreachable and reports it on the session.
    const session = this.sessions.get(address)?.get(port);
    if (session !== undefined && !session.destroyed) session.sendDatagram(typeof data === 'string' ? Buffer.from(data) : data);
    else socket.send(data, port, address);
    return true;
  }

  // ---- DatagramCarrier (for the sessions) ------------------------------------------------------

  get localAddress(): string | undefined {
    return this.host;
  }

  get localPort(): number | undefined {
    return this.boundPort;
  }

  send(datagram: Buffer, port: number, address: string): void {
    this.socket?.send(datagram, port, address);
  }

  release(link: UdpLink): void {
    const byPort = this.sessions.get(link.remoteAddress);
    if (byPort?.get(link.remotePort) !== link) return;
    byPort.delete(link.remotePort);
    if (byPort.size === 0) this.sessions.delete(link.remoteAddress);
    this.sessionCount--;
    if (this.sessionCount === 0 && !this.accepting) this.closeSocket();
  }

  // ---- datagrams -------------------------------------------------------------------------------

  private incoming(data: Buffer, info: RemoteInfo): void {
    const hooks = this.hooks!;
    if (!this.withSessions) {
      if (this.accepting && data.length <= this.maxDatagramBytes) hooks.packet(data, info.address, info.port);
      return;
    }
    let byPort = this.sessions.get(info.address);
    let link = byPort?.get(info.port);
    if (link === undefined) {
      if (!this.accepting || !hooks.admit({ remoteAddress: info.address })) return;
      link = new UdpLink(this, info.address, info.port);
      if (byPort === undefined) this.sessions.set(info.address, (byPort = new Map()));
      byPort.set(info.port, link);
      this.sessionCount++;
      hooks.accepted(link);
      link.markReady();
      if (this.connectSessions) this.connectSession(link);
    }
    link.receive(data);
  }

  /**
   * Gives a session its own socket, connected to its peer. Until it is bound and connected (a few
   * ticks), the session sends and receives through the endpoint's socket; if it cannot be made
   * (out of file descriptors), the session stays on the endpoint's socket.
   */
  private connectSession(link: UdpLink): void {
    const socket = createSocket({ type: this.family(), reuseAddr: true });
    socket.once('error', () => socket.close());
    socket.bind({ port: this.boundPort, address: this.host }, () => {
      socket.connect(link.remotePort, link.remoteAddress, () => {
        socket.removeAllListeners('error');
        if (link.destroyed) {
          socket.close();
          return;
        }
        const carrier = new ConnectedCarrier(socket, (released) => this.release(released));
        carrier.carry(link);
        link.carryBy(carrier);
      });
    });
  }

  private family(): 'udp4' | 'udp6' {
    return isIPv6(this.host) ? 'udp6' : 'udp4';
  }

  private closeSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
  }
}
