// One socket.io node of the cluster bench: socket.io over WebSocket only, on @socket.io/redis-adapter
// (ioredis clients), the way its docs set it up. Event `bcast` goes to every socket of the cluster
// through a room every socket joins, as the single-process bench server does. argv: port, redis URL, prefix.
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

const [portArg, url, prefix] = process.argv.slice(2);
const pub = new Redis(url!);
const sub = pub.duplicate();
const http = createServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false, adapter: createAdapter(pub, sub, { key: prefix! }) });
io.on('connection', (socket) => {
  void socket.join('all');
  socket.on('bcast', (payload: string) => {
    io.to('all').emit('bcast', payload);
  });
});
process.on('disconnect', () => process.exit(0));
http.listen({ port: Number(portArg), host: '127.0.0.1', backlog: 4096 }, () => process.send!({ ready: true }));
