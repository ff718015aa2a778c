import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { LineClient } from '../helpers/line-client.js';
import { ECHO_APP, PATIENCE, run } from '../cli/command.js';
import { start, workers } from './worker-helpers.js';

/** ECHO_APP with a WebSocket endpoint beside the TCP one (both on free ports). */
const WS_APP = `
export default function app(context) {
  const codec = new sb.LineCodec();
  const server = new sb.Server({ endpoints: [
    { transport: 'tcp', host: '127.0.0.1', port: Number(process.env.PORT ?? 0), codec },
    { transport: 'ws', host: '127.0.0.1', port: 0 },
  ] });
  server.on('message', ({ connection, message }) => void connection.send(context.workerId + ' ' + context.generation + ' ' + message));
  return server;
}
`;

describe('workers: reload', () => {
  it('reload under traffic: every client gets its replies or the goodbye and reconnects; none hangs', { timeout: 3 * PATIENCE }, async (t) => {
    const { dir, port } = await start(t, ECHO_APP, ['--workers', '2']);
    let reloaded = false;
    let goodbyes = 0;
    const clients = Array.from({ length: 20 }, async (_, c) => {
      let replies = 0;
      let afterReload = 0;
      while (afterReload < 3) {
        const client = new LineClient(port);
        try {
          for (let n = 0; afterReload < 3; n++) {
            client.send(`c${c}n${n}`);
            const line = await client.line(PATIENCE);
            if (line === 'bye') {
              goodbyes++;
              await client.ended();
              break;
            }
            assert.match(line, new RegExp(`^[01] [12] c${c}n${n}$`));
            replies++;
            if (reloaded && line.split(' ')[1] === '2') afterReload++;
          }
        } catch (error) {
          // Closed without a goodbye would be a failure: only a connection that never got one may go silently.
          if (!client.closed) throw error;
          throw new Error(`client ${c} was closed without the goodbye`, { cause: error });
        } finally {
          client.destroy();
        }
      }
      return replies;
    });
    const reload = await run(['reload'], dir);
    assert.equal(reload.code, 0, reload.stderr);
    reloaded = true;
    const replies = await Promise.all(clients);
    assert.ok(replies.every((n) => n >= 3));
    assert.ok(goodbyes > 0, 'the old workers said goodbye');
    assert.deepEqual((await workers(dir)).map((w) => w.generation), [2, 2]);
    assert.ok(existsSync(join(dir, 'switchboard.pid')));
  });

  it('reload closes WebSocket connections with 1012 (Service Restart), a stop with 1001 (Going Away)', { timeout: 3 * PATIENCE }, async (t) => {
    const { dir, command } = await start(t, WS_APP, ['--workers', '2']);
    const [, wsPort] = await command.output(/ws:\/\/127\.0\.0\.1:(\d+)/);
    const open = async (): Promise<{ socket: WebSocket; closed: Promise<[number, string]> }> => {
      const socket = new WebSocket(`ws://127.0.0.1:${wsPort}/`);
      t.after(() => socket.terminate());
      const closed = new Promise<[number, string]>((resolve) => socket.once('close', (code, reason) => resolve([code, reason.toString()])));
      await new Promise((resolve, reject) => {
        socket.once('open', resolve);
        socket.once('error', reject);
      });
      // A round trip: the worker has the connection (and which generation serves it is known).
      socket.send('ping');
      const reply = await new Promise<string>((resolve) => socket.once('message', (data) => resolve(data.toString())));
      assert.match(reply, /^[01] [12] ping$/);
      return { socket, closed };
    };
    const before = await Promise.all(Array.from({ length: 4 }, open));
    const reload = await run(['reload'], dir);
    assert.equal(reload.code, 0, reload.stderr);
    for (const { closed } of before) assert.deepEqual(await closed, [1012, 'server restarting']);
    const after = await open().catch(async () => open());
    command.kill('SIGTERM');
    assert.deepEqual(await after.closed, [1001, 'server stopping']);
  });
});
