// Running the switchboard command as a user would: spawned, reading its output and exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';

/** dist/src/cli/main.js, from dist/test/cli/. */
export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
/** The package's public API, for app files written by tests. */
export const INDEX_URL = new URL('../../src/index.js', import.meta.url).href;

/** How long any one wait of these tests may take: generous, the machine is shared. */
export const PATIENCE = 60_000;

/**
 * Every command and daemon these tests start, so that none outlives the test process: a test
 * file stopped by the runner's timeout never runs its `after` hooks, and a supervisor left
 * behind would hold its port and its workers.
 */
const started = new Set<number>();

function killStarted(): void {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  started.clear();
}
process.once('exit', killStarted);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    killStarted();
    process.exit(1);
  });
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A spawned `switchboard ...` whose output is collected as it comes. */
export class Command {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly finished: Promise<Finished>;
  private waiters: Array<() => void> = [];

  constructor(args: readonly string[], options: { cwd: string; env?: Record<string, string>; stdin?: boolean }) {
    this.child = spawn(process.execPath, [MAIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const pid = this.child.pid;
    if (pid !== undefined) started.add(pid);
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => this.add('stdout', text));
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => this.add('stderr', text));
    this.finished = new Promise((resolve) => {
      this.child.once('close', (code, signal) => {
        if (pid !== undefined) started.delete(pid);
        this.wake();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** Waits until stdout or stderr matches; returns the match. */
  async output(pattern: RegExp, ms = PATIENCE): Promise<RegExpMatchArray> {
    const end = Date.now() + ms;
    for (;;) {
      const match = (this.stdout + this.stderr).match(pattern);
      if (match) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${pattern}:\n${this.stdout}${this.stderr}`);
      }
      if (Date.now() > end) throw new Error(`no ${pattern} within ${ms} ms:\n${this.stdout}${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  /** Ends it if it still runs (cleanup). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }

  private add(stream: 'stdout' | 'stderr', text: string): void {
    this[stream] += text;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

/** Runs a command to its end. */
export function run(args: readonly string[], cwd: string, env?: Record<string, string>): Promise<Finished> {
  return new Command(args, { cwd, ...(env ? { env } : {}) }).finished;
}

/** A fresh directory for one test's app files, pid file and log; removed by the returned function. */
export function scratch(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sb-cli-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A scratch directory for a test that starts daemons: each pid pushed to `daemons` is killed, and the directory removed, after the test. */
export function daemonScratch(t: TestContext): { dir: string; daemons: { push(pid: number): void } } {
  const { dir, remove } = scratch();
  const daemons: number[] = [];
  t.after(() => {
    for (const pid of daemons) if (alive(pid)) process.kill(pid, 'SIGKILL');
    remove();
  });
  return {
    dir,
    daemons: {
      push(pid) {
        daemons.push(pid);
        started.add(pid); // killed with the test process too, if the hooks never run
      },
    },
  };
}

/** Writes an app file (ES module) that imports the package's API as `sb`. */
export function writeApp(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `import * as sb from ${JSON.stringify(INDEX_URL)};\n${body}\n`);
  return path;
}

/** Whether a process exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the process is gone. */
export async function gone(pid: number, ms = PATIENCE): Promise<void> {
  const end = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > end) throw new Error(`pid ${pid} still alive after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A line-echo app: every line comes back as `<worker id> <generation> <line>`; the port comes from
 * the environment (PORT), so tests pick a free one.
 */
export const ECHO_APP = `
export default function app(context) {
  const server = new sb.Server({ endpoints: [{ transport: 'tcp', host: '127.0.0.1', port: Number(process.env.PORT ?? 0), codec: new sb.LineCodec() }] });
  server.on('message', ({ connection, message }) => void connection.send(context.workerId + ' ' + context.generation + ' ' + message));
  return server;
}
export const goodbye = 'bye';
`;
