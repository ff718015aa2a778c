// Peer: a plain node:dgram server, as a user writes one in an afternoon: every datagram (one len
// frame of the benchmark protocol) is echoed, as it is, to its sender. UDP echo only.
import { createSocket } from 'node:dgram';
import { announceReady, parseServerArgs } from './server-args.js';

const args = parseServerArgs(process.argv.slice(2), ['udp']);
const socket = createSocket('udp4');
socket.on('message', (datagram, from) => socket.send(datagram, from.port, from.address));
socket.on('error', () => undefined); // a peer gone (ICMP) must not stop the bench
socket.bind(args.port, args.host, announceReady);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => socket.close(() => process.exit(0)));
}
