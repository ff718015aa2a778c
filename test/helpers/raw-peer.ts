import { connect, type Socket } from 'node:net';
import type { After } from './cleanup.js';

/** A plain socket that records what it receives: the peer in tests that must misbehave. */
export class RawPeer {
  readonly socket: Socket;
  received = Buffer.alloc(0);
  closed = false;
  error: NodeJS.ErrnoException | undefined;
  private ready: Promise<void>;

  /**
   * `localAddress` picks the source address (127.0.0.2, ...) to look like another host. With a
   * test context `t`, the socket is destroyed after the test however it ends.
   */
  constructor(options: { port: number; host?: string; localAddress?: string } | { path: string }, t?: After) {
    this.socket =
      'path' in options
        ? connect(options.path)
        : connect({ port: options.port, host: options.host ?? '127.0.0.1', ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    this.socket.on('data', (chunk: Buffer) => (this.received = Buffer.concat([this.received, chunk])));
    this.socket.on('error', (error) => (this.error = error));
    this.socket.on('close', () => (this.closed = true));
    this.ready = new Promise((resolve) => this.socket.once('connect', () => resolve()));
    t?.after(() => this.socket.destroy());
  }

  connected(): Promise<void> {
    return this.ready;
  }

  /** Frames `body` with a 4-byte big-endian length, as the default codec does. */
  static frame(body: Buffer | string): Buffer {
    const payload = typeof body === 'string' ? Buffer.from(body) : body;
    const header = Buffer.alloc(4);
    header.writeUInt32BE(payload.length);
    return Buffer.concat([header, payload]);
  }

  /** Bodies of the complete length-prefixed frames received so far. */
  frames(): string[] {
    const out: string[] = [];
    let at = 0;
    while (at + 4 <= this.received.length) {
      const length = this.received.readUInt32BE(at);
      if (at + 4 + length > this.received.length) break;
      out.push(this.received.subarray(at + 4, at + 4 + length).toString());
      at += 4 + length;
    }
    return out;
  }
}
