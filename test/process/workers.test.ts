import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/index.js';
import { LineClient } from '../helpers/line-client.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ECHO_APP, gone, PATIENCE, scratch } from '../cli/command.js';
import { hello, settled, start, workerPid, workers } from './worker-helpers.js';

describe('workers', () => {
  it('connections are spread over the workers (round robin), each serving every endpoint', async (t) => {
    const { port } = await start(t, ECHO_APP, ['--workers', '2']);
    const seen = new Set<number>();
    const clients: LineClient[] = [];
    t.after(() => clients.forEach((c) => c.destroy()));
    for (let i = 0; i < 4; i++) {
      const { client, worker } = await hello(port);
      clients.push(client);
      seen.add(worker);
    }
    assert.deepEqual([...seen].sort(), [0, 1]);
  });

  it('SIGKILL of a worker during 200 connections of traffic: its connections close, the others go on being served, it is replaced', { timeout: 3 * PATIENCE }, async (t) => {
    const { dir, port } = await start(t, ECHO_APP, ['--workers', '2']);
    const clients = await Promise.all(Array.from({ length: 200 }, () => hello(port)));
    t.after(() => clients.forEach(({ client }) => client.destroy()));
    const victims = clients.filter((c) => c.worker === 0);
    const survivors = clients.filter((c) => c.worker === 1);
    assert.ok(victims.length > 0 && survivors.length > 0);
    let killed = false;
    const afterKill = new Map<LineClient, number>();
    const traffic = clients.map(async ({ client }) => {
      for (let n = 0; !killed || (afterKill.get(client) ?? 0) < 3; n++) {
        client.send(`m${n}`);
        try {
          assert.match(await client.line(PATIENCE), new RegExp(` m${n}$`));
        } catch (error) {
          if (client.closed) return 'closed';
          throw error;
        }
        if (killed) afterKill.set(client, (afterKill.get(client) ?? 0) + 1);
      }
      return 'served';
    });
    const victim = await workerPid(dir, 0);
    process.kill(victim, 'SIGKILL');
    killed = true;
    const outcomes = await Promise.all(traffic);
    assert.deepEqual(outcomes.filter((o, i) => clients[i]!.worker === 1 && o !== 'served'), []);
    assert.deepEqual(outcomes.filter((o, i) => clients[i]!.worker === 0 && o !== 'closed'), []);
    const rows = await settled(dir, [2, 1]);
    assert.notEqual(rows[0]!.pid, victim);
    assert.equal(rows[1]!.generation, 1, 'the other worker was untouched');
  });

  it('workers do not outlive a supervisor killed with SIGKILL: no orphan keeps the port, a pending task rejects', { timeout: 2 * PATIENCE }, async (t) => {
    const spot = scratch();
    t.after(spot.remove);
    const record = join(spot.dir, 'rejected');
    const app = `import { appendFileSync } from 'node:fs';
export default function app(context) {
  const server = new sb.Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: Number(process.env.PORT), codec: new sb.LineCodec() }] });
  server.on('message', ({ connection }) => {
    context.task('hang').catch((error) => appendFileSync(${JSON.stringify(record)}, error.code + '\\n'));
    connection.send('asked');
  });
  return server;
}
export const tasks = { hang: () => new Promise(() => undefined) };`;
    const { dir, command, port } = await start(t, app, ['--workers', '2', '--task-workers', '1']);
    const pids = (await workers(dir)).map((w) => w.pid);
    const client = new LineClient(port);
    t.after(() => client.destroy());
    client.send('go');
    assert.equal(await client.line(PATIENCE), 'asked'); // the task request is on its way to the supervisor
    command.kill('SIGKILL');
    for (const pid of pids) await gone(pid);
    await client.ended();
    assert.equal(readFileSync(record, 'utf8'), `${ErrorCode.SupervisorGone}\n`);
  });
});
