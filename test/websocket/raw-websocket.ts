import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/** One frame as the server sent it. */
export interface ReceivedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

export interface FrameOptions {
  fin?: boolean;
  /** RSV bits as the 0x70 nibble of the first byte (0x40 = RSV1). */
  rsv?: number;
  /** Mask the frame (clients must). @default true */
  mask?: boolean;
  /** Write this length in the header instead of the payload's (for lying frames). */
  announcedLength?: number;
}

/** A client frame, masked unless told otherwise: the building block of misbehaving peers. */
export function clientFrame(opcode: number, payload: Buffer | string = Buffer.alloc(0), options: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = options.announcedLength ?? data.length;
  const mask = options.mask ?? true;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  header[0] = ((options.fin ?? true) ? 0x80 : 0) | (options.rsv ?? 0) | opcode;
  if (lengthBytes === 0) header[1] = length;
  else if (lengthBytes === 2) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!mask) return Buffer.concat([header, data]);
  header[1]! |= 0x80;
  const key = randomBytes(4);
  key.copy(header, 2 + lengthBytes);
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i & 3]!;
  return Buffer.concat([header, masked]);
}

/** A close frame payload: code and reason. */
export function closePayload(code: number, reason = ''): Buffer {
  const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
  payload.writeUInt16BE(code, 0);
  payload.write(reason, 2);
  return payload;
}

/** A valid client handshake request. */
export function upgradeRequest(path = '/', extra: Record<string, string> = {}, host = '127.0.0.1'): string {
  const headers: Record<string, string> = {
    Host: host,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(headers)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}

/**
 * A WebSocket client over a plain socket that sends whatever frames a test wants and records
 * the server's response head and frames, exactly as they arrive.
 */
export class RawWebSocket {
  readonly socket: Socket;
  /** Everything received after the response head. */
  private data = Buffer.alloc(0);
  private head = '';
  private headDone = false;
  private waiters: Array<() => void> = [];
  ended = false;
  closed = false;

  private constructor(port: number, host: string) {
    this.socket = connect({ port, host });
    this.socket.on('data', (chunk: Buffer) => {
      if (!this.headDone) {
        const all = Buffer.concat([Buffer.from(this.head, 'latin1'), chunk]);
        const end = all.indexOf('\r\n\r\n');
        if (end === -1) {
          this.head = all.toString('latin1');
        } else {
          this.head = all.subarray(0, end + 4).toString('latin1');
          this.headDone = true;
          this.data = Buffer.concat([this.data, all.subarray(end + 4)]);
        }
      } else {
        this.data = Buffer.concat([this.data, chunk]);
      }
      this.wake();
    });
    this.socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => undefined);
  }

  /** Connects and sends `request` (a valid upgrade by default); resolves once the head is in. */
  static async open(port: number, request: string = upgradeRequest(), host = '127.0.0.1'): Promise<RawWebSocket> {
    const peer = new RawWebSocket(port, host);
    await new Promise<void>((resolve, reject) => {
      peer.socket.once('connect', resolve);
      peer.socket.once('error', reject);
    });
    peer.socket.write(request);
    await peer.until(() => peer.headDone || peer.closed, 'response head');
    return peer;
  }

  /** The response status line and headers. */
  get response(): string {
    return this.head;
  }

  get status(): number {
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(this.head)?.[1] ?? 0);
  }

  send(opcode: number, payload?: Buffer | string, options?: FrameOptions): void {
    this.socket.write(clientFrame(opcode, payload, options));
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Parses (and removes) the next whole frame, waiting for it. */
  async nextFrame(ms = 2000): Promise<ReceivedFrame> {
    let frame: ReceivedFrame | undefined;
    await this.until(() => (frame = this.takeFrame()) !== undefined || this.closed, 'a frame', ms);
    if (!frame) frame = this.takeFrame();
    if (!frame) throw new Error('connection closed without a frame');
    return frame;
  }

  /** The next frame, expected to be a close frame: its code (undefined if empty) and reason. */
  async nextClose(ms = 2000): Promise<{ code: number | undefined; reason: string }> {
    for (;;) {
      const frame = await this.nextFrame(ms);
      if (frame.opcode !== 0x8) continue;
      return frame.payload.length === 0
        ? { code: undefined, reason: '' }
        : { code: frame.payload.readUInt16BE(0), reason: frame.payload.subarray(2).toString() };
    }
  }

  /** Resolves once the server has closed the socket. */
  async whenClosed(ms = 2000): Promise<void> {
    await this.until(() => this.closed || this.ended, 'the server to close the socket', ms);
  }

  /** Bytes received after the head and not yet taken as frames. */
  get pendingBytes(): number {
    return this.data.length;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private takeFrame(): ReceivedFrame | undefined {
    const d = this.data;
    if (d.length < 2) return undefined;
    const masked = (d[1]! & 0x80) !== 0;
    let length = d[1]! & 0x7f;
    let at = 2;
    if (length === 126) {
      if (d.length < 4) return undefined;
      length = d.readUInt16BE(2);
      at = 4;
    } else if (length === 127) {
      if (d.length < 10) return undefined;
      length = Number(d.readBigUInt64BE(2));
      at = 10;
    }
    if (masked) at += 4;
    if (d.length < at + length) return undefined;
    const frame = { fin: (d[0]! & 0x80) !== 0, rsv: d[0]! & 0x70, opcode: d[0]! & 0x0f, masked, payload: Buffer.from(d.subarray(at, at + length)) };
    this.data = d.subarray(at + length);
    return frame;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  private until(check: () => boolean, what: string, ms = 2000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      const retry = (): void => {
        if (check()) {
          clearTimeout(timer);
          resolve();
        } else {
          this.waiters.push(retry);
        }
      };
      this.waiters.push(retry);
    });
  }
}

/** Sends raw bytes to a port and collects the whole answer until the server closes (or `ms`). */
export function rawExchange(port: number, request: string | Buffer, ms = 2000): Promise<{ response: string; closed: boolean; elapsed: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let response = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ response, closed: false, elapsed: Date.now() - started });
    }, ms);
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => (response += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ response, closed: true, elapsed: Date.now() - started });
    });
  });
}
