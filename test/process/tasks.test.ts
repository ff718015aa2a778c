import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, runApp, type SoloApp, type TaskError } from '../../src/index.js';
import { scratch, writeApp } from '../cli/command.js';

// The task workers of one process (`switchboard run`): the same pool the supervisor runs for its workers.
const APP = `
export default () => new sb.Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: 0 }] });
export const tasks = {
  add: ({ a, b }) => a + b,
  fail: () => { const e = new Error('bad input'); e.code = 'E_BAD'; throw e; },
  hang: () => new Promise(() => undefined),
  spin: (ms) => { const end = Date.now() + ms; while (Date.now() < end); return 'spun'; },
  crash: () => process.exit(3),
  wait: (ms) => new Promise((resolve) => setTimeout(() => resolve('waited'), ms)),
};`;

async function rejects(promise: Promise<unknown>, code: string): Promise<TaskError> {
  try {
    await promise;
  } catch (error) {
    assert.equal((error as TaskError).code, code, (error as Error).message);
    return error as TaskError;
  }
  assert.fail(`expected ${code}`);
}

describe('task workers', () => {
  const spot = scratch();
  let app: SoloApp;
  before(async () => {
    app = await runApp(writeApp(spot.dir, 'app.mjs', APP), { taskWorkers: 2, maxTaskQueue: 2 });
  });
  after(async () => {
    await app?.stop(1000);
    spot.remove();
  });

  it('resolve to the handler result', async () => {
    assert.equal(await app.context.task('add', { a: 2, b: 3 }), 5);
  });

  it('a handler that throws rejects with ERR_TASK_FAILED carrying its error', async () => {
    const error = await rejects(app.context.task('fail'), ErrorCode.TaskFailed);
    assert.equal(error.task, 'fail');
    assert.equal((error.cause as Error).message, 'bad input');
    assert.equal((error.cause as { code?: string }).code, 'E_BAD');
  });

  it('a timeout rejects with ERR_TASK_TIMEOUT, and the pool goes on', async () => {
    await rejects(app.context.task('hang', undefined, { timeout: 50 }), ErrorCode.TaskTimeout);
    assert.equal(await app.context.task('add', { a: 1, b: 1 }), 2);
  });

  it('a task worker that dies mid-task rejects that task only, and is replaced', async () => {
    const [crashed, other] = await Promise.allSettled([app.context.task('crash'), app.context.task('wait', 100)]);
    assert.equal(crashed.status, 'rejected');
    assert.equal((crashed as PromiseRejectedResult).reason.code, ErrorCode.TaskWorkerExited);
    assert.deepEqual(other, { status: 'fulfilled', value: 'waited' });
    assert.equal(await app.context.task('add', { a: 4, b: 4 }), 8);
  });

  it('a full queue rejects at once with ERR_TASK_QUEUE_FULL', async () => {
    // Two threads busy, two tasks waiting: the fifth is refused at once.
    const busy = [1, 2, 3, 4].map(() => app.context.task('wait', 300));
    await rejects(app.context.task('add', { a: 0, b: 0 }), ErrorCode.TaskQueueFull);
    assert.deepEqual(await Promise.all(busy), ['waited', 'waited', 'waited', 'waited']);
  });

  it('a CPU-heavy task does not stall the process that asked for it', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      assert.equal(await app.context.task('spin', 300), 'spun');
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks > 0, 'timers ran while the task spun on another thread');
  });

  it('an unknown task rejects with ERR_UNKNOWN_TASK; a bad timeout is refused up front', async () => {
    await rejects(app.context.task('nope'), ErrorCode.UnknownTask);
    await assert.rejects(app.context.task('add', {}, { timeout: -1 }), { code: ErrorCode.InvalidOption });
  });
});

describe('no task workers', () => {
  it('task() rejects with ERR_NO_TASK_WORKERS', async (t) => {
    const spot = scratch();
    const app = await runApp(writeApp(spot.dir, 'app.mjs', APP));
    t.after(async () => {
      await app.stop(1000);
      spot.remove();
    });
    await rejects(app.context.task('add', { a: 1, b: 2 }), ErrorCode.NoTaskWorkers);
    // sendMessage in one process: worker 0 of 1 hears itself.
    const heard = new Promise((resolve) => app.context.once('message', resolve));
    assert.equal(await app.context.sendMessage('ping', 7), 1);
    assert.deepEqual(await heard, { action: 'ping', data: 7, from: 0 });
    assert.equal(await app.context.sendMessage('ping', 7, [3]), 0);
  });
});
