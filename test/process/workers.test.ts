import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { Command, ECHO_APP, gone, PATIENCE, run, scratch, writeApp } from '../cli/command.js';

interface Started {
  dir: string;
  command: Command;
  port: number;
}

/** `switchboard start app.mjs --workers N ...` in the foreground, stopped (or killed) after the test. */
async function start(t: TestContext, app: string, args: string[], env: Record<string, string> = {}): Promise<Started> {
  const { dir, remove } = scratch();
  writeApp(dir, 'app.mjs', app);
  const command = new Command(['start', 'app.mjs', ...args], { cwd: dir, env: { PORT: '0', ...env } });
  t.after(async () => {
    command.kill('SIGTERM');
    const timer = setTimeout(() => command.kill('SIGKILL'), PATIENCE / 2);
    await command.finished;
    clearTimeout(timer);
    remove();
  });
  const [, port] = await command.output(/listening on tcp:\/\/127\.0\.0\.1:(\d+)/);
  return { dir, command, port: Number(port) };
}

interface WorkerRow {
  workerId: number;
  pid: number;
  generation: number;
  state: string;
  stats?: { connections: number };
}

async function workers(dir: string): Promise<WorkerRow[]> {
  const status = await run(['status', '--json'], dir);
  assert.equal(status.code, 0, status.stderr);
  return JSON.parse(status.stdout).workers as WorkerRow[];
}

async function workerPid(dir: string, workerId: number): Promise<number> {
  const row = (await workers(dir)).find((w) => w.workerId === workerId);
  assert.ok(row && row.pid > 0);
  return row.pid;
}

/** Waits until `switchboard status` shows every worker ready with at least these generations. */
async function settled(dir: string, generations: number[]): Promise<WorkerRow[]> {
  const end = Date.now() + PATIENCE;
  for (;;) {
    const rows = await workers(dir);
    if (rows.every((row, i) => row.state === 'ready' && row.generation >= (generations[i] ?? 1))) return rows;
    if (Date.now() > end) throw new Error(`workers not settled: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A LineClient that has said hello: which worker it landed on. */
async function hello(port: number): Promise<{ client: LineClient; worker: number }> {
  const client = new LineClient(port);
  client.send('hello');
  const [worker] = (await client.line(PATIENCE)).split(' ');
  return { client, worker: Number(worker) };
}

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

  it('workers do not outlive a supervisor killed with SIGKILL: no orphan keeps the port', { timeout: 2 * PATIENCE }, async (t) => {
    const { dir, command, port } = await start(t, ECHO_APP, ['--workers', '2']);
    const pids = (await workers(dir)).map((w) => w.pid);
    const client = new LineClient(port);
    t.after(() => client.destroy());
    command.kill('SIGKILL');
    for (const pid of pids) await gone(pid);
    await client.ended();
  });

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

  it('reload under traffic: every client gets its replies or the goodbye and reconnects; none hangs', { timeout: 3 * PATIENCE }, async (t) => {
    const { dir, port } = await start(t, ECHO_APP, ['--workers', '2']);
    let reloaded = false;
    let goodbyes = 0;
    const clients = Array.from({ length: 20 }, async (_, c) => {
      let replies = 0;
      let afterReload = 0;
      while (afterReload < 3) {
        const client = new LineClient(port);
        try {
          for (let n = 0; afterReload < 3; n++) {
            client.send(`c${c}n${n}`);
            const line = await client.line(PATIENCE);
            if (line === 'bye') {
              goodbyes++;
              await client.ended();
              break;
            }
            assert.match(line, new RegExp(`^[01] [12] c${c}n${n}$`));
            replies++;
            if (reloaded && line.split(' ')[1] === '2') afterReload++;
          }
        } catch (error) {
          // Closed without a goodbye would be a failure: only a connection that never got one may go silently.
          if (!client.closed) throw error;
          throw new Error(`client ${c} was closed without the goodbye`, { cause: error });
        } finally {
          client.destroy();
        }
      }
      return replies;
    });
    const reload = await run(['reload'], dir);
    assert.equal(reload.code, 0, reload.stderr);
    reloaded = true;
    const replies = await Promise.all(clients);
    assert.ok(replies.every((n) => n >= 3));
    assert.ok(goodbyes > 0, 'the old workers said goodbye');
    assert.deepEqual((await workers(dir)).map((w) => w.generation), [2, 2]);
    assert.ok(existsSync(join(dir, 'switchboard.pid')));
  });
});

describe('workers: a reload of broken code', () => {
  it('stops at the first new worker that cannot start; the old workers keep serving', { timeout: 2 * PATIENCE }, async (t) => {
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

describe('workers: tasks through the supervisor', () => {
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
