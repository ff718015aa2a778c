import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { daemonScratch, Command, ECHO_APP, PATIENCE, run, writeApp } from './command.js';

describe('switchboard command: reload', () => {
  it('reload on a daemon: the port stays open, a second reload meanwhile is refused, old connections get the goodbye', { timeout: 3 * PATIENCE }, async (t) => {
    const { dir, daemons: cleanup } = daemonScratch(t);
    // A new generation takes a while to start (a file says how long), so that a reload can be caught running.
    const delay = join(dir, 'delay');
    writeFileSync(delay, '0');
    writeApp(
      dir,
      'app.mjs',
      `import { readFileSync } from 'node:fs';\nconst slow = Number(readFileSync(${JSON.stringify(delay)}, 'utf8'));\n` +
        ECHO_APP.replace('export default function app(context) {', 'export default async function app(context) {\n  await new Promise((r) => setTimeout(r, slow));'),
    );
    const started = await run(['start', 'app.mjs', '--workers', '2', '--daemon', '--pid-file', 'app.pid'], dir);
    assert.equal(started.code, 0, started.stderr);
    const [, pidText, portText] = started.stdout.match(/started as a daemon, pid (\d+), listening on tcp:\/\/127\.0\.0\.1:(\d+)/) ?? [];
    const pid = Number(pidText);
    cleanup.push(pid);
    const client = new LineClient(Number(portText));
    t.after(() => client.destroy());
    client.send('hi');
    assert.match(await client.line(PATIENCE), /^[01] 1 hi$/);

    // The first reload's new workers take 1.5 s to start; a second reload meanwhile is refused.
    writeFileSync(delay, '1500');
    const reload = new Command(['reload', '--pid-file', 'app.pid'], { cwd: dir });
    for (;;) {
      const now = JSON.parse((await run(['status', '--json', '--pid-file', 'app.pid'], dir)).stdout);
      if (now.reloading) break;
    }
    const refused = await run(['reload', '--pid-file', 'app.pid'], dir);
    assert.equal(refused.code, 5);
    assert.match(refused.stderr, /a reload is already running/);
    const reloaded = await reload.finished;
    assert.equal(reloaded.code, 0, reloaded.stderr);
    // The old connection got the goodbye when its worker went, or is on a worker not yet replaced... all are replaced now.
    assert.equal(await client.line(PATIENCE), 'bye');
    await client.ended();
    const after = JSON.parse((await run(['status', '--json', '--pid-file', 'app.pid'], dir)).stdout);
    assert.deepEqual(after.workers.map((w: { generation: number }) => w.generation), [2, 2]);
    const fresh = new LineClient(Number(portText)); // the port never closed
    t.after(() => fresh.destroy());
    fresh.send('again');
    assert.match(await fresh.line(PATIENCE), /^[01] 2 again$/);
    fresh.destroy();

    const stopped = await run(['stop', '--pid-file', 'app.pid'], dir);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(readFileSync(join(dir, 'app.log'), 'utf8'), /reload finished/);
  });
});

describe('switchboard command: reload --tasks-only', () => {
  it('replaces the task worker threads with the new code; the workers stay', { timeout: 2 * PATIENCE }, async (t) => {
    const { dir, daemons } = daemonScratch(t);
    const version = join(dir, 'version');
    writeFileSync(version, '1');
    writeApp(
      dir,
      'app.mjs',
      `import { readFileSync } from 'node:fs';
const version = readFileSync(${JSON.stringify(version)}, 'utf8'); // read when a task thread loads the app
export default function app(context) {
  const server = new sb.Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0, codec: new sb.LineCodec() }] });
  server.on('message', async ({ connection }) => connection.send('tasks v' + (await context.task('version'))));
  return server;
}
export const tasks = { version: () => version };`,
    );
    const started = await run(['start', 'app.mjs', '--workers', '1', '--task-workers', '1', '--daemon'], dir);
    assert.equal(started.code, 0, started.stderr);
    const [, pid, port] = started.stdout.match(/pid (\d+), listening on tcp:\/\/127\.0\.0\.1:(\d+)/) ?? [];
    daemons.push(Number(pid));
    const client = new LineClient(Number(port));
    t.after(() => client.destroy());
    client.send('?');
    assert.equal(await client.line(PATIENCE), 'tasks v1');
    writeFileSync(version, '2');
    const reload = await run(['reload', '--tasks-only'], dir);
    assert.equal(reload.code, 0, reload.stderr);
    assert.match(reload.stdout, /task workers reloaded/);
    client.send('?');
    assert.equal(await client.line(PATIENCE), 'tasks v2', 'the same connection, the same worker, new task code');
    const status = JSON.parse((await run(['status', '--json'], dir)).stdout);
    assert.deepEqual(status.workers.map((w: { generation: number }) => w.generation), [1]);
    assert.equal((await run(['stop'], dir)).code, 0);
  });
});
