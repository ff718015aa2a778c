import { integerOption } from '../util/validate.js';
import { InvalidOptionError } from '../errors.js';

export interface ReconnectOptions {
  /** Delay before the first retry. @default 100 ms */
  initialDelay?: number;
  /** The delay never grows past this. @default 30 s */
  maxDelay?: number;
  /** Each retry waits this many times longer than the one before. @default 2 */
  factor?: number;
  /**
   * Fraction of each delay taken off at random, so that thousands of clients dropped together
   * do not come back together. @default 0.5
   */
  jitter?: number;
  /** Give up after this many failed attempts in a row. @default Infinity */
  maxAttempts?: number;
}

export const RECONNECT_DEFAULTS = {
  initialDelay: 100,
  maxDelay: 30_000,
  factor: 2,
  jitter: 0.5,
  maxAttempts: Infinity,
} as const satisfies Required<ReconnectOptions>;

/** Exponential backoff with jitter; `random` is injectable for tests. */
export class Backoff {
  readonly options: Required<ReconnectOptions>;

  constructor(
    options: ReconnectOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    const o = { ...RECONNECT_DEFAULTS, ...options };
    integerOption('reconnect.initialDelay', o.initialDelay, 0);
    integerOption('reconnect.maxDelay', o.maxDelay, 0);
    if (!(o.factor >= 1)) throw new InvalidOptionError('reconnect.factor', o.factor, 'a number >= 1');
    if (!(o.jitter >= 0 && o.jitter <= 1)) throw new InvalidOptionError('reconnect.jitter', o.jitter, 'a number from 0 to 1');
    if (o.maxAttempts !== Infinity) integerOption('reconnect.maxAttempts', o.maxAttempts, 1);
    this.options = o;
  }

  /** The wait before retry number `attempt` (1-based). */
  delay(attempt: number): number {
    const { initialDelay, maxDelay, factor, jitter } = this.options;
    const base = Math.min(maxDelay, initialDelay * factor ** Math.max(0, attempt - 1));
    return Math.round(base * (1 - jitter * this.random()));
  }

  canRetry(failedAttempts: number): boolean {
    return failedAttempts < this.options.maxAttempts;
  }
}
