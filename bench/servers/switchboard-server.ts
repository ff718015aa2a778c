// Switchboard's bench server: DESIGN.md's benchmark protocol on any transport, written the way
// a user would write it with the public API: echo with connection.send, broadcast to a group
// every connection joins, through the registry (encoded once, written to every member, coalesced
// per turn).
import { LengthFieldCodec, Registry, Server, type EndpointOptions } from '../../src/index.js';
import { announceReady, parseServerArgs } from './server-args.js';

const args = parseServerArgs(process.argv.slice(2), ['tcp', 'tls', 'unix', 'ws', 'wss', 'udp']);
const BROADCAST = 0x42; // 'B'

function endpointFor(): EndpointOptions {
  switch (args.transport) {
    case 'unix':
      return { transport: 'unix', path: args.path, backlog: 4096 };
    case 'tls':
      return { transport: 'tls', host: args.host, port: args.port, backlog: 4096, tls: { key: args.key!, cert: args.cert! } };
    case 'ws':
      return { transport: 'ws', host: args.host, port: args.port, path: '/', backlog: 4096 };
    case 'wss':
      return { transport: 'wss', host: args.host, port: args.port, path: '/', backlog: 4096, tls: { key: args.key!, cert: args.cert! } };
    case 'udp':
      // Each peer a session (a Connection), each datagram one length-prefixed frame.
      return { transport: 'udp', host: args.host, port: args.port, sessions: true, codec: new LengthFieldCodec() };
    default:
      return { transport: 'tcp', host: args.host, port: args.port, backlog: 4096 };
  }
}

const server = new Server({ endpoints: [endpointFor()], limits: { maxSendBufferSize: 64 * 1024 * 1024 } });
const registry = new Registry(server);
server.on('establish', ({ connection }) => void registry.join(connection, 'all'));

// Over TCP, TLS and Unix a message is a Buffer; over WebSocket a text frame arrives as a string
// and is sent back as one.
server.on('message', ({ connection, message }) => {
  const first = typeof message === 'string' ? message.charCodeAt(0) : (message as Buffer)[0];
  if (first === BROADCAST) void registry.sendToGroup('all', message);
  else connection.send(message);
});

server.start().then(announceReady, (error: Error) => {
  process.stderr.write(`switchboard-server: ${error.message}\n`);
  process.exit(1);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void server.stop({ timeout: 1000 }).then(() => process.exit(0)));
}
