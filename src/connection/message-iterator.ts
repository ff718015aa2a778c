import type { AnyConnection } from './connection.js';
import type { MessageEvent } from './events.js';

/** How many undelivered messages an iterator holds before it pauses the connection's reading. */
export const ITERATOR_HIGH_WATER = 1024;

/**
 * `for await (const message of connection)`: buffers messages between the connection's events
 * and the consumer, pausing the connection while the consumer lags, and ends when it closes.
 */
export class MessageIterator<M = unknown> implements AsyncIterator<M> {
  private readonly buffered: M[] = [];
  private waiting: ((result: IteratorResult<M>) => void) | undefined;
  private done = false;
  private readonly onMessage = (event: MessageEvent<M, AnyConnection>): void => this.push(event.message);

  constructor(
    private readonly connection: AnyConnection,
    private readonly detach: () => void,
  ) {
    connection.on('message', this.onMessage);
  }

  next(): Promise<IteratorResult<M>> {
    if (this.buffered.length > 0) {
      const value = this.buffered.shift()!;
      if (this.buffered.length < ITERATOR_HIGH_WATER / 2) this.connection.resumeReceive();
      return Promise.resolve({ value, done: false });
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<M>> {
    this.finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** The connection closed: what is buffered is still delivered, then the iteration ends. */
  end(): void {
    this.done = true;
    this.connection.off('message', this.onMessage);
    this.detach();
    if (this.waiting && this.buffered.length === 0) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  private push(message: M): void {
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: message, done: false });
      return;
    }
    this.buffered.push(message);
    if (this.buffered.length >= ITERATOR_HIGH_WATER) this.connection.pauseReceive();
  }

  private finish(): void {
    this.buffered.length = 0;
    this.end();
  }
}
