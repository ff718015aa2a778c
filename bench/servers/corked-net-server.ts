// Peer: the best node:net server a user could write by hand in an afternoon (issue 11, DESIGN.md
// "Performance direction"): each socket is corked while a turn of the event loop lasts and uncorked
// once after it (setImmediate), and every frame is echoed or broadcast as a view of the bytes read,
// header included, never copied. Only a frame split across reads is joined. This is the floor
// Switchboard must be at or above on every TCP cell.
import type { Socket } from 'node:net';
import { listenNet, parseServerArgs } from './server-args.js';

const args = parseServerArgs(process.argv.slice(2), ['tcp', 'tls', 'unix']);
const clients = new Set<Socket>();
let corked: Socket[] = [];

function uncorkAll(): void {
  const list = corked;
  corked = [];
  for (const socket of list) socket.uncork();
}

function cork(socket: Socket): void {
  if (socket.writableCorked > 0) return;
  socket.cork();
  if (corked.push(socket) === 1) setImmediate(uncorkAll);
}

function onConnection(socket: Socket): void {
  clients.add(socket);
  let rest: Buffer | undefined;
  socket.on('data', (chunk: Buffer) => {
    const data = rest === undefined ? chunk : Buffer.concat([rest, chunk]);
    let at = 0;
    while (data.length - at >= 4) {
      const end = at + 4 + data.readUInt32BE(at);
      if (end > data.length) break;
      const frame = data.subarray(at, end);
      if (data[at + 4] === 0x42) {
        for (const client of clients) {
          cork(client);
          client.write(frame);
        }
      } else {
        cork(socket);
        socket.write(frame);
      }
      at = end;
    }
    rest = at === data.length ? undefined : data.subarray(at);
  });
  socket.on('close', () => clients.delete(socket));
  socket.on('error', () => socket.destroy());
}

listenNet(args, 'corked-net-server', onConnection);
