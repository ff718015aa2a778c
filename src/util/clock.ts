/**
 * Time as Switchboard's timers see it. Everything with a timer takes a `clock` option so that
 * tests can move time by hand instead of sleeping.
 */
export interface Clock {
  now(): number;
  setInterval(callback: () => void, ms: number): TimerHandle;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle): void;
}

export interface TimerHandle {
  /** Lets the process exit while the timer is pending (Node's `unref`). */
  unref?(): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setInterval: (callback, ms) => setInterval(callback, ms),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A clock that only moves when told to: `advance(ms)` runs every timer that falls due. */
export class ManualClock implements Clock {
  private time: number;
  private nextId = 1;
  private readonly timers = new Map<number, { due: number; every: number; callback: () => void }>();

  constructor(start = 0) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setInterval(callback: () => void, ms: number): TimerHandle {
    return this.add(callback, ms, ms);
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.add(callback, ms, 0);
  }

  clear(handle: TimerHandle): void {
    this.timers.delete((handle as { id: number }).id);
  }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let nextId = -1;
      let nextDue = Infinity;
      for (const [id, timer] of this.timers) {
        if (timer.due <= end && timer.due < nextDue) {
          nextDue = timer.due;
          nextId = id;
        }
      }
      const timer = this.timers.get(nextId);
      if (!timer) break;
      this.time = Math.max(this.time, timer.due);
      if (timer.every > 0) timer.due += timer.every;
      else this.timers.delete(nextId);
      timer.callback();
    }
    this.time = end;
  }

  private add(callback: () => void, ms: number, every: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { due: this.time + ms, every, callback });
    return { id, unref() {} } as TimerHandle;
  }
}
