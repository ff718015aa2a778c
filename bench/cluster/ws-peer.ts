// A bare WebSocket client for the cluster bench: one socket, the upgrade written by hand, server
// frames parsed in place. Both systems are measured through the same client (Switchboard's
// WebSocket text frames, socket.io's Engine.IO packets inside them), so the client's cost is the
// same on both sides of the comparison; a full client library per connection would make the
// client, not the servers, the thing measured on 2 cores.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

export class WsPeer {
  readonly socket: Socket;
  private rest: Buffer | undefined;
  private upgraded = false;
  private readonly opened: Promise<void>;

  constructor(
    port: number,
    path: string,
    private readonly onText: (data: Buffer, start: number, end: number, peer: WsPeer) => void,
  ) {
    this.socket = connect({ port, host: '127.0.0.1' });
    this.socket.setNoDelay(true);
    let resolveOpen!: () => void;
    let rejectOpen!: (error: Error) => void;
    this.opened = new Promise((resolve, reject) => {
      resolveOpen = resolve;
      rejectOpen = reject;
    });
    this.socket.once('error', rejectOpen);
    this.socket.once('connect', () => {
      const key = randomBytes(16).toString('base64');
      this.socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    this.socket.on('data', (chunk: Buffer) => {
      if (!this.upgraded) {
        const all = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
        const end = all.indexOf('\r\n\r\n');
        if (end < 0) {
          this.rest = all;
          return;
        }
        if (!all.subarray(0, 12).toString().includes('101')) {
          rejectOpen(new Error(`upgrade refused: ${all.subarray(0, end).toString()}`));
          return;
        }
        this.upgraded = true;
        this.rest = undefined;
        resolveOpen();
        if (all.length > end + 4) this.frames(all.subarray(end + 4));
        return;
      }
      this.frames(chunk);
    });
  }

  open(): Promise<void> {
    return this.opened;
  }

  /** Sends one masked text frame. */
  send(text: string): void {
    const payload = Buffer.from(text);
    const length = payload.length;
    const header = length < 126 ? Buffer.alloc(6) : Buffer.alloc(8);
    header[0] = 0x81;
    if (length < 126) header[1] = 0x80 | length;
    else {
      header[1] = 0x80 | 126;
      header.writeUInt16BE(length, 2);
    }
    const mask = randomBytes(4);
    mask.copy(header, header.length - 4);
    for (let i = 0; i < length; i++) payload[i]! ^= mask[i & 3]!;
    this.socket.write(Buffer.concat([header, payload]));
  }

  private frames(chunk: Buffer): void {
    let data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    let at = 0;
    while (data.length - at >= 2) {
      const opcode = data[at]! & 0x0f;
      let length = data[at + 1]! & 0x7f;
      let start = at + 2;
      if (length === 126) {
        if (data.length - at < 4) break;
        length = data.readUInt16BE(at + 2);
        start = at + 4;
      } else if (length === 127) {
        if (data.length - at < 10) break;
        length = Number(data.readBigUInt64BE(at + 2));
        start = at + 10;
      }
      if (data.length < start + length) break;
      if (opcode === 0x1) this.onText(data, start, start + length, this);
      at = start + length;
    }
    if (at < data.length) this.rest = data.subarray(at);
  }

  close(): void {
    this.socket.destroy();
  }
}
