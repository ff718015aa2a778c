import { createServer as createNetServer } from 'node:net';
import { Server, type ServerOptions } from '../../src/index.js';
import { stopAfter, type After } from './cleanup.js';

/**
 * A started server with one TCP endpoint on a free loopback port. With a test context `t`, the
 * server is shut down after the test however it ends.
 */
export async function tcpServer(options: Omit<ServerOptions, 'endpoints'> = {}, t?: After): Promise<{ server: Server; port: number }> {
  const server = new Server({ ...options, endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
  if (t) stopAfter(t, server);
  await server.start();
  const address = server.addresses()[0];
  if (!address || address.transport === 'unix') throw new Error('no tcp address');
  return { server, port: address.port };
}

/** A loopback port that was free a moment ago (for tests that need a port nobody listens on). */
export async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
