// Shared by the worker tests: `switchboard start` in the foreground, and what `status --json` says.
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { LineClient } from '../helpers/line-client.js';
import { Command, PATIENCE, run, scratch, writeApp } from '../cli/command.js';

export interface Started {
  dir: string;
  command: Command;
  port: number;
}

/** `switchboard start app.mjs --workers N ...` in the foreground, stopped (or killed) after the test. */
export async function start(t: TestContext, app: string, args: string[], env: Record<string, string> = {}): Promise<Started> {
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

export interface WorkerRow {
  workerId: number;
  pid: number;
  generation: number;
  state: string;
  stats?: { connections: number };
}

export async function workers(dir: string): Promise<WorkerRow[]> {
  const status = await run(['status', '--json'], dir);
  assert.equal(status.code, 0, status.stderr);
  return JSON.parse(status.stdout).workers as WorkerRow[];
}

export async function workerPid(dir: string, workerId: number): Promise<number> {
  const row = (await workers(dir)).find((w) => w.workerId === workerId);
  assert.ok(row && row.pid > 0);
  return row.pid;
}

/** Waits until `switchboard status` shows every worker ready with at least these generations. */
export async function settled(dir: string, generations: number[]): Promise<WorkerRow[]> {
  const end = Date.now() + PATIENCE;
  for (;;) {
    const rows = await workers(dir);
    if (rows.every((row, i) => row.state === 'ready' && row.generation >= (generations[i] ?? 1))) return rows;
    if (Date.now() > end) throw new Error(`workers not settled: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A LineClient that has said hello: which worker it landed on. */
export async function hello(port: number): Promise<{ client: LineClient; worker: number }> {
  const client = new LineClient(port);
  client.send('hello');
  const [worker] = (await client.line(PATIENCE)).split(' ');
  return { client, worker: Number(worker) };
}