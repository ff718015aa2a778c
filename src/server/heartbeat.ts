import { idle, probe } from '../connection/internal.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { integerOption } from '../util/validate.js';

export interface HeartbeatOptions {
  /**
   * A connection silent (nothing received) for longer than this gets an `idle` event and, unless a
   * listener calls `event.preventDefault()`, is closed with reason `idle`. @default 55 s
   */
  timeout?: number;
  /** How often the sweep runs. A silent peer is closed within interval + timeout. @default 10 s */
  interval?: number;
}

export const HEARTBEAT_DEFAULTS = { timeout: 55_000, interval: 10_000 } as const satisfies Required<HeartbeatOptions>;

/** What the sweep needs of a connection. */
export interface Heartbeating {
  readonly lastHeartbeat: number;
  readonly state: string;
  /** Transports with a ping (WebSocket) send one to a connection that has gone quiet. */
  [probe](): void;
  /** Emits `idle`, then closes unless a listener prevented it. */
  [idle](silentFor: number, timeout: number): void;
}

/**
 * One timer for all connections: every `interval` it walks the live connections once, probes
 * the quiet ones and reports the silent ones (`idle`), which close unless the application keeps
 * them: like Netty's `IdleStateHandler`, it detects and lets the user decide. Never a timer per
 * connection.
 */
export class HeartbeatSweep {
  readonly timeout: number;
  readonly interval: number;
  private timer: TimerHandle | undefined;

  /**
   * `quiet` is what is done to a connection that has been quiet for an interval; by default the
   * transport's own probe (a WebSocket ping; nothing on a byte stream). A client passes one that
   * also sends its codec's probe message.
   */
  constructor(
    options: HeartbeatOptions,
    private readonly clock: Clock,
    private readonly connections: () => Iterable<Heartbeating>,
    private readonly quiet: (connection: Heartbeating) => void = (connection) => connection[probe](),
  ) {
    this.timeout = integerOption('heartbeat.timeout', options.timeout ?? HEARTBEAT_DEFAULTS.timeout, 1);
    this.interval = integerOption('heartbeat.interval', options.interval ?? HEARTBEAT_DEFAULTS.interval, 1);
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.timer) return;
    this.timer = this.clock.setInterval(() => this.sweep(), this.interval);
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer) this.clock.clear(this.timer);
    this.timer = undefined;
  }

  /** One pass; public so that tests and embedders can drive it. */
  sweep(): void {
    const now = this.clock.now();
    let silent: Heartbeating[] | undefined;
    for (const connection of this.connections()) {
      if (connection.state !== 'open') continue;
      const quiet = now - connection.lastHeartbeat;
      if (quiet > this.timeout) (silent ??= []).push(connection);
      else if (quiet >= this.interval) this.quiet(connection);
    }
    // Reported after the walk: closing removes connections from the collection being walked.
    if (silent) for (const connection of silent) connection[idle](now - connection.lastHeartbeat, this.timeout);
  }
}
