// `switchboard connect URL`: an interactive client for every transport, in place of nc and wscat
// (not every machine has them, and neither speaks a length-field codec).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Client, type ClientOptions } from '../client/client.js';
import type { Codec } from '../codec/codec.js';
import { JsonCodec } from '../codec/json-codec.js';
import { LengthFieldCodec } from '../codec/length-field-codec.js';
import { LineCodec } from '../codec/line-codec.js';
import { RawCodec } from '../codec/raw-codec.js';
import type { TcpTarget, TlsTarget, UnixTarget } from '../transport/dial.js';
import type { WebSocketTarget } from '../transport/websocket/websocket-dial.js';
import { integerArgument, parseCommand, stringArgument, usage } from './arguments.js';
import { ExitCode } from './exit-codes.js';
import { help } from './start-command.js';

/** How long, after the end of input, `connect` waits for the server to fall quiet before it closes. @default 500 ms */
const DEFAULT_LINGER = 500;

const CODECS = ['line', 'json', 'length', 'raw'] as const;
type CodecName = (typeof CODECS)[number];

export async function connectCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'connect',
    argv,
    { codec: { type: 'string' }, insecure: { type: 'boolean' }, ca: { type: 'string' }, linger: { type: 'string' } },
    { min: 1, max: 1, what: 'the URL to connect to (tcp://127.0.0.1:7000, ws://127.0.0.1:7001/chat, ...)' },
  );
  if (values.help) return help('connect');
  const linger = integerArgument('connect', 'linger', values.linger, 0, DEFAULT_LINGER);
  const codecName = stringArgument(values.codec) ?? 'line';
  if (!(CODECS as readonly string[]).includes(codecName)) throw usage('connect', `--codec must be one of ${CODECS.join(', ')}, got ${JSON.stringify(codecName)}`);
  const tls = { ...(values.insecure ? { rejectUnauthorized: false } : {}), ...(typeof values.ca === 'string' ? { ca: readFileSync(values.ca) } : {}) };
  const target = targetOf(positionals[0] as string, tls);
  // WebSocket frames its own messages (text in, text out); the other transports take the codec.
  const isWebSocket = target.transport === 'ws' || target.transport === 'wss';
  const client = new Client((isWebSocket ? target : { ...target, codec: codecOf(codecName as CodecName) }) as ClientOptions);
  let ended = false;
  let quiet: NodeJS.Timeout | undefined;
  let finish!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  // After the end of input, replies still on their way are printed until the server is quiet for `linger` ms (nc's -q).
  const closeWhenQuiet = (): void => {
    clearTimeout(quiet);
    quiet = setTimeout(() => void client.close().then(() => finish(ExitCode.Ok)), linger);
  };
  // Listening before connecting: a greeting can arrive with the end of the handshake, before connect() resolves.
  client.on('message', ({ message }) => {
    process.stdout.write(`${show(message)}\n`);
    if (ended) closeWhenQuiet();
  });
  client.on('close', ({ reason }) => {
    clearTimeout(quiet);
    if (!ended) process.stderr.write(`connection closed (${reason})\n`);
    void client.close().then(() => finish(ExitCode.Ok));
  });
  await client.connect();
  process.stderr.write(`connected to ${positionals[0]}; type lines to send, Ctrl-D to quit\n`);
  const input = createInterface({ input: process.stdin, terminal: false });
  input.on('line', (line) => {
    const message = messageOf(codecName as CodecName, line);
    if (message !== undefined) client.send(message);
  });
  input.on('close', () => {
    ended = true;
    closeWhenQuiet();
  });
  const code = await finished;
  // The server may have ended the session first: stop reading the terminal so that the process can exit.
  input.close();
  process.stdin.destroy();
  return code;
}

type TlsSettings = { rejectUnauthorized?: boolean; ca?: Buffer };

/** The client target of a URL: tcp://, tls://, unix:/path, ws://, wss://. */
function targetOf(text: string, tls: TlsSettings): TcpTarget | TlsTarget | UnixTarget | WebSocketTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usage('connect', `not a URL: ${JSON.stringify(text)} (tcp://HOST:PORT, tls://HOST:PORT, unix:/PATH, ws://HOST:PORT/PATH, wss://...)`);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port);
  switch (url.protocol) {
    case 'tcp:':
    case 'tls:':
      if (host === '' || !Number.isInteger(port) || port <= 0) throw usage('connect', `${text} needs a host and a port`);
      return url.protocol === 'tcp:' ? { transport: 'tcp', host, port } : { transport: 'tls', host, port, tls };
    case 'unix:':
      if (url.pathname === '') throw usage('connect', `${text} needs a socket path (unix:/run/app.sock)`);
      return { transport: 'unix', path: decodeURIComponent(url.pathname) };
    case 'ws:':
    case 'wss:':
      return { transport: url.protocol === 'ws:' ? 'ws' : 'wss', url: text, ...(url.protocol === 'wss:' ? { tls } : {}) };
    default:
      throw usage('connect', `unknown scheme ${url.protocol} (tcp, tls, unix, ws, wss)`);
  }
}

function codecOf(name: CodecName): Codec {
  switch (name) {
    case 'line':
      return new LineCodec();
    case 'json':
      return new JsonCodec();
    case 'length':
      return new LengthFieldCodec();
    case 'raw':
      return new RawCodec();
  }
}

/** A typed line as the codec's message; undefined (told on stderr) when it cannot be one. */
function messageOf(codec: CodecName, line: string): unknown {
  if (codec === 'line') return line;
  if (codec !== 'json') return Buffer.from(codec === 'raw' ? `${line}\n` : line);
  try {
    return JSON.parse(line);
  } catch (error) {
    process.stderr.write(`not sent: not JSON (${(error as Error).message})\n`);
    return undefined;
  }
}

function show(message: unknown): string {
  if (typeof message === 'string') return message;
  if (Buffer.isBuffer(message)) return message.toString('utf8').replace(/\n$/, '');
  return JSON.stringify(message);
}
