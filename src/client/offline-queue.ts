import { integerOption } from '../util/validate.js';

export interface OfflineQueueOptions {
  /** Messages held while disconnected. @default 1000 */
  maxMessages?: number;
}

export const OFFLINE_QUEUE_DEFAULTS = { maxMessages: 1000 } as const satisfies Required<OfflineQueueOptions>;

/** Messages sent while a client has no open connection, sent in order once it has one. */
export class OfflineQueue {
  private items: Array<{ raw: boolean; message: unknown }> = [];
  readonly maxMessages: number;

  constructor(options: OfflineQueueOptions = {}) {
    this.maxMessages = integerOption('offlineQueue.maxMessages', options.maxMessages ?? OFFLINE_QUEUE_DEFAULTS.maxMessages, 0);
  }

  get size(): number {
    return this.items.length;
  }

  /** False when full: the caller reports the message as lost. */
  push(message: unknown, raw: boolean): boolean {
    if (this.items.length >= this.maxMessages) return false;
    this.items.push({ raw, message });
    return true;
  }

  drain(): Array<{ raw: boolean; message: unknown }> {
    const items = this.items;
    this.items = [];
    return items;
  }
}
