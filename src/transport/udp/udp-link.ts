import type { SwitchboardError } from '../../errors.js';
import { linkClosed, linkData, linkReady, linkUnreachable, type Link, type LinkSink } from '../link.js';

/** What a UDP link sends through: a server endpoint's one socket, or a client's own connected one. */
export interface DatagramCarrier {
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  /** Sends one datagram to the peer. */
  send(datagram: Buffer, port: number, address: string): void;
  /** The link is closed: forget it (a server's session table), or close the socket (a client). */
  release(link: UdpLink): void;
}

function reportClosed(link: UdpLink): void {
  link.closedNow();
}

/**
 * One UDP peer (address and port) as a link: a server's session, or a client's connected socket.
 * Each frame the connection writes is its own datagram (never coalesced: a datagram is a message);
 * received datagrams are handed up whole. UDP has no handshake, no goodbye and no backpressure of
 * its own: a datagram goes to the kernel at once (`writableLength` is 0), and one the network
 * cannot carry is lost, as UDP's are.
 */
export class UdpLink implements Link {
  private sink: LinkSink | undefined;
  private closed = false;
  private paused = false;

  constructor(
    private carrier: DatagramCarrier,
    readonly remoteAddress: string,
    readonly remotePort: number,
  ) {}

  /** Moves the link to another carrier (a server session to its own connected socket). */
  carryBy(carrier: DatagramCarrier): void {
    this.carrier = carrier;
  }

  get transport(): 'udp' {
    return 'udp';
  }
  get saysGoodbye(): boolean {
    return false;
  }
  get localAddress(): string | undefined {
    return this.carrier.localAddress;
  }
  get localPort(): number | undefined {
    return this.carrier.localPort;
  }
  get writableLength(): number {
    return 0;
  }
  get destroyed(): boolean {
    return this.closed;
  }
  get receivePaused(): boolean {
    return this.paused;
  }

  attach(sink: LinkSink): void {
    this.sink = sink;
  }

  /** No handshake: the session (or the connected client socket) is ready at once. */
  markReady(): void {
    this.sink![linkReady]();
  }

  /** A datagram from the peer. */
  receive(datagram: Buffer): void {
    if (!this.closed) this.sink![linkData](datagram);
  }

  /** The peer's port was unreachable (ICMP), as the socket reported it. */
  unreachable(error: SwitchboardError): void {
    if (!this.closed) this.sink![linkUnreachable](error);
  }

  /** One datagram from outside the connection's queue (the server's `sendTo` to this peer). */
  sendDatagram(data: Uint8Array): void {
    this.carrier.send(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength), this.remotePort, this.remoteAddress);
  }

  writev(frames: readonly Buffer[]): boolean {
    if (this.closed) return true;
    const carrier = this.carrier;
    for (let i = 0; i < frames.length; i++) carrier.send(frames[i]!, this.remotePort, this.remoteAddress);
    return true;
  }

  /**
   * Datagrams cannot be held back by the sender: while paused they wait in the connection's
   * framer, counted against its receive limit.
   */
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }

  end(): number {
    this.destroy();
    return 0;
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.carrier.release(this);
    // As a socket does: `close` comes after the call that closed it has returned.
    process.nextTick(reportClosed, this);
  }

  /** @internal */
  closedNow(): void {
    this.sink![linkClosed]();
  }

  probe(): void {
    // UDP has no probe of its own: the application's protocol decides (the `idle` event).
  }
  closeCode(): undefined {
    return undefined;
  }
  closeText(): undefined {
    return undefined;
  }
}
