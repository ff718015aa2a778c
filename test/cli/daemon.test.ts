import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { until } from '../helpers/wait.js';
import { alive, daemonScratch, ECHO_APP, gone, PATIENCE, run, writeApp } from './command.js';

describe('switchboard command: a daemon', () => {
  it('start --daemon, a second start refused, status (text and --json), restart, stop', { timeout: 3 * PATIENCE }, async (t) => {
    const { dir, daemons: cleanup } = daemonScratch(t);
    writeApp(dir, 'app.mjs', ECHO_APP);
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
    // Messages received, whether their connection is still open or has closed.
    const left = new LineClient(Number(portText));
    for (const line of ['a', 'b', 'c']) left.send(line);
    for (let i = 0; i < 3; i++) await left.line(PATIENCE);
    left.destroy();
    await until(async () => {
      const now = JSON.parse((await run(['status', '--json', '--pid-file', 'app.pid'], dir)).stdout);
      return now.workers.reduce((sum: number, w: { stats: { connections: number } }) => sum + w.stats.connections, 0) === 1;
    }, PATIENCE, 'the closed connection gone');
    const counted = JSON.parse((await run(['status', '--json', '--pid-file', 'app.pid'], dir)).stdout);
    assert.equal(counted.workers.reduce((sum: number, w: { stats: { messages: number } }) => sum + w.stats.messages, 0), 4);

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
    assert.match(readFileSync(join(dir, 'app.log'), 'utf8'), /stopped/);
  });

  it('a start over a stale pid file replaces it', async (t) => {
    const { dir, daemons: cleanup } = daemonScratch(t);
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
    const { dir, daemons: cleanup } = daemonScratch(t);
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
