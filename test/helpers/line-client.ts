import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';

/** A person at `nc`: writes lines, reads lines. */
export class LineClient {
  private readonly socket: Socket;
  private buffered = '';
  private readonly lines: string[] = [];
  private waiter: (() => void) | undefined;
  closed = false;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let end: number;
      while ((end = this.buffered.indexOf('\n')) !== -1) {
        this.lines.push(this.buffered.slice(0, end));
        this.buffered = this.buffered.slice(end + 1);
      }
      this.waiter?.();
    });
    // A reset (the server process killed) ends the connection like a close; `closed` tells.
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  send(line: string): void {
    this.socket.write(`${line}\n`);
  }

  /** The next line, waiting up to `ms` for it. */
  async line(ms = 2000): Promise<string> {
    const end = Date.now() + ms;
    while (this.lines.length === 0) {
      if (this.closed) throw new Error('connection closed while waiting for a line');
      if (Date.now() > end) throw new Error(`no line within ${ms} ms`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 50);
      });
    }
    return this.lines.shift()!;
  }

  async ended(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => setTimeout(resolve, 10));
  }

  /** Nothing more has arrived. */
  async quiet(ms = 50): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    assert.deepEqual(this.lines, []);
  }

  destroy(): void {
    this.socket.destroy();
  }
}
