import type { Clock } from '../util/clock.js';
import { integerOption, oneOfOption } from '../util/validate.js';

/** What a full offline queue does with one more message. */
export type OfflineOverflow =
  /** Refuse the new message (`send` answers `false`, `sendFail` with `offlineQueueFull`). */
  | 'reject'
  /** Drop the oldest queued message to make room (`sendFail` with `offlineQueueFull` for it): the freshest state wins. */
  | 'dropOldest';

export interface OfflineQueueOptions {
  /** Messages held while disconnected. @default 1000 */
  maxMessages?: number;
  /** When full: refuse the new message, or drop the oldest. @default 'reject' */
  overflow?: OfflineOverflow;
  /**
   * Messages older than this (ms) when the connection opens are dropped instead of sent
   * (`sendFail` with `offlineExpired`): a stale command is worse than none. @default Infinity (kept)
   */
  maxAge?: number;
}

export const OFFLINE_QUEUE_DEFAULTS = { maxMessages: 1000, overflow: 'reject', maxAge: Infinity } as const satisfies Required<OfflineQueueOptions>;

interface Queued {
  raw: boolean;
  message: unknown;
  at: number;
}

/** Messages sent while a client has no open connection, sent in order once it has one. */
export class OfflineQueue {
  private items: Queued[] = [];
  readonly maxMessages: number;
  readonly overflow: OfflineOverflow;
  readonly maxAge: number;

  constructor(
    options: OfflineQueueOptions = {},
    private readonly clock: Clock,
  ) {
    this.maxMessages = integerOption('offlineQueue.maxMessages', options.maxMessages ?? OFFLINE_QUEUE_DEFAULTS.maxMessages, 0);
    this.overflow = oneOfOption('offlineQueue.overflow', options.overflow ?? OFFLINE_QUEUE_DEFAULTS.overflow, ['reject', 'dropOldest'] as const);
    const maxAge = options.maxAge ?? OFFLINE_QUEUE_DEFAULTS.maxAge;
    this.maxAge = maxAge === Infinity ? maxAge : integerOption('offlineQueue.maxAge', maxAge, 0);
  }

  get size(): number {
    return this.items.length;
  }

  /**
   * Queues a message. Answers `'refused'` when full under `reject` (the caller reports the new
   * message lost), `'droppedOldest'` when the oldest made room (the caller reports that one), and
   * `'queued'` otherwise.
   */
  push(message: unknown, raw: boolean): 'queued' | 'refused' | 'droppedOldest' {
    if (this.items.length >= this.maxMessages) {
      if (this.overflow === 'reject' || this.maxMessages === 0) return 'refused';
      this.items.shift();
      this.items.push({ raw, message, at: this.clock.now() });
      return 'droppedOldest';
    }
    this.items.push({ raw, message, at: this.clock.now() });
    return 'queued';
  }

  /** Everything queued, in order, split into what is still fresh and how many expired. */
  drain(): { fresh: Array<{ raw: boolean; message: unknown }>; expired: number } {
    const items = this.items;
    this.items = [];
    if (this.maxAge === Infinity) return { fresh: items, expired: 0 };
    const oldest = this.clock.now() - this.maxAge;
    const fresh = items.filter((item) => item.at >= oldest);
    return { fresh, expired: items.length - fresh.length };
  }
}
