// A line-based chat on TCP and on a web page: `npm run demo`, then `switchboard connect
// tcp://127.0.0.1:7000` (or `nc 127.0.0.1 7000`) in a few terminals and http://127.0.0.1:7001/ in a
// few browser tabs; all of them are in the same rooms.
//
//   node dist/examples/chat/main.js [--port 7000] [--web-port 7001] [--host 127.0.0.1]
//                                   (or PORT=, WEB_PORT=, HOST=)
//
// The chat itself is the app file app.ts (which `switchboard start` runs on every core); this is
// its one-process runner with command-line ports. The chat logic (chat-room.ts) knows nothing of
// transports: a TCP line and a WebSocket text message both arrive as one string, and every reply
// is one string, a line on TCP and a message on WebSocket.
import { pathToFileURL } from 'node:url';
import type { Registry, Server } from '../../src/index.js';
import { CHAT_DEFAULTS, close, goodbye, makeChat, portFrom, type ChatOptions } from './app.js';
import type { ChatRoom } from './chat-room.js';

export { CHAT_DEFAULTS, CHAT_WEBSOCKET_PATH, type ChatOptions } from './app.js';

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
  const { server, registry, chat, http } = await makeChat(options);
  try {
    await server.start();
  } catch (error) {
    await registry.dispose();
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
      // The app's 'stop' listener disposes of the registry and closes the page's HTTP server.
      await server.stop({ finalMessage: goodbye });
      await registry.dispose();
      await close(http);
    },
  };
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

function portOption(name: string, environment: string, fallback: number): number {
  try {
    return portFrom(environment, fallback, argument(name) ?? process.env[environment]);
  } catch {
    console.error(`--${name} (${environment}) must be a port number from 0 to 65535, got ${JSON.stringify(argument(name) ?? process.env[environment])}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const port = portOption('port', 'PORT', CHAT_DEFAULTS.port);
  const webPort = portOption('web-port', 'WEB_PORT', CHAT_DEFAULTS.webPort);
  const host = argument('host') ?? process.env.HOST ?? CHAT_DEFAULTS.host;
  const running = await startChat({ port, webPort, host });
  const urlHost = host.includes(':') ? `[${host}]` : host;
  console.log(`chat listening: try  switchboard connect tcp://${host}:${running.port}  (or nc ${host} ${running.port})  and  http://${urlHost}:${running.webPort}/`);
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
