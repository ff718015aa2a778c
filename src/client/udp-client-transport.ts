import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Codec } from '../codec/codec.js';
import { ConnectError, ErrorCode } from '../errors.js';
import { connectTimeoutError } from '../transport/dial.js';
import { datagramFraming, type Framing } from '../transport/framing.js';
import type { Link } from '../transport/link.js';
import { MAX_UDP_PAYLOAD } from '../transport/udp/udp-endpoint.js';
import { ConnectedCarrier } from '../transport/udp/connected-carrier.js';
import { UdpLink } from '../transport/udp/udp-link.js';
import type { Clock } from '../util/clock.js';
import { integerOption } from '../util/validate.js';
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
    // A bad host or port is an openFail on connect(), as for TCP (the client's documented contract).
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
      const connect = (): void => {
        try {
          socket.connect(target.port, target.host, onConnect);
        } catch (error) {
          // dgram throws at once for what can never connect: a port out of range.
          fail(error as NodeJS.ErrnoException);
        }
      };
      const onConnect = (): void => {
        clock.clear(timer);
        socket.off('error', fail);
        const carrier = new ConnectedCarrier(socket);
        const remote = socket.remoteAddress();
        const link = new UdpLink(carrier, remote.address, remote.port);
        carrier.carry(link);
        resolve(link);
      };
      if (target.localAddress !== undefined) socket.bind({ port: 0, address: target.localAddress }, connect);
      else connect();
    });
  }
}
