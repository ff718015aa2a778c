import { Server, type CloseEvent, type ServerOptions } from '../../src/index.js';
import type { WebSocketEndpoint } from '../../src/transport/websocket/websocket-endpoint.js';
import { shutdown } from '../helpers/cleanup.js';

export interface WsFixture {
  server: Server;
  port: number;
  /** Close events, in order. */
  closes: CloseEvent[];
  /** Messages received, in order. */
  messages: unknown[];
  /** Shuts the server down without waiting on peers or on a ManualClock (see `shutdown`). */
  stop(): Promise<void>;
}

/**
 * A started server with one WebSocket endpoint on a free loopback port that echoes every message
 * (unless `echo` is false) and records messages and close events.
 */
export async function wsServer(
  endpoint: Partial<WebSocketEndpoint> = {},
  options: Omit<ServerOptions, 'endpoints'> & { echo?: boolean } = {},
): Promise<WsFixture> {
  const { echo = true, ...serverOptions } = options;
  const server = new Server({
    ...serverOptions,
    endpoints: [{ transport: 'ws', host: '127.0.0.1', port: 0, ...endpoint } as WebSocketEndpoint],
  });
  const closes: CloseEvent[] = [];
  const messages: unknown[] = [];
  server.on('message', ({ connection, message }) => {
    messages.push(message);
    if (echo) connection.send(message);
  });
  server.on('close', (event) => closes.push(event));
  await server.start();
  const address = server.addresses()[0];
  if (!address || address.transport === 'unix') throw new Error('no ws address');
  return { server, port: address.port, closes, messages, stop: () => shutdown(server) };
}
