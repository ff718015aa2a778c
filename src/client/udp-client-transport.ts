import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Codec } from '../codec/codec.js';
import { ConnectError, ErrorCode, PeerUnreachableError } from '../errors.js';
import { connectTimeoutError } from '../transport/dial.js';
import { datagramFraming, type Framing } from '../transport/framing.js';
import type { Link } from '../transport/link.js';
import { MAX_UDP_PAYLOAD } from '../transport/udp/udp-endpoint.js';
import { UdpLink, type DatagramCarrier } from '../transport/udp/udp-link.js';
import type { Clock } from '../util/clock.js';
import { integerOption, portOption, stringOption } from '../util/validate.js';
import type { ClientTransport } from './client-transport.js';

/** Where a UDP client sends: one server's address and port. */
export interface UdpTarget {
  transport: 'udp';
  host: string;
  port: number;
  /** Local address to send from. @default any */
  localAddress?: string;
  /** Datagrams larger than this are dropped with `decodeFail`. @default 65507 */
  maxDatagramBytes?: number;
}

/**
 * A UDP client: its own socket, connected to the server's address (so that only the server's
 * datagrams are received, and the kernel reports an ICMP port unreachable, which becomes a
 * `sendFail` with code `unreachable`). "Connecting" sends nothing: UDP has no handshake.
 */
export class UdpClientTransport implements ClientTransport {
  readonly framing: Framing;

  constructor(
    private readonly target: UdpTarget,
    codec: Codec,
  ) {
    stringOption('host', target.host, 'a host name or IP address');
    portOption('port', target.port);
    const max = integerOption('maxDatagramBytes', target.maxDatagramBytes ?? MAX_UDP_PAYLOAD, 1, MAX_UDP_PAYLOAD);
    this.framing = datagramFraming(codec, max);
  }

  describe(): string {
    const host = this.target.host.includes(':') ? `[${this.target.host}]` : this.target.host;
    return `udp://${host}:${this.target.port}`;
  }

  open(clock: Clock, connectTimeout: number): Promise<Link> {
    const target = this.target;
    return new Promise((resolve, reject) => {
      const socket = createSocket({ type: isIPv6(target.host) ? 'udp6' : 'udp4' });
      const fail = (error: NodeJS.ErrnoException): void => {
        clock.clear(timer);
        socket.close();
        const cannotBegin = error.syscall === 'getaddrinfo' || error.code === 'ERR_SOCKET_BAD_PORT';
        reject(new ConnectError(cannotBegin ? ErrorCode.OpenFailed : ErrorCode.ConnectFailed, `cannot open ${this.describe()}: ${error.message}`, error.code, { cause: error }));
      };
      const timer = clock.setTimeout(() => fail(connectTimeoutError(connectTimeout)), connectTimeout);
      socket.once('error', fail);
      const connect = (): void =>
        socket.connect(target.port, target.host, () => {
          clock.clear(timer);
          socket.off('error', fail);
          resolve(new UdpClientCarrier(socket, target.host).link);
        });
      if (target.localAddress !== undefined) socket.bind({ port: 0, address: target.localAddress }, connect);
      else connect();
    });
  }
}

/** The client's connected socket, carrying its one link. */
class UdpClientCarrier implements DatagramCarrier {
  readonly link: UdpLink;

  constructor(
    private readonly socket: DgramSocket,
    host: string,
  ) {
    const remote = socket.remoteAddress();
    this.link = new UdpLink(this, remote.address ?? host, remote.port);
    socket.on('message', (data: Buffer) => this.link.receive(data));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A connected socket hears the peer's ICMP port unreachable as ECONNREFUSED on a later call.
      if (error.code === 'ECONNREFUSED') {
        this.link.unreachable(new PeerUnreachableError(`${this.link.remoteAddress}:${this.link.remotePort} is unreachable (ICMP port unreachable)`, { cause: error }));
      }
    });
  }

  get localAddress(): string | undefined {
    return this.socket.address().address;
  }
  get localPort(): number | undefined {
    return this.socket.address().port;
  }

  send(datagram: Buffer): void {
    this.socket.send(datagram);
  }

  release(): void {
    this.socket.close();
  }
}
