// A line-based chat on TCP: `npm run demo`, then `nc 127.0.0.1 7000` in a few terminals.
//
//   node dist/examples/chat/main.js [--port 7000] [--host 127.0.0.1]     (or PORT=, HOST=)
//
// The chat logic (chat-room.ts) knows nothing of transports: each endpoint added to the server
// below (a WebSocket one for a web page, say) just brings more connections to the same rooms.
import { pathToFileURL } from 'node:url';
import { LineCodec, Registry, Server, type EndpointOptions } from '../../src/index.js';
import { ChatRoom } from './chat-room.js';

export interface ChatOptions {
  /** TCP port for line clients (nc, telnet). 0 picks a free one. @default 7000 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

export const CHAT_DEFAULTS = { port: 7000, host: '127.0.0.1' } as const;

/** Chat lines are short; a longer one closes the connection rather than filling memory. */
const MAX_LINE_BYTES = 4096;

export interface RunningChat {
  server: Server;
  registry: Registry;
  chat: ChatRoom;
  /** The TCP port it listens on. */
  port: number;
  stop(): Promise<void>;
}

export async function startChat(options: ChatOptions = {}): Promise<RunningChat> {
  const host = options.host ?? CHAT_DEFAULTS.host;
  const endpoints: EndpointOptions[] = [
    { transport: 'tcp', host, port: options.port ?? CHAT_DEFAULTS.port, codec: new LineCodec({ maxFrameBytes: MAX_LINE_BYTES }) },
  ];
  const server = new Server({ endpoints, stopTimeout: 2000 });
  const registry = new Registry(server);
  const chat = new ChatRoom(registry);
  server.on('establish', ({ connection }) => void chat.serve(connection));
  await server.start();
  const address = server.addresses()[0];
  const port = address && address.transport !== 'unix' ? address.port : 0;
  return {
    server,
    registry,
    chat,
    port,
    async stop() {
      await server.stop({ finalMessage: 'The chat is closing. Bye!' });
      await registry.dispose();
    },
  };
}

function argument(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? undefined : process.argv[at + 1];
}

async function main(): Promise<void> {
  const portText = argument('port') ?? process.env.PORT;
  const port = portText === undefined ? CHAT_DEFAULTS.port : Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a port number, got ${portText}`);
    process.exit(2);
  }
  const host = argument('host') ?? process.env.HOST ?? CHAT_DEFAULTS.host;
  const running = await startChat({ port, host });
  console.log(`chat listening on ${host}:${running.port}: try  nc ${host} ${running.port}`);
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
