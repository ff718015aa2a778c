// Switchboard's bench server as an app file: DESIGN.md's benchmark protocol, written the way a
// user would write it with the public API: echo with connection.send, broadcast to a group every
// connection joins, through the registry (encoded once, written to every member, coalesced per
// turn). switchboard-server.ts runs it in one process, or on N workers with `--workers N`; the
// endpoint comes from the environment (BENCH_ENDPOINT), which the workers inherit.
import { readFileSync } from 'node:fs';
import { LengthFieldCodec, Registry, Server, type AppContext, type EndpointOptions } from '../../src/index.js';
import type { ServerArgs } from './server-args.js';

/** The environment variable holding the endpoint (JSON of the parsed command line, key and cert as paths). */
export const BENCH_ENDPOINT = 'BENCH_ENDPOINT';

export type EndpointArgs = Omit<ServerArgs, 'key' | 'cert'>;

const BROADCAST = 0x42; // 'B'

function endpointFor(args: EndpointArgs): EndpointOptions {
  const tls = () => ({ key: readFileSync(args.keyPath!), cert: readFileSync(args.certPath!) });
  switch (args.transport) {
    case 'unix':
      return { transport: 'unix', path: args.path, backlog: 4096 };
    case 'tls':
      return { transport: 'tls', host: args.host, port: args.port, backlog: 4096, tls: tls() };
    case 'ws':
      return { transport: 'ws', host: args.host, port: args.port, path: '/', backlog: 4096 };
    case 'wss':
      return { transport: 'wss', host: args.host, port: args.port, path: '/', backlog: 4096, tls: tls() };
    case 'udp':
      // Each peer a session (a Connection), each datagram one length-prefixed frame.
      return { transport: 'udp', host: args.host, port: args.port, sessions: true, codec: new LengthFieldCodec() };
    default:
      return { transport: 'tcp', host: args.host, port: args.port, backlog: 4096 };
  }
}

export default function benchApp(context: AppContext): Server {
  void context; // the same on every worker: the registry spans them (IPC engine) in the workers shape
  const args = JSON.parse(process.env[BENCH_ENDPOINT] ?? 'null') as EndpointArgs | null;
  if (args === null) throw new Error(`${BENCH_ENDPOINT} is not set: run this app through switchboard-server.js`);
  const server = new Server({ endpoints: [endpointFor(args)], limits: { maxSendBufferSize: 64 * 1024 * 1024 } });
  const registry = new Registry(server);
  // In a cluster a join or a push can reject (Redis away, a node too slow to answer): a user's
  // server logs it and goes on; left unhandled it would be an unhandled rejection and end the process.
  server.on('establish', ({ connection }) => void registry.join(connection, 'all').catch(failed('join')));
  // Over TCP, TLS and Unix a message is a Buffer; over WebSocket a text frame arrives as a string
  // and is sent back as one.
  server.on('message', ({ connection, message }) => {
    const first = typeof message === 'string' ? message.charCodeAt(0) : (message as Buffer)[0];
    if (first === BROADCAST) void registry.sendToGroup('all', message).catch(failed('broadcast'));
    else connection.send(message);
  });
  return server;
}

/** Logs a failed registry call, at most one line a second (with how many failed since), and goes on. */
let failures = 0;
let loggedAt = 0;
function failed(what: string): (error: unknown) => void {
  return (error) => {
    failures++;
    const now = Date.now();
    if (now - loggedAt < 1000) return;
    loggedAt = now;
    const code = (error as { code?: unknown }).code ?? 'no code';
    process.stderr.write(`switchboard bench app: ${what} failed (${String(code)}: ${(error as Error).message}); ${failures} registry call(s) failed so far\n`);
  };
}
