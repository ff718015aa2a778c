// A line-based chat on TCP and on a web page: `npm run demo`, then `nc 127.0.0.1 7000` in a few
// terminals and http://127.0.0.1:7001/ in a few browser tabs; all of them are in the same rooms.
//
//   node dist/examples/chat/main.js [--port 7000] [--web-port 7001] [--host 127.0.0.1]
//                                   (or PORT=, WEB_PORT=, HOST=)
//
// The chat logic (chat-room.ts) knows nothing of transports: a TCP line and a WebSocket text
// message both arrive as one string, and every reply is one string, a line on TCP and a message on
// WebSocket. Each endpoint added to the server below just brings more connections to the same rooms.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { LineCodec, Registry, Server, type EndpointOptions, type HandshakeHook } from '../../src/index.js';
import { ChatRoom } from './chat-room.js';
import { webFiles } from './web-files.js';

export interface ChatOptions {
  /** TCP port for line clients (nc, telnet). 0 picks a free one. @default 7000 */
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

export interface RunningChat {
  server: Server;
  registry: Registry;
  chat: ChatRoom;
  /** The TCP port it listens on. */
  port: number;
  /** The HTTP port of the web page. */
  webPort: number;
  stop(): Promise<void>;
}

export async function startChat(options: ChatOptions = {}): Promise<RunningChat> {
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
  await listen(http, options.webPort ?? CHAT_DEFAULTS.webPort, host);
  try {
    await server.start();
  } catch (error) {
    await close(http);
    throw error;
  }
  const address = server.addresses()[0];
  const port = address && address.transport !== 'unix' ? address.port : 0;
  const webPort = (http.address() as { port: number }).port;
  return {
    server,
    registry,
    chat,
    port,
    webPort,
    async stop() {
      await server.stop({ finalMessage: 'The chat is closing. Bye!' });
      await registry.dispose();
      await close(http);
    },
  };
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

function close(http: HttpServer): Promise<void> {
  // Browsers keep idle HTTP connections open; they hold nothing worth waiting for.
  http.closeAllConnections();
  return new Promise((resolve) => http.close(() => resolve()));
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

function portOption(name: string, environment: string, fallback: number): number {
  const text = argument(name) ?? process.env[environment];
  const port = text === undefined ? fallback : Number(text);
  if (text === '' || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--${name} (${environment}) must be a port number from 0 to 65535, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  const port = portOption('port', 'PORT', CHAT_DEFAULTS.port);
  const webPort = portOption('web-port', 'WEB_PORT', CHAT_DEFAULTS.webPort);
  const host = argument('host') ?? process.env.HOST ?? CHAT_DEFAULTS.host;
  const running = await startChat({ port, webPort, host });
  const urlHost = host.includes(':') ? `[${host}]` : host;
  console.log(`chat listening: try  nc ${host} ${running.port}  and  http://${urlHost}:${running.webPort}/`);
  const shutdown = (): void => {
    void running.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
