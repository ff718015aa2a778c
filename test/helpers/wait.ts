import type { EventEmitter } from 'node:events';

/** Resolves with the first event `name` (its first argument), or rejects after `ms`. */
export function nextEvent<T = unknown>(emitter: EventEmitter, name: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(name, onEvent);
      reject(new Error(`no '${name}' event within ${ms} ms`));
    }, ms);
    const onEvent = (value: T): void => {
      clearTimeout(timer);
      resolve(value);
    };
    emitter.once(name, onEvent);
  });
}

/** Polls `check` (which may ask another process, so may be async) until it is true, or rejects after `ms`. */
export async function until(check: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
