// Command line shared by every bench server: `--transport tcp|tls|unix|ws|wss|udp`, then
// `--port N` (or `--path P` for unix), and `--cert/--key` PEM paths for tls and wss.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';

export const TRANSPORTS = ['tcp', 'tls', 'unix', 'ws', 'wss', 'udp'] as const;
export type BenchTransport = (typeof TRANSPORTS)[number];

export interface ServerArgs {
  readonly transport: BenchTransport;
  readonly port: number;
  readonly path: string;
  readonly host: string;
  /** PEM key and certificate, read when the transport is tls or wss. */
  readonly key?: Buffer;
  readonly cert?: Buffer;
  readonly keyPath?: string;
  readonly certPath?: string;
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** Parses argv, exiting with status 2 on anything this server cannot serve. */
export function parseServerArgs(argv: readonly string[], supported: readonly BenchTransport[]): ServerArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    const value = argv[i + 1];
    if (name === undefined || !name.startsWith('--') || value === undefined) fail(`bad arguments: ${argv.join(' ')}`);
    values.set(name.slice(2), value);
  }
  const transport = values.get('transport') ?? 'tcp';
  if (!(supported as readonly string[]).includes(transport)) {
    fail(`--transport ${transport} is not supported here (supported: ${supported.join(', ')})`);
  }
  const t = transport as BenchTransport;
  const port = Number(values.get('port') ?? '0');
  const path = values.get('path') ?? '';
  if (t === 'unix' ? path === '' : !Number.isInteger(port) || port <= 0 || port > 65535) {
    fail(t === 'unix' ? '--path is required for unix' : `--port must be a port number, got ${values.get('port')}`);
  }
  if (t === 'unix' && existsSync(path)) unlinkSync(path); // a stale socket file from a killed run
  const base = { transport: t, port, path, host: values.get('host') ?? '127.0.0.1' };
  if (t !== 'tls' && t !== 'wss') return base;
  const keyPath = values.get('key');
  const certPath = values.get('cert');
  if (keyPath === undefined || certPath === undefined) fail(`--key and --cert are required for ${t}`);
  return { ...base, keyPath, certPath, key: readFileSync(keyPath), cert: readFileSync(certPath) };
}

/** The line the harness waits for before it starts the load. */
export function announceReady(): void {
  process.stdout.write('ready\n');
}

/**
 * Starts a node:net (or node:tls) server for the node:net peers, announces it ready, and exits on
 * a listen error. noDelay: ws and uWS disable Nagle too, and a latency benchmark with it on
 * measures the delayed-ACK timer rather than the server.
 */
export function listenNet(args: ServerArgs, name: string, onConnection: (socket: Socket) => void): Server {
  const server: Server = args.transport === 'tls'
    ? createTlsServer({ key: args.key, cert: args.cert, noDelay: true }, onConnection)
    : createNetServer({ noDelay: true }, onConnection);
  server.on('error', (error) => {
    process.stderr.write(`${name}: ${error.message}\n`);
    process.exit(1);
  });
  if (args.transport === 'unix') server.listen({ path: args.path, backlog: 4096 }, announceReady);
  else server.listen({ port: args.port, host: args.host, backlog: 4096 }, announceReady);
  return server;
}
