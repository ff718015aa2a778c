import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ECHO_APP, gone, run, scratch, writeApp } from './command.js';

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
    const badRedis = await run(['start', 'app.js', '--redis', 'http://127.0.0.1:6379'], dir);
    assert.equal(badRedis.code, 2);
    assert.match(badRedis.stderr, /--redis must be a redis:\/\/ or rediss:\/\/ URL/);
    const prefixAlone = await run(['run', 'app.js', '--redis-prefix', 'x:'], dir);
    assert.equal(prefixAlone.code, 2);
    assert.match(prefixAlone.stderr, /--redis-prefix needs --redis URL/);
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

  it('a pid file naming a live process with no control socket: status cannot reach it, exit 1', async (t) => {
    const { dir, remove } = scratch();
    t.after(remove);
    // This test's own process: alive, and no control socket beside the pid file.
    writeFileSync(join(dir, 'switchboard.pid'), `${process.pid}\n`);
    const status = await run(['status'], dir);
    assert.equal(status.code, 1);
    assert.match(status.stderr, /cannot reach the control socket .*switchboard\.sock/);
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
