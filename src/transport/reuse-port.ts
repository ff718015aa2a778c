// SO_REUSEPORT: whether this Node and this OS can share one port between processes, and whether
// this process's listeners on a fixed port should (a worker in the reuse-port distribution).
import { createServer, type AddressInfo, type ListenOptions, type Server as NetServer } from 'node:net';

/** `ListenOptions` as Node 22.12+ has them (Node 20's types have no `reusePort`). */
type ReusePortListenOptions = ListenOptions & { reusePort?: boolean };

let probed: Promise<boolean> | undefined;
let ownPorts = false;

/**
 * Whether `net.Server.listen({ reusePort: true })` works here, found by trying rather than read
 * from the version string: the option needs Node 22.12+ / 23.1+ *and* an OS with SO_REUSEPORT
 * (Linux, the BSDs, macOS; not Windows). Two loopback listeners on one port, both with the
 * option: the second only binds where it works (Node 20 ignores the option, so EADDRINUSE).
 * `exclusive` keeps the probe out of node:cluster's shared handles in a worker. Probed once.
 */
export function reusePortSupported(): Promise<boolean> {
  return (probed ??= probe());
}

async function probe(): Promise<boolean> {
  const first = createServer();
  const second = createServer();
  try {
    await listen(first, { host: '127.0.0.1', port: 0, exclusive: true, reusePort: true });
    await listen(second, { host: '127.0.0.1', port: (first.address() as AddressInfo).port, exclusive: true, reusePort: true });
    return true;
  } catch {
    return false;
  } finally {
    first.close();
    second.close();
  }
}

function listen(server: NetServer, options: ReusePortListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * @internal Set by a worker's start order in the reuse-port distribution: from then on, this
 * process's TCP, TLS and WebSocket listeners on a fixed port bind it themselves with SO_REUSEPORT.
 */
export function listenOnOwnPorts(on: boolean): void {
  ownPorts = on;
}

/**
 * The listen options that make this process bind `port` itself with SO_REUSEPORT (`exclusive`:
 * not through node:cluster's handle in the supervisor), when {@link listenOnOwnPorts} is on.
 * Port 0 keeps the shared handle: N processes binding port 0 themselves would get N different
 * ports, and only the supervisor can give them one.
 */
export function ownPortOptions(port: number): { reusePort?: true; exclusive?: true } {
  return ownPorts && port !== 0 ? { reusePort: true, exclusive: true } : {};
}
