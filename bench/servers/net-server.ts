// Peer: a hand-written node:net server, as a typical user writes one: decode the 4-byte
// big-endian length prefix by concatenating chunks, and one socket.write per message.
import type { Socket } from 'node:net';
import { listenNet, parseServerArgs } from './server-args.js';

const args = parseServerArgs(process.argv.slice(2), ['tcp', 'tls', 'unix']);
const clients = new Set<Socket>();

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

function onMessage(socket: Socket, payload: Buffer): void {
  const out = frame(payload);
  if (payload[0] === 0x42) {
    for (const client of clients) client.write(out);
  } else {
    socket.write(out);
  }
}

function onConnection(socket: Socket): void {
  clients.add(socket);
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (pending.length - offset >= 4) {
      const length = pending.readUInt32BE(offset);
      if (pending.length - offset - 4 < length) break;
      onMessage(socket, pending.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    pending = offset === pending.length ? Buffer.alloc(0) : pending.subarray(offset);
  });
  socket.on('close', () => clients.delete(socket));
  socket.on('error', () => socket.destroy());
}

listenNet(args, 'net-server', onConnection);
