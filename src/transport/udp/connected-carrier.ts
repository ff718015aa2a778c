import type { Socket as DgramSocket } from 'node:dgram';
import { PeerUnreachableError } from '../../errors.js';
import type { DatagramCarrier, UdpLink } from './udp-link.js';

/**
 * A datagram socket connected to one peer, carrying that peer's link: a client's socket, or a
 * server session's own socket (`connectSessions`). Connected, the socket hears that peer only, and
 * the kernel reports an ICMP port unreachable after a send as ECONNREFUSED on it, which becomes a
 * `sendFail` with code `unreachable` on the connection (an unconnected socket is told nothing).
 */
export class ConnectedCarrier implements DatagramCarrier {
  private link: UdpLink | undefined;
  // Read once: a closed socket has no address to tell.
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;

  /** @param released also called when the link is released (a server forgets its session) */
  constructor(
    private readonly socket: DgramSocket,
    private readonly released?: (link: UdpLink) => void,
  ) {
    const local = socket.address();
    this.localAddress = local.address;
    this.localPort = local.port;
  }

  /** Routes the socket's datagrams and ICMP errors to `link`. */
  carry(link: UdpLink): void {
    this.link = link;
    this.socket.on('message', (data: Buffer) => link.receive(data));
    this.socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') {
        link.unreachable(new PeerUnreachableError(`${link.remoteAddress}:${link.remotePort} is unreachable (ICMP port unreachable)`, { cause: error }));
      }
      // Anything else a connected datagram socket reports concerns one send: never a crash.
    });
  }

  send(datagram: Buffer): void {
    this.socket.send(datagram);
  }

  release(link: UdpLink): void {
    if (link !== this.link) return;
    this.socket.close();
    this.released?.(link);
  }
}
