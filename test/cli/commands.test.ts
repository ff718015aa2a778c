import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { alive, Command, ECHO_APP, gone, PATIENCE, run, scratch, writeApp } from './command.js';

describe('switchboard command: help and errors', () => {
  it('--help lists the commands, each command has its own --help, an unknown one exits 2', async (t) => {
    const { dir, remove } = scratch();
    t.after(remove);
    const main = await run(['--help'], dir);
    assert.equal(main.code, 0);
    for (const command of ['start', 'stop', 'reload', 'restart', 'status', 'connect']) assert.match(main.stdout, new RegExp(`switchboard ${command}`));
    for (const command of ['start', 'run', 'stop', 'reload', 'restart', 'status', 'connect']) {
      const help = await run([command, '--help'], dir);
      assert.equal(help.code, 0, command);
      assert.match(help.stdout, new RegExp(`^Usage: switchboard ${command}`), command);
    }
    const unknown = await run(['frobnicate'], dir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command "frobnicate"/);
    const badOption = await run(['start', 'app.js', '--wrokers', '2'], dir);
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /wrokers/);
    const badValue = await run(['start', 'app.js', '--workers', 'many'], dir);
    assert.equal(badValue.code, 2);
    assert.match(badValue.stderr, /--workers must be a whole number >= 1, got "many"/);
  });

  it('an app file that does not exist, or exports nothing usable, fails the start with what was expected', async (t) => {
    const { dir, remove } = scratch();
    t.after(remove);
    const missing = await run(['start', 'nowhere.js'], dir);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /app file nowhere\.js does not exist/);
    writeFileSync(join(dir, 'empty.mjs'), 'export const x = 1;\n');
    const empty = await run(['start', 'empty.mjs', '--workers', '1'], dir);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /must have a default export that is a function \(context\) => Server; it exports x/);
    writeFileSync(join(dir, 'not-a-server.mjs'), 'export default () => 42;\n');
    const notServer = await run(['run', 'not-a-server.mjs'], dir);
    assert.equal(notServer.code, 1);
    assert.match(notServer.stderr, /must return a Server \(not started\), it returned number/);
    assert.equal(existsSync(join(dir, 'switchboard.pid')), false, 'no pid file left behind');
  });

  it('stop, status, reload and restart with nothing running exit 3; a stale pid file is detected and removed', async (t) => {
    const { dir, remove } = scratch();
    t.after(remove);
    for (const command of ['stop', 'status', 'reload', 'restart']) {
      const result = await run([command], dir);
      assert.equal(result.code, 3, command);
      assert.match(result.stderr, /not running \(no pid file at .*switchboard\.pid\)/, command);
    }
    const dead = spawnSync(process.execPath, ['-e', '']).pid!; // a pid that no longer runs
    writeFileSync(join(dir, 'switchboard.pid'), `${dead}\n`);
    const status = await run(['status'], dir);
    assert.equal(status.code, 3);
    assert.match(status.stderr, new RegExp(`pid ${dead} in .* is gone \\(stale pid file removed\\)`));
    assert.equal(existsSync(join(dir, 'switchboard.pid')), false);
  });

  it('a port in use fails the start with exit 1 and leaves no worker behind', async (t) => {
    const { dir, remove } = scratch();
    t.after(remove);
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    t.after(() => blocker.close());
    const port = (blocker.address() as { port: number }).port;
    const pids = join(dir, 'pids');
    writeApp(dir, 'app.mjs', `import { appendFileSync } from 'node:fs';\nappendFileSync(${JSON.stringify(pids)}, process.pid + '\\n');\n${ECHO_APP}`);
    const result = await run(['start', 'app.mjs', '--workers', '2'], dir, { PORT: String(port) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`address in use.*${port}`));
    const workers = readFileSync(pids, 'utf8').trim().split('\n').map(Number);
    assert.ok(workers.length >= 1);
    for (const pid of workers) await gone(pid);
    assert.equal(existsSync(join(dir, 'switchboard.pid')), false);
  });
});

describe('switchboard command: a daemon', () => {
  it('start --daemon, status (text and --json), reload (refusing a second one), restart, stop', { timeout: 4 * PATIENCE }, async (t) => {
    const { dir, remove } = scratch();
    const cleanup: number[] = [];
    t.after(() => {
      for (const pid of cleanup) if (alive(pid)) process.kill(pid, 'SIGKILL');
      remove();
    });
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
    assert.equal(readFileSync(join(dir, 'app.pid'), 'utf8').trim(), String(pid));
    assert.ok(existsSync(join(dir, 'app.sock')), 'the control socket sits beside the pid file');

    const again = await run(['start', 'app.mjs', '--daemon', '--pid-file', 'app.pid'], dir);
    assert.equal(again.code, 4);
    assert.match(again.stderr, new RegExp(`already running \\(pid ${pid}`));

    const client = new LineClient(Number(portText));
    t.after(() => client.destroy());
    client.send('hi');
    assert.match(await client.line(PATIENCE), /^[01] 1 hi$/);

    const text = await run(['status', '--pid-file', 'app.pid'], dir);
    assert.equal(text.code, 0);
    assert.match(text.stdout, new RegExp(`switchboard running: pid ${pid}, up \\d+ s, 2 workers`));
    assert.match(text.stdout, /worker\s+pid\s+state\s+up\s+connections\s+memory\s+msg\/s\s+node/);
    const json = JSON.parse((await run(['status', '--json', '--pid-file', 'app.pid'], dir)).stdout);
    assert.equal(json.pid, pid);
    assert.equal(json.workers.length, 2);
    assert.deepEqual(json.workers.map((w: { generation: number }) => w.generation), [1, 1]);
    assert.equal(json.workers.reduce((sum: number, w: { stats: { connections: number } }) => sum + w.stats.connections, 0), 1);
    for (const worker of json.workers) {
      assert.ok(alive(worker.pid));
      assert.ok(worker.stats.memory > 0);
    }

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

    writeFileSync(delay, '0');
    const restarted = await run(['restart', '--pid-file', 'app.pid'], dir);
    assert.equal(restarted.code, 0, restarted.stderr);
    const newPid = Number(restarted.stdout.match(/started as a daemon, pid (\d+)/)?.[1]);
    cleanup.push(newPid);
    assert.notEqual(newPid, pid);
    await gone(pid);

    const stopped = await run(['stop', '--pid-file', 'app.pid'], dir);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`stopped \\(pid ${newPid}\\)`));
    assert.equal(alive(newPid), false);
    assert.equal(existsSync(join(dir, 'app.pid')), false);
    assert.match(readFileSync(join(dir, 'app.log'), 'utf8'), /reload finished/);
  });

  it('a start over a stale pid file replaces it', async (t) => {
    const { dir, remove } = scratch();
    const cleanup: number[] = [];
    t.after(() => {
      for (const pid of cleanup) if (alive(pid)) process.kill(pid, 'SIGKILL');
      remove();
    });
    writeApp(dir, 'app.mjs', ECHO_APP);
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    writeFileSync(join(dir, 'switchboard.pid'), `${dead}\n`);
    const started = await run(['start', 'app.mjs', '--workers', '1', '--daemon'], dir);
    assert.equal(started.code, 0, started.stderr);
    const pid = Number(started.stdout.match(/pid (\d+)/)?.[1]);
    cleanup.push(pid);
    assert.match(readFileSync(join(dir, 'switchboard.log'), 'utf8'), new RegExp(`replaced a stale pid file \\(pid ${dead} is not running\\)`));
    assert.equal((await run(['stop'], dir)).code, 0);
  });
});

describe('switchboard command: a config file', () => {
  it('start --config reads the options from JSON, the command line wins; a bad key exits 2', { timeout: 2 * PATIENCE }, async (t) => {
    const { dir, remove } = scratch();
    const cleanup: number[] = [];
    t.after(() => {
      for (const pid of cleanup) if (alive(pid)) process.kill(pid, 'SIGKILL');
      remove();
    });
    writeApp(dir, 'app.mjs', ECHO_APP);
    writeFileSync(join(dir, 'sb.json'), JSON.stringify({ workers: 2, 'pid-file': 'c.pid', daemon: true }));
    const started = await run(['start', 'app.mjs', '--config', 'sb.json', '--workers', '1'], dir);
    assert.equal(started.code, 0, started.stderr);
    cleanup.push(Number(started.stdout.match(/pid (\d+)/)?.[1]));
    const status = JSON.parse((await run(['status', '--json', '--pid-file', 'c.pid'], dir)).stdout);
    assert.equal(status.workers.length, 1);
    assert.equal((await run(['stop', '--pid-file', 'c.pid'], dir)).code, 0);

    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ wrokers: 2 }));
    const bad = await run(['start', 'app.mjs', '--config', 'bad.json'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option "wrokers" in the config file bad\.json/);
  });
});
