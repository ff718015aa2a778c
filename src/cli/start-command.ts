import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveAppPath } from '../process/app-file.js';
import type { ClusterShape } from '../process/cluster-shape.js';
import { DISTRIBUTION_CHOICES, type DistributionChoice } from '../process/distribution.js';
import { runApp } from '../process/run-app.js';
import { Supervisor, SUPERVISOR_DEFAULTS } from '../process/supervisor.js';
import { redisEngineOptions } from '../cluster/redis-engine.js';
import { describeAddress as describe, type ListeningAddress } from '../transport/endpoint.js';
import { integerArgument, parseCommand, stringArgument, usage } from './arguments.js';
import { controlAnswers, serveControl } from './control-socket.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { COMMAND_HELP } from './help.js';
import { claimPidFile, releasePidFile, runFiles, type RunFiles } from './pid-file.js';
import { log } from './output.js';

/** Set in the environment of the process a `--daemon` start spawns. */
const DAEMON_ENV = 'SWITCHBOARD_DAEMONIZED';

/** What the daemon tells the command that spawned it, once. */
type DaemonReport = { type: 'ready'; pid: number; addresses: ListeningAddress[] } | { type: 'failed'; message: string; exitCode: number };

const START_OPTIONS = {
  workers: { type: 'string' },
  'task-workers': { type: 'string' },
  daemon: { type: 'boolean' },
  'pid-file': { type: 'string' },
  'log-file': { type: 'string' },
  'stop-timeout': { type: 'string' },
  distribution: { type: 'string' },
  redis: { type: 'string' },
  'redis-prefix': { type: 'string' },
  config: { type: 'string' },
} as const;

/** `switchboard start APP ...`: the supervisor, in the foreground or as a daemon. */
export async function startCommand(argv: readonly string[]): Promise<number> {
  const parsed = parseCommand('start', argv, START_OPTIONS, { min: 1, max: 1, what: 'the app file (switchboard start app.js)' });
  if (parsed.values.help) return help('start');
  const { positionals } = parsed;
  const values = withConfig(parsed.values);
  const workers = integerArgument('start', 'workers', values.workers, 1, 0) || undefined;
  const taskWorkers = integerArgument('start', 'task-workers', values['task-workers'], 0, 0);
  const stopTimeout = integerArgument('start', 'stop-timeout', values['stop-timeout'], 0, SUPERVISOR_DEFAULTS.stopTimeout);
  const distribution = distributionOf(values.distribution);
  const shape = shapeOf('start', values, { type: 'workers' });
  const app = resolveAppPath(positionals[0] as string);
  const files = runFiles(stringArgument(values['pid-file']), stringArgument(values['log-file']));
  if (values.daemon && process.env[DAEMON_ENV] === undefined) return daemonize(argv, files, process.cwd());
  try {
    return await supervise(argv, { app, workers, taskWorkers, stopTimeout, distribution, shape, files });
  } catch (error) {
    report({ type: 'failed', message: (error as Error).message, exitCode: exitCodeOf(error) });
    throw error;
  }
}

interface SuperviseOptions {
  app: string;
  workers: number | undefined;
  taskWorkers: number;
  stopTimeout: number;
  distribution: DistributionChoice;
  shape: ClusterShape;
  files: RunFiles;
}

async function supervise(argv: readonly string[], { app, workers, taskWorkers, stopTimeout, distribution, shape, files }: SuperviseOptions): Promise<number> {
  const { stalePid } = await claimPidFile(files, controlAnswers);
  if (stalePid !== undefined) log(`replaced a stale pid file (pid ${stalePid} is not running)`);
  const supervisor = new Supervisor({ app, ...(workers ? { workers } : {}), taskWorkers, stopTimeout, distribution, shape });
  followSupervisor(supervisor);
  let stopping: Promise<void> | undefined;
  const shutdown = (timeout?: number): Promise<void> =>
    (stopping ??= (async () => {
      log(`stopping (pid ${process.pid})`);
      await supervisor.stop(timeout === undefined ? {} : { timeout });
      await control?.close();
      releasePidFile(files);
      log('stopped');
    })());
  let control: { close(): Promise<void> } | undefined;
  try {
    control = await serveControl(files.controlSocket, {
      status: async () => ({ ...(await supervisor.status()), command: { argv: argv.filter((a) => a !== '--daemon'), cwd: process.cwd() }, pidFile: files.pidFile }),
      stop: (timeout) => void shutdown(timeout).then(() => process.exit(ExitCode.Ok)),
      reload: () => supervisor.reload(),
      reloadTasks: () => supervisor.reloadTasks(),
    });
    await supervisor.start();
  } catch (error) {
    await control?.close();
    releasePidFile(files);
    throw error;
  }
  const where = supervisor.addresses().map(describe).join(', ');
  log(`${app} on ${supervisor.workers} worker${supervisor.workers === 1 ? '' : 's'}${taskWorkers ? ` and ${taskWorkers} task worker${taskWorkers === 1 ? '' : 's'}` : ''}, listening on ${where || 'nothing'} (${supervisor.distribution}); pid ${process.pid}`);
  report({ type: 'ready', pid: process.pid, addresses: supervisor.addresses() });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutdown().then(() => process.exit(ExitCode.Ok)));
  process.on('SIGUSR1', () => void supervisor.reload().catch((error: Error) => log(`reload refused: ${error.message}`)));
  process.on('SIGUSR2', () => void supervisor.reloadTasks().then(() => log('task workers reloaded'), (error: Error) => log(`task reload refused: ${error.message}`)));
  // The supervisor now lives on its listening sockets, workers and control socket.
  return new Promise<number>(() => undefined);
}

/** `switchboard run APP`: the app in this one process. */
export async function runCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    'run',
    argv,
    { 'task-workers': { type: 'string' }, 'stop-timeout': { type: 'string' }, redis: { type: 'string' }, 'redis-prefix': { type: 'string' } },
    { min: 1, max: 1, what: 'the app file (switchboard run app.js)' },
  );
  if (values.help) return help('run');
  const taskWorkers = integerArgument('run', 'task-workers', values['task-workers'], 0, 0);
  const stopTimeout = integerArgument('run', 'stop-timeout', values['stop-timeout'], 0, SUPERVISOR_DEFAULTS.stopTimeout);
  const shape = shapeOf('run', values, { type: 'single' });
  const running = await runApp(positionals[0] as string, { taskWorkers, shape });
  log(`${positionals[0]} in one process, listening on ${running.server.addresses().map(describe).join(', ')}; pid ${process.pid}`);
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      void running.stop(stopTimeout).then(() => process.exit(ExitCode.Ok));
    });
  }
  return new Promise<number>(() => undefined);
}

export function help(command: string): number {
  process.stdout.write(COMMAND_HELP[command] ?? '');
  return ExitCode.Ok;
}

/**
 * The options of a config file (`--config F`, JSON: the same names as the options, e.g.
 * `{ "workers": 4, "task-workers": 2, "pid-file": "/run/chat.pid" }`), under those of the command
 * line, which win. Paths in it are relative to the working directory, like the command line's.
 */
function withConfig(values: Record<string, string | boolean | undefined>): Record<string, string | boolean | undefined> {
  const file = stringArgument(values.config);
  if (file === undefined) return values;
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw usage('start', `cannot read the config file ${file}: ${(error as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) throw usage('start', `the config file ${file} must hold a JSON object`);
  const merged: Record<string, string | boolean | undefined> = {};
  for (const [name, value] of Object.entries(config)) {
    const option = Object.hasOwn(START_OPTIONS, name) && name !== 'config' ? START_OPTIONS[name as keyof typeof START_OPTIONS] : undefined;
    if (!option) throw usage('start', `unknown option ${JSON.stringify(name)} in the config file ${file}`);
    const fits = option.type === 'boolean' ? typeof value === 'boolean' : typeof value === 'string' || typeof value === 'number';
    if (!fits) throw usage('start', `${name} in the config file ${file} must be ${option.type === 'boolean' ? 'true or false' : 'a string or a number'}, got ${JSON.stringify(value)}`);
    merged[name] = typeof value === 'number' ? String(value) : (value as string | boolean);
  }
  for (const [name, value] of Object.entries(values)) if (value !== undefined) merged[name] = value;
  return merged;
}

function distributionOf(value: string | boolean | undefined): DistributionChoice {
  const choice = stringArgument(value) ?? SUPERVISOR_DEFAULTS.distribution;
  if (!DISTRIBUTION_CHOICES.includes(choice as DistributionChoice)) {
    throw usage('start', `--distribution must be one of ${DISTRIBUTION_CHOICES.join(', ')}, got ${JSON.stringify(choice)}`);
  }
  return choice as DistributionChoice;
}

function shapeOf(command: string, values: Record<string, string | boolean | undefined>, otherwise: ClusterShape): ClusterShape {
  const url = stringArgument(values.redis);
  const prefix = stringArgument(values['redis-prefix']);
  if (url === undefined) {
    if (prefix !== undefined) throw usage(command, '--redis-prefix needs --redis URL');
    return otherwise;
  }
  try {
    // Checked here, so that a bad URL or prefix is a usage error, not N workers failing to start.
    redisEngineOptions({ url, ...(prefix !== undefined ? { prefix } : {}) });
  } catch (error) {
    throw usage(command, (error as Error).message.replace(/^option url/, '--redis').replace(/^option prefix/, '--redis-prefix'));
  }
  return { type: 'redis', url, ...(prefix !== undefined ? { prefix } : {}) };
}

/** Logs what happens to the workers (to the terminal, or the daemon's log file). */
function followSupervisor(supervisor: Supervisor): void {
  supervisor.on('workerFail', ({ workerId, pid, error }) => log(`worker ${workerId} (pid ${pid}) could not start the app: ${error.message}`));
  supervisor.on('workerExit', ({ workerId, pid, code, signal, expected, restartIn }) => {
    if (expected) return;
    const how = signal ?? `exit code ${code}`;
    log(`worker ${workerId} (pid ${pid}) died (${how})${restartIn === undefined ? '' : `; replacing it in ${restartIn} ms`}`);
  });
  supervisor.on('reload', ({ status, error }) => log(`reload ${status}${error ? `: ${error.message}` : ''}`));
}

/** Tells the command that spawned this daemon how the start went (nothing when not a daemon). */
function report(message: DaemonReport): void {
  if (process.env[DAEMON_ENV] === undefined || typeof process.send !== 'function' || !process.connected) return;
  process.send(message, () => process.disconnect());
}

/**
 * Starts this same command again as a detached process (its own session, output to the log file)
 * and returns once it listens, printing its pid, or once it failed, printing why.
 */
export async function daemonize(argv: readonly string[], files: RunFiles, cwd: string): Promise<number> {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  const out = openSync(files.logFile, 'a');
  const child = spawn(process.execPath, [main, 'start', ...argv.filter((a) => a !== '--daemon')], {
    cwd,
    detached: true,
    stdio: ['ignore', out, out, 'ipc'],
    env: { ...process.env, [DAEMON_ENV]: '1' },
  });
  closeSync(out);
  const outcome = await new Promise<DaemonReport>((resolve) => {
    child.once('message', (message) => resolve(message as DaemonReport));
    child.once('exit', (code) => resolve({ type: 'failed', message: `the daemon exited (code ${code}) before it listened; see ${files.logFile}`, exitCode: code || ExitCode.Failed }));
  });
  child.unref();
  if (child.connected) child.disconnect();
  if (outcome.type === 'failed') {
    process.stderr.write(`switchboard: ${outcome.message}\n`);
    return outcome.exitCode;
  }
  process.stdout.write(`switchboard: started as a daemon, pid ${outcome.pid}, listening on ${outcome.addresses.map(describe).join(', ')}; log ${files.logFile}\n`);
  return ExitCode.Ok;
}


