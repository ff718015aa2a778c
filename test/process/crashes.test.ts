import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { ECHO_APP, PATIENCE, run, scratch } from '../cli/command.js';
import { settled, start, workerPid, workers } from './worker-helpers.js';

describe('workers: crashes, stalls and broken code', () => {
  it('a worker that keeps dying at start is restarted with a growing delay, not in a fork loop', { timeout: 3 * PATIENCE }, async (t) => {
    const spot = scratch();
    t.after(spot.remove);
    const marker = join(spot.dir, 'broken'); // the app refuses to start while this file exists
    const app = `import { existsSync } from 'node:fs';\n${ECHO_APP.replace(
      'export default function app(context) {',
      `export default function app(context) {\n  if (existsSync(${JSON.stringify(marker)})) throw new Error('the database is down');`,
    )}`;
    const { dir, command } = await start(t, app, ['--workers', '1']);
    writeFileSync(marker, '');
    process.kill(await workerPid(dir, 0), 'SIGKILL');
    await command.output(/could not start the app: the database is down[^]*replacing it in 400 ms/);
    const delays = [...command.stdout.matchAll(/replacing it in (\d+) ms/g)].map((m) => Number(m[1]));
    assert.deepEqual(delays.slice(0, 3), [100, 200, 400]);
    rmSync(marker);
    await settled(dir, [4]);
  });

  it('SIGTERM with stalled peers: stop accepting, goodbye, and exit by the stop deadline', { timeout: PATIENCE }, async (t) => {
    // Connections would wait 10 minutes for a peer that reads nothing; the stop deadline is 2 s.
    const app = `
export default function app() {
  const server = new sb.Server({ closeTimeout: 600000, endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: Number(process.env.PORT), codec: new sb.LineCodec({ maxFrameBytes: 1 << 20 }) }] });
  server.on('message', ({ connection }) => { for (let i = 0; i < 64; i++) connection.send('x'.repeat(65536)); });
  return server;
}
export const goodbye = 'bye';`;
    const { command, port } = await start(t, app, ['--workers', '2', '--stop-timeout', '2000']);
    const stalled = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const socket = connect(port, '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        socket.write('flood\n');
        socket.pause(); // reads nothing: the server's send buffer stays full
        return socket;
      }),
    );
    t.after(() => stalled.forEach((s) => s.destroy()));
    await new Promise((resolve) => setTimeout(resolve, 200)); // let the floods reach the stalled sockets
    command.kill('SIGTERM');
    const finished = await command.finished;
    assert.equal(finished.code, 0, finished.stderr);
    assert.match(finished.stdout, /stopped/);
    const probe = connect(port, '127.0.0.1');
    await new Promise((resolve) => probe.once('error', resolve)); // nothing listens any more
  });

  it('a reload of code that cannot start stops at the first new worker; the old workers keep serving', { timeout: 2 * PATIENCE }, async (t) => {
    const spot = scratch();
    t.after(spot.remove);
    const marker = join(spot.dir, 'broken');
    const app = `import { existsSync } from 'node:fs';\n${ECHO_APP.replace(
      'export default function app(context) {',
      `export default function app(context) {\n  if (existsSync(${JSON.stringify(marker)})) throw new Error('syntax of the new code');`,
    )}`;
    const { dir, port } = await start(t, app, ['--workers', '2']);
    const client = new LineClient(port);
    t.after(() => client.destroy());
    writeFileSync(marker, '');
    const reload = await run(['reload'], dir);
    assert.equal(reload.code, 1);
    assert.match(reload.stderr, /worker 0 could not start the app: syntax of the new code/);
    assert.deepEqual((await workers(dir)).map((w) => [w.generation, w.state]), [[1, 'ready'], [1, 'ready']]);
    client.send('still there?');
    assert.match(await client.line(PATIENCE), /^[01] 1 still there\?$/);
  });
});
