import { ClusterError, ClusterIncompleteError, type Registry, type Server, type SwitchboardError } from '../../src/index.js';

/** Calls a node script offers beside the registry's own. */
export type Harness = Record<string, (...args: any[]) => unknown>;

/**
 * The node side of {@link ChildNode}: answers `{ id, call, args }` messages on this process's IPC
 * channel by running `harness[call]`, or else `registry[call]`, and replying `{ id, ok, value }`,
 * or the coded error it threw (with `delivered` and `unanswered` for cluster errors).
 */
export function serveCalls(registry: Registry, harness: Harness): void {
  process.on('message', async (message: { id?: unknown; call?: string; args?: unknown[] }) => {
    if (typeof message !== 'object' || message === null || typeof message.id !== 'number') return;
    const { id, call = '', args = [] } = message;
    try {
      const fn = harness[call] ?? (registry as unknown as Record<string, (...a: unknown[]) => unknown>)[call];
      if (typeof fn !== 'function') throw new Error(`no call ${call}`);
      const value = await fn.apply(harness[call] ? harness : registry, args);
      process.send!({ id, ok: true, value });
    } catch (error) {
      const e = error as SwitchboardError;
      process.send!({
        id,
        ok: false,
        error: {
          code: e.code,
          message: e.message,
          ...(e instanceof ClusterIncompleteError ? { delivered: e.delivered, unanswered: e.unanswered } : {}),
          ...(e instanceof ClusterError ? { delivered: e.delivered } : {}),
        },
      });
    }
  });
}

/** Starts the server, joins the cluster, and tells the parent (`ChildNode.ready()`) how it went. */
export async function startAndReport(server: Server, registry: Registry): Promise<void> {
  await server.start();
  const address = server.addresses()[0];
  try {
    await registry.ready();
    process.send!({ ready: true, port: address && 'port' in address ? address.port : 0 });
  } catch (error) {
    process.send!({ ready: false, error: String(error) });
  }
}
