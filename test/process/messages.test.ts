import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { PATIENCE } from '../cli/command.js';
import { hello, start } from './worker-helpers.js';

describe('workers: messages and tasks across the supervisor', () => {
  it('sendMessage reaches one, some or all workers as a message event', async (t) => {
    const app = `
export default function app(context) {
  const server = new sb.Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: Number(process.env.PORT), codec: new sb.LineCodec() }] });
  context.on('message', ({ action, data, from }) => {
    for (const connection of server.connections()) connection.send(action + ' ' + data + ' from ' + from + ' to ' + context.workerId);
  });
  server.on('message', async ({ connection, message }) => {
    if (message === 'hello') return void connection.send(context.workerId + ' hello');
    const [to, text] = message.split(' ');
    const count = await context.sendMessage('note', text, to === 'all' ? undefined : [Number(to)]);
    connection.send('sent to ' + count);
  });
  return server;
}`;
    const { port } = await start(t, app, ['--workers', '2']);
    const on: LineClient[] = [];
    const all: LineClient[] = [];
    t.after(() => all.forEach((c) => c.destroy()));
    while (on[0] === undefined || on[1] === undefined) {
      const { client, worker } = await hello(port);
      all.push(client);
      if (on[worker] === undefined) on[worker] = client;
      else client.destroy();
    }
    const [zero, one] = on as [LineClient, LineClient];
    zero.send('all hi');
    const lines = [await zero.line(PATIENCE), await zero.line(PATIENCE)].sort();
    assert.deepEqual(lines, ['note hi from 0 to 0', 'sent to 2']);
    assert.equal(await one.line(PATIENCE), 'note hi from 0 to 1');
    one.send('0 psst');
    assert.equal(await zero.line(PATIENCE), 'note psst from 1 to 0');
    assert.equal(await one.line(PATIENCE), 'sent to 1');
  });

  it('a worker runs the app\'s tasks on the task workers: results, handler errors, a crash mid-task', { timeout: 2 * PATIENCE }, async (t) => {
    const app = `
export default function app(context) {
  const server = new sb.Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: Number(process.env.PORT), codec: new sb.LineCodec() }] });
  server.on('message', async ({ connection, message }) => {
    const [name, data] = message.split(' ');
    try {
      connection.send('ok ' + (await context.task(name, data, { timeout: 20000 })));
    } catch (error) {
      connection.send(error.code + ' ' + (error.cause?.message ?? ''));
    }
  });
  return server;
}
export const tasks = {
  upper: (text) => text.toUpperCase(),
  fail: (text) => { throw new Error('no ' + text); },
  crash: () => process.exit(1),
};`;
    const { port } = await start(t, app, ['--workers', '2', '--task-workers', '2']);
    const client = new LineClient(port);
    t.after(() => client.destroy());
    client.send('upper abc');
    assert.equal(await client.line(PATIENCE), 'ok ABC');
    client.send('fail xyz');
    assert.equal(await client.line(PATIENCE), 'ERR_TASK_FAILED no xyz');
    client.send('crash now');
    assert.match(await client.line(PATIENCE), /^ERR_TASK_WORKER_EXITED /);
    client.send('upper again');
    assert.equal(await client.line(PATIENCE), 'ok AGAIN');
    client.send('nope x');
    assert.equal(await client.line(PATIENCE), 'ERR_UNKNOWN_TASK ');
  });
});
