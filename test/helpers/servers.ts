import { Server, type ServerOptions } from '../../src/index.js';

/** A started server with one TCP endpoint on a free loopback port. */
export async function tcpServer(options: Omit<ServerOptions, 'endpoints'> = {}): Promise<{ server: Server; port: number }> {
  const server = new Server({ ...options, endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
  await server.start();
  const address = server.addresses()[0];
  if (!address || address.transport === 'unix') throw new Error('no tcp address');
  return { server, port: address.port };
}
