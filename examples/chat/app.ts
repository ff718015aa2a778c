// The chat as a Switchboard app file: the same file runs in one process, on every core, and (with
// the Redis engine) on many machines; only the command line changes:
//
//   switchboard run dist/examples/chat/app.js                  one process
//   switchboard start dist/examples/chat/app.js --workers 2    a supervisor and two workers
//
// Ports come from the environment (PORT, WEB_PORT, HOST), as an app's own settings do; the shape
// (how many workers, which cluster engine) never comes from here.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { LineCodec, Registry, Server, type AppContext, type EndpointOptions, type HandshakeHook } from '../../src/index.js';
import { ChatRoom } from './chat-room.js';
import { webFiles } from './web-files.js';

export interface ChatOptions {
  /** TCP port for line clients (nc, telnet, switchboard connect). 0 picks a free one. @default 7000 */
  port?: number;
  /** HTTP port of the web page and its WebSocket (path `/chat`). 0 picks a free one. @default 7001 */
  webPort?: number;
  /** The address both listen on. @default '127.0.0.1' */
  host?: string;
}

export const CHAT_DEFAULTS = { port: 7000, webPort: 7001, host: '127.0.0.1' } as const;

/** Chat lines are short; a longer one closes the connection rather than filling memory. */
const MAX_LINE_BYTES = 4096;

/** Where the page's WebSocket connects. */
export const CHAT_WEBSOCKET_PATH = '/chat';

/** What every connection hears when the server stops or a reload replaces its worker. */
export const goodbye = 'The chat is closing. Bye!';

/** A chat made, not started: its server, its registry and the HTTP server of its page (listening). */
export interface Chat {
  server: Server;
  registry: Registry;
  chat: ChatRoom;
  http: HttpServer;
}

/**
 * Makes the chat's server (not started). The web page's HTTP server listens at once (the
 * WebSocket endpoint is attached to it) and closes, with the registry, when the server stops.
 */
export async function makeChat(options: ChatOptions = {}): Promise<Chat> {
  const host = options.host ?? CHAT_DEFAULTS.host;
  const http = createHttpServer(await webFiles());
  const endpoints: EndpointOptions[] = [
    { transport: 'tcp', host, port: options.port ?? CHAT_DEFAULTS.port, codec: new LineCodec({ maxFrameBytes: MAX_LINE_BYTES }) },
    // Text messages arrive as strings, as lines do from the LineCodec; replies go out as text.
    { transport: 'ws', server: http, path: CHAT_WEBSOCKET_PATH, limits: { maxReceiveBufferSize: MAX_LINE_BYTES }, handshake: sameOrigin },
  ];
  const server = new Server({ endpoints, stopTimeout: 2000 });
  const registry = new Registry(server);
  const chat = new ChatRoom(registry);
  server.on('establish', ({ connection }) => void chat.serve(connection));
  server.once('stop', () => {
    registry.dispose().catch((error: unknown) => console.error(`chat: leaving the cluster failed: ${(error as Error).message}`));
    void close(http);
  });
  await listen(http, options.webPort ?? CHAT_DEFAULTS.webPort, host);
  return { server, registry, chat, http };
}

/** The app file's default export: the chat on the ports of the environment. */
export default async function chatApp(context: AppContext): Promise<Server> {
  void context; // one chat per worker; the registry spans them all in the workers shape
  const { server, registry } = await makeChat({
    port: portFrom('PORT', CHAT_DEFAULTS.port),
    webPort: portFrom('WEB_PORT', CHAT_DEFAULTS.webPort),
    host: process.env.HOST ?? CHAT_DEFAULTS.host,
  });
  // Serve only once this worker's registry has joined the others (at once in one process).
  await registry.ready();
  return server;
}

/** A port from the environment; a bad value stops the start with a message naming it. */
export function portFrom(name: string, fallback: number, text = process.env[name]): number {
  const port = text === undefined ? fallback : Number(text);
  if (text === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number from 0 to 65535, got ${JSON.stringify(text)}`);
  }
  return port;
}

/**
 * Browsers send the page's origin with the upgrade; another site's page could otherwise open a
 * connection in a visitor's name. Clients without an Origin (scripts, wscat) are let in, as on nc.
 */
const sameOrigin: HandshakeHook = (request) => {
  if (request.origin === undefined) return undefined;
  let host: string | undefined;
  try {
    host = new URL(request.origin).host;
  } catch {
    // "null" (a file:// page) and the like: not this page.
  }
  if (host !== undefined && host === request.headers.host?.toLowerCase()) return undefined;
  return { type: 'refuse', status: 403, reason: 'the chat is open to its own page only' };
};

function listen(http: HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
}

export function close(http: HttpServer): Promise<void> {
  // Browsers keep idle HTTP connections open; they hold nothing worth waiting for.
  http.closeAllConnections();
  return new Promise((resolve) => http.close(() => resolve()));
}
