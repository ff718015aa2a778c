// Peer: uWebSockets.js (v20.30), WebSocket on "/", broadcast by publishing to a topic every
// connection subscribes to. This uWS version has no raw TCP server, so it runs on ws/wss only.
import { createRequire } from 'node:module';
import type * as UWS from '@trufflesuite/uws-js-unofficial';
import { announceReady, parseServerArgs } from './server-args.js';

const require = createRequire(import.meta.url);
const uWS = require('@trufflesuite/uws-js-unofficial') as typeof UWS;

const args = parseServerArgs(process.argv.slice(2), ['ws', 'wss']);
const app = args.transport === 'wss'
  ? uWS.SSLApp({ key_file_name: args.keyPath ?? '', cert_file_name: args.certPath ?? '' })
  : uWS.App();

app.ws('/', {
  compression: uWS.DISABLED,
  maxPayloadLength: 16 * 1024 * 1024,
  // uWS drops messages to a connection past this much backlog; 1 MiB matches Switchboard's
  // default maxSendBufferSize, so a slow reader is treated alike.
  maxBackpressure: 1024 * 1024,
  idleTimeout: 0,
  open: (ws) => {
    ws.subscribe('all');
  },
  message: (ws, message, isBinary) => {
    if (new Uint8Array(message, 0, 1)[0] === 0x42) app.publish('all', message, isBinary);
    else ws.send(message, isBinary);
  },
});

app.listen(args.host, args.port, (token) => {
  if (!token) {
    process.stderr.write(`uws-server: cannot listen on ${args.host}:${args.port}\n`);
    process.exit(1);
  }
  announceReady();
});
