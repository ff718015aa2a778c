import assert from 'node:assert/strict';
import { once } from 'node:events';
import { it } from 'node:test';
import { ManualClock, Supervisor, type SupervisorExtension, type WorkerExitEvent, type WorkerPort, type WorkerReadyEvent } from '../../src/index.js';
import { ECHO_APP, PATIENCE, scratch, writeApp } from '../cli/command.js';

/** Records what the supervisor tells a hub, in order. */
class Recorder implements SupervisorExtension {
  readonly topic = 'test';
  readonly log: string[] = [];
  workerOnline(port: WorkerPort): void {
    this.log.push(`online ${port.workerId} g${port.generation} ${port.nodeId}`);
  }
  workerExit(port: WorkerPort, exit: { signal: string | null; expected: boolean }): void {
    this.log.push(`exit ${port.workerId} g${port.generation} ${exit.signal ?? 'code'} ${exit.expected ? 'expected' : 'crash'}`);
  }
}

it('a supervisor replaces a killed worker after a backoff that grows, and starts over once a worker was stable; hubs hear every fork and exit in order', { timeout: 2 * PATIENCE }, async (t) => {
  const { dir, remove } = scratch();
  const clock = new ManualClock(1_000_000);
  const hub = new Recorder();
  const supervisor = new Supervisor({ app: writeApp(dir, 'app.mjs', ECHO_APP), workers: 1, clock, stableAfter: 10_000, extensions: [hub], stopTimeout: 5000 });
  t.after(async () => {
    await supervisor.stop();
    remove();
  });
  await supervisor.start();
  const exits: WorkerExitEvent[] = [];
  supervisor.on('workerExit', (event) => exits.push(event));

  const killAndReplace = async (): Promise<number | undefined> => {
    const [before] = (await supervisor.status()).workers;
    const exited = once(supervisor, 'workerExit');
    process.kill(before!.pid, 'SIGKILL');
    const [event] = (await exited) as [WorkerExitEvent];
    assert.equal(event.signal, 'SIGKILL');
    assert.equal(event.expected, false);
    const ready = once(supervisor, 'workerReady');
    assert.equal((await supervisor.status()).workers[0]!.state, 'restarting', 'nothing is forked before the delay');
    clock.advance(event.restartIn ?? 0);
    const [started] = (await ready) as [WorkerReadyEvent];
    assert.equal(started.generation, before!.generation + 1);
    return event.restartIn;
  };

  assert.equal(await killAndReplace(), 100);
  assert.equal(await killAndReplace(), 200);
  assert.equal(await killAndReplace(), 400);
  clock.advance(10_000); // the worker has now lived long enough: its backoff starts over
  assert.equal(await killAndReplace(), 100);
  assert.equal(exits.length, 4);

  // The hub heard each exit before the replacement's fork, with ids never reused.
  const id = supervisor.id;
  assert.deepEqual(hub.log, [
    `online 0 g1 ${id}-w0-g1`,
    'exit 0 g1 SIGKILL crash',
    `online 0 g2 ${id}-w0-g2`,
    'exit 0 g2 SIGKILL crash',
    `online 0 g3 ${id}-w0-g3`,
    'exit 0 g3 SIGKILL crash',
    `online 0 g4 ${id}-w0-g4`,
    'exit 0 g4 SIGKILL crash',
    `online 0 g5 ${id}-w0-g5`,
  ]);
  await supervisor.stop();
  assert.equal(hub.log.at(-1), 'exit 0 g5 code expected');
  assert.equal(supervisor.state, 'stopped');
});
