// Type-level tests: this file is compiled by `npm run build` (the first half of `npm test`), and
// every `@ts-expect-error` below must meet an error, or the build fails. Nothing here runs.
import {
  Client,
  JsonCodec,
  JsonMessageCodec,
  LengthFieldCodec,
  LineCodec,
  Registry,
  Server,
  isMessageOf,
  usesCodec,
  type Codec,
  type Connection,
  type DecodedBy,
  type EncodedBy,
} from '../../src/index.js';
import { SwitchboardClient, type BrowserMessageCodec } from '../../src/browser/switchboard-client.js';

interface Packet {
  kind: 'reading' | 'command';
  body: Buffer;
}
declare const packetCodec: Codec<Packet>;
interface Device {
  deviceId?: string;
  firmware?: number;
}

export function serverMessagesFollowTheCodec(): void {
  const server = new Server({ endpoints: [{ transport: 'tcp', port: 0 }], codec: packetCodec });
  server.on('message', ({ connection, message }) => {
    const kind: 'reading' | 'command' = message.kind;
    connection.send({ kind, body: message.body });
    // @ts-expect-error: a binary-codec connection does not take text
    connection.send('text');
    // @ts-expect-error: nor a half-made packet
    connection.send({ kind: 'reading' });
    // @ts-expect-error: a Packet has no `text`
    void message.text;
  });
  // @ts-expect-error: the goodbye is a Packet too
  void server.stop({ finalMessage: 'bye' });
  void server.stop({ finalMessageFor: (connection) => (connection.endpoint === 'x' ? { kind: 'command', body: Buffer.alloc(0) } : undefined) });
  const port: number = server.port();
  void port;
}

export function lineAndLengthCodecsTypeBothDirections(): void {
  const lines = new Server({ endpoints: [{ transport: 'tcp', port: 0 }], codec: new LineCodec() });
  lines.on('message', ({ connection, message }) => {
    connection.send(message.toUpperCase());
    // @ts-expect-error: a line codec encodes text and bytes, not numbers
    connection.send(42);
  });
  const frames = new Server({ endpoints: [{ transport: 'tcp', port: 0 }], codec: new LengthFieldCodec() });
  frames.on('message', ({ message }) => {
    const bytes: Buffer = message;
    void bytes;
    // @ts-expect-error: a length-field codec decodes Buffers, not strings
    message.toUpperCase();
  });
}

export async function clientsAndIterationAreTyped(): Promise<void> {
  const client = new Client({ transport: 'tcp', host: '127.0.0.1', port: 1, codec: packetCodec });
  client.send({ kind: 'command', body: Buffer.alloc(1) });
  // @ts-expect-error: the client's codec is binary
  client.send('text');
  client.on('message', ({ message }) => void message.body);
  const connection = await client.connect();
  for await (const message of connection) {
    const kind: Packet['kind'] = message.kind;
    void kind;
  }
  const dashboards = new Client({ transport: 'ws', url: 'ws://127.0.0.1:1/', messageCodec: new JsonMessageCodec<{ op: 'ping' }>() });
  dashboards.send({ op: 'ping' });
  // @ts-expect-error: not an op this JSON codec was typed with
  dashboards.send({ op: 'pong' });
  // @ts-expect-error: a WebSocket client takes a messageCodec, never a stream codec
  void new Client({ transport: 'ws', url: 'ws://127.0.0.1:1/', codec: new LengthFieldCodec() });
}

export async function theRegistryTakesTheServersTypes(): Promise<void> {
  const server = new Server<Packet, Packet, Device>({ endpoints: [{ transport: 'tcp', port: 0 }], codec: packetCodec });
  const registry = new Registry(server);
  await registry.sendToGroup('sensors', { kind: 'command', body: Buffer.alloc(0) });
  // @ts-expect-error: a JSON-ish message to a binary server's group
  await registry.sendToGroup('sensors', { hello: 'world' });
  // @ts-expect-error: nor to a user
  await registry.sendByFlag('alice', 'hi');
  await registry.bind('id', 'alice', { exclusive: true, finalMessage: { kind: 'command', body: Buffer.alloc(0) } });
  const context = await registry.context('id');
  void context?.deviceId;
  // @ts-expect-error: not a field of the typed context
  await registry.updateContext('id', { colour: 'red' });
  server.on('establish', ({ connection }) => {
    connection.context.deviceId = 'd-1';
    // @ts-expect-error: firmware is a number
    connection.context.firmware = 'v2';
  });
}

export function untypedStaysPermissive(connection: Connection, json: Server<unknown>): void {
  connection.send('anything');
  connection.send({ any: 'thing' });
  json.on('message', ({ message }) => void message);
  const fromJson: DecodedBy<JsonCodec<{ a: 1 }>> = { a: 1 };
  const toLines: EncodedBy<LineCodec> = 'text';
  void fromJson;
  void toLines;
}

export function internalsAreNotMembers(server: Server, client: Client, connection: Connection): void {
  // @ts-expect-error: the owner hooks are module-private symbols, not methods
  server.relay('message', {});
  // @ts-expect-error: likewise on a client
  client.connectionClosed(connection);
  // @ts-expect-error: and a connection has no relay
  connection.relay('close', {});
}

interface Dashboard {
  op: 'subscribe';
  topic: string;
}
declare const dashboardCodec: JsonMessageCodec<Dashboard>;

export function oneHandlerForEndpointsOfDifferentCodecs(): void {
  // Endpoints with their own codecs: the server's own types stay unknown, the guards narrow.
  const server = new Server({
    endpoints: [
      { name: 'devices', transport: 'tcp', port: 0, codec: packetCodec },
      { name: 'dashboards', transport: 'ws', port: 0, messageCodec: dashboardCodec },
    ],
  });
  server.on('message', (event) => {
    if (isMessageOf(event, packetCodec)) {
      const kind: Packet['kind'] = event.message.kind;
      event.connection.send({ kind, body: Buffer.alloc(0) });
      // @ts-expect-error: a device connection does not take a dashboard message
      event.connection.send({ op: 'subscribe', topic: 't' });
    } else if (isMessageOf(event, dashboardCodec)) {
      const topic: string = event.message.topic;
      event.connection.send({ op: 'subscribe', topic });
      // @ts-expect-error: a Dashboard message has no body
      void event.message.body;
    }
  });
  server.on('establish', ({ connection }) => {
    if (usesCodec(connection, packetCodec)) {
      // @ts-expect-error: text to a device
      connection.send('hello');
    }
  });
}

export function theBrowserClientIsTypedToo(): void {
  const chat = new SwitchboardClient<{ text: string }>('wss://example.test/chat', { codec: 'json' });
  chat.send({ text: 'hi' });
  // @ts-expect-error: not a chat message
  chat.send(42);
  chat.on('message', ({ message }) => void message.text.length);
  const codec: BrowserMessageCodec<number, number> = { encode: (n) => String(n), decode: (data) => Number(data) };
  const counter = new SwitchboardClient('wss://example.test/count', { codec });
  counter.on('message', ({ message }) => void message.toFixed(0));
  // @ts-expect-error: this codec encodes numbers
  counter.send('one');
}
