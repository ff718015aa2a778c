// Cleanup that runs after a test however it ends: a failed assertion must never leave a socket,
// a server or a client behind to keep the test process (and the run) alive.
import type { TestContext } from 'node:test';
import type { Client, Server } from '../../src/index.js';

/** What the helpers need of a test context (`t` in `it(name, (t) => ...)`). */
export type After = Pick<TestContext, 'after'>;

/**
 * Stops a server without waiting on anyone: its connections are destroyed first, so that `stop()`
 * depends neither on peers that may never read nor on a `ManualClock` that a failed test no
 * longer moves (a graceful stop waits on both).
 */
export async function shutdown(server: Server): Promise<void> {
  for (const connection of [...server.connections()]) connection.destroy();
  await server.stop({ timeout: 0 });
}

/** {@link shutdown} of `server` after the test. */
export function stopAfter<S extends Server>(t: After, server: S): S {
  t.after(() => shutdown(server));
  return server;
}

/** `client.close()` after the test (no reconnect timer left behind). */
export function closeAfter<C extends Client>(t: After, client: C): C {
  t.after(() => client.close());
  return client;
}
