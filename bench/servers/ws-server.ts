// Peer: the `ws` package, text frames on path "/", broadcast by looping over wss.clients as
// its README shows.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { announceReady, parseServerArgs } from './server-args.js';

const args = parseServerArgs(process.argv.slice(2), ['ws', 'wss']);
const http: Server = args.transport === 'wss' ? createHttpsServer({ key: args.key, cert: args.cert }) : createHttpServer();
const wss = new WebSocketServer({ server: http, path: '/', perMessageDeflate: false });

wss.on('connection', (socket) => {
  socket.on('error', () => socket.terminate());
  socket.on('message', (data: RawData, isBinary: boolean) => {
    const bytes = data as Buffer;
    if (bytes[0] === 0x42) {
      wss.clients.forEach((client) => {
        if (client.readyState === WebSocket.OPEN) client.send(bytes, { binary: isBinary });
      });
    } else {
      socket.send(bytes, { binary: isBinary });
    }
  });
});

http.on('error', (error) => {
  process.stderr.write(`ws-server: ${error.message}\n`);
  process.exit(1);
});
http.listen({ port: args.port, host: args.host, backlog: 4096 }, announceReady);
