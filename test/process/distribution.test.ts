import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chooseDistribution, reusePortSupported, Supervisor, SwitchboardError } from '../../src/index.js';
import { nodeSupportsReusePort } from '../../src/transport/stream-listener.js';
import { listenOnOwnPorts, ownPortOptions } from '../../src/transport/reuse-port.js';
import { ECHO_APP, run, scratch, writeApp } from '../cli/command.js';
import { start, workers } from './worker-helpers.js';

const supported = await reusePortSupported();

describe('workers: how connections are distributed (round robin or SO_REUSEPORT)', () => {
  it('auto takes reuse-port where the running Node has it, round robin elsewhere; forced reuse-port without it is refused', () => {
    assert.equal(chooseDistribution('auto', true), 'reuse-port');
    assert.equal(chooseDistribution('auto', false), 'round-robin');
    assert.equal(chooseDistribution('round-robin', true), 'round-robin');
    assert.equal(chooseDistribution('round-robin', false), 'round-robin');
    assert.equal(chooseDistribution('reuse-port', true), 'reuse-port');
    assert.throws(
      () => chooseDistribution('reuse-port', false),
      (error: unknown) => error instanceof SwitchboardError && error.code === 'ERR_UNSUPPORTED' && /reuse-port needs SO_REUSEPORT/.test(error.message),
    );
  });

  it('the feature probe (two listeners on one port) agrees with the Node versions that added the option', { skip: process.platform !== 'linux' && 'SO_REUSEPORT support differs by OS' }, () => {
    assert.equal(supported, nodeSupportsReusePort());
  });

  it('a worker in the reuse-port distribution binds fixed ports itself; port 0 stays on the shared handle', (t) => {
    t.after(() => listenOnOwnPorts(false));
    assert.deepEqual(ownPortOptions(7000), {});
    listenOnOwnPorts(true);
    assert.deepEqual(ownPortOptions(7000), { reusePort: true, exclusive: true });
    assert.deepEqual(ownPortOptions(0), {});
  });

  it('a Supervisor forced to reuse-port where Node has none rejects start() with ERR_UNSUPPORTED and forks nothing', { skip: supported && 'this Node has SO_REUSEPORT' }, async (t) => {
    const { dir, remove } = scratch();
    t.after(remove);
    const supervisor = new Supervisor({ app: writeApp(dir, 'app.mjs', ECHO_APP), workers: 2, distribution: 'reuse-port' });
    t.after(() => supervisor.stop());
    const forks: number[] = [];
    supervisor.on('workerStart', (event) => forks.push(event.workerId));
    await assert.rejects(supervisor.start(), { code: 'ERR_UNSUPPORTED' });
    assert.equal(supervisor.state, 'idle');
    assert.deepEqual(forks, []);
    assert.throws(() => new Supervisor({ app: join(dir, 'app.mjs'), distribution: 'kernel' as never }), { code: 'ERR_INVALID_OPTION' });
  });

  it('switchboard start --distribution: a bad value exits 2, reuse-port without SO_REUSEPORT exits 1 with why and leaves no pid file', { skip: supported && 'this Node has SO_REUSEPORT' }, async (t) => {
    const { dir, remove } = scratch();
    t.after(remove);
    writeApp(dir, 'app.mjs', ECHO_APP);
    const bad = await run(['start', 'app.mjs', '--distribution', 'kernel'], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--distribution must be one of auto, round-robin, reuse-port, got "kernel"/);
    const forced = await run(['start', 'app.mjs', '--workers', '2', '--distribution', 'reuse-port'], dir);
    assert.equal(forced.code, 1, forced.stderr);
    assert.match(forced.stderr, /reuse-port needs SO_REUSEPORT in net\.Server \(Node\.js 22\.12\+ or 23\.1\+/);
    assert.equal(existsSync(join(dir, 'switchboard.pid')), false);
  });

  it('status tells which distribution auto chose (round robin on a Node without SO_REUSEPORT)', async (t) => {
    const { dir } = await start(t, ECHO_APP, ['--workers', '2']);
    const status = await run(['status', '--json'], dir);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).distribution, supported ? 'reuse-port' : 'round-robin');
    assert.equal((await workers(dir)).length, 2);
  });
});
