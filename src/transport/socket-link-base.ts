import type { Socket } from 'node:net';

/**
 * What every link over a `net.Socket` (stream sockets, WebSocket) answers straight from its socket:
 * addresses and the bytes Node still holds. Only these getters are shared; each link keeps its own
 * framing, close semantics and events.
 */
export abstract class SocketLinkBase {
  constructor(protected readonly socket: Socket) {}

  get localAddress(): string | undefined {
    return this.socket.localAddress;
  }
  get localPort(): number | undefined {
    return this.socket.localPort;
  }
  get remoteAddress(): string | undefined {
    return this.socket.remoteAddress;
  }
  get remotePort(): number | undefined {
    return this.socket.remotePort;
  }
  get writableLength(): number {
    return this.socket.writableLength;
  }
  get destroyed(): boolean {
    return this.socket.destroyed;
  }
}
