// Peer: socket.io over its websocket transport only, no compression; event `echo` answers
// the sender, event `bcast` goes to everyone through a room every socket joins (room emit, as a
// socket.io chat or game does it).
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { Server } from 'socket.io';
import { announceReady, parseServerArgs } from './server-args.js';

const args = parseServerArgs(process.argv.slice(2), ['ws', 'wss']);
const http: HttpServer = args.transport === 'wss' ? createHttpsServer({ key: args.key, cert: args.cert }) : createHttpServer();
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false });

io.on('connection', (socket) => {
  void socket.join('all');
  socket.on('echo', (payload: string) => {
    socket.emit('echo', payload);
  });
  socket.on('bcast', (payload: string) => {
    io.to('all').emit('bcast', payload);
  });
});

http.on('error', (error) => {
  process.stderr.write(`socketio-server: ${error.message}\n`);
  process.exit(1);
});
http.listen({ port: args.port, host: args.host, backlog: 4096 }, announceReady);
