// `stop`, `reload`, `restart` and `status`: they find the running supervisor through its pid file
// and talk to it over the control socket beside it.
import { unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CommandError, ErrorCode } from '../errors.js';
import type { SupervisorStatus } from '../process/supervisor.js';
import { integerArgument, parseCommand, stringArgument } from './arguments.js';
import { askControl, type ControlReply, type ControlRequest } from './control-socket.js';
import { ExitCode } from './exit-codes.js';
import { daemonize, help } from './start-command.js';
import { processAlive, readPid, runFiles, type RunFiles } from './pid-file.js';

const PID_FILE = { 'pid-file': { type: 'string' } } as const;

/** How often `stop` looks whether a server it signalled (its control socket silent) is gone. */
const EXIT_POLL = 100;

/** What `status` returns over the control socket: the supervisor's status and how it was started. */
interface RunningStatus extends SupervisorStatus {
  readonly command: { readonly argv: string[]; readonly cwd: string };
  readonly pidFile: string;
}

type ParsedValues = Record<string, string | boolean | undefined>;

/**
 * What every one of these commands does first: parse, show its help if asked, find the running
 * server through its pid file. Undefined when it printed the help.
 */
function locate(command: string, argv: readonly string[], options: Record<string, { type: 'string' | 'boolean' }>): { values: ParsedValues; files: RunFiles; pid: number } | undefined {
  const { values } = parseCommand(command, argv, { ...PID_FILE, ...options }, { min: 0, max: 0, what: '' });
  if (values.help) {
    help(command);
    return undefined;
  }
  const files = runFiles(stringArgument(values['pid-file']));
  return { values, files, pid: findRunning(files) };
}

function timeoutOf(command: string, values: ParsedValues): number | undefined {
  return values.timeout === undefined ? undefined : integerArgument(command, 'timeout', values.timeout, 0, 0);
}

export async function stopCommand(argv: readonly string[]): Promise<number> {
  const found = locate('stop', argv, { timeout: { type: 'string' } });
  if (!found) return ExitCode.Ok;
  await stopRunning(found.files, found.pid, timeoutOf('stop', found.values));
  process.stdout.write(`switchboard: stopped (pid ${found.pid})\n`);
  return ExitCode.Ok;
}

export async function reloadCommand(argv: readonly string[]): Promise<number> {
  const found = locate('reload', argv, { 'tasks-only': { type: 'boolean' } });
  if (!found) return ExitCode.Ok;
  const tasksOnly = found.values['tasks-only'] === true;
  await ask(found.files, { cmd: tasksOnly ? 'reload-tasks' : 'reload' });
  process.stdout.write(`switchboard: ${tasksOnly ? 'task workers' : 'workers'} reloaded (pid ${found.pid})\n`);
  return ExitCode.Ok;
}

export async function restartCommand(argv: readonly string[]): Promise<number> {
  const found = locate('restart', argv, { timeout: { type: 'string' } });
  if (!found) return ExitCode.Ok;
  const status = (await ask(found.files, { cmd: 'status' })) as RunningStatus;
  await stopRunning(found.files, found.pid, timeoutOf('restart', found.values));
  process.stdout.write(`switchboard: stopped (pid ${found.pid}); starting again\n`);
  return daemonize(status.command.argv, found.files, status.command.cwd);
}

export async function statusCommand(argv: readonly string[]): Promise<number> {
  const found = locate('status', argv, { json: { type: 'boolean' } });
  if (!found) return ExitCode.Ok;
  const status = (await ask(found.files, { cmd: 'status' })) as RunningStatus;
  process.stdout.write(found.values.json ? `${JSON.stringify(status)}\n` : formatStatus(status));
  return ExitCode.Ok;
}

/** The pid of the running server, or ERR_NOT_RUNNING (a stale pid file is removed and said so). */
function findRunning(files: RunFiles): number {
  const pid = readPid(files.pidFile);
  if (pid === undefined) throw new CommandError(ErrorCode.NotRunning, `not running (no pid file at ${files.pidFile})`);
  if (!processAlive(pid)) {
    try {
      unlinkSync(files.pidFile);
    } catch {
      // Removed by someone else meanwhile.
    }
    throw new CommandError(ErrorCode.NotRunning, `not running: pid ${pid} in ${files.pidFile} is gone (stale pid file removed)`);
  }
  return pid;
}

/** How long `status` waits for the supervisor's answer (a reload may take as long as it takes). */
const STATUS_TIMEOUT = 15_000;

async function ask(files: RunFiles, request: ControlRequest): Promise<unknown> {
  return resultOf(await askControl(files.controlSocket, request, request.cmd === 'status' ? { timeout: STATUS_TIMEOUT } : {}));
}

function resultOf(reply: ControlReply): unknown {
  if (!reply.ok) throw new CommandError(reply.code as ErrorCode, reply.message);
  return reply.result;
}

/** Asks for a stop and waits for the process to be gone; SIGTERM if its control socket does not answer. */
async function stopRunning(files: RunFiles, pid: number, timeout: number | undefined): Promise<void> {
  try {
    resultOf(await askControl(files.controlSocket, timeout === undefined ? { cmd: 'stop' } : { cmd: 'stop', timeout }, { untilClosed: true }));
  } catch (error) {
    if (!(error instanceof CommandError) || error.code !== ErrorCode.ControlFailed) throw error;
    process.kill(pid, 'SIGTERM');
  }
  while (processAlive(pid)) await sleep(EXIT_POLL);
}

function formatStatus(status: RunningStatus): string {
  const lines = [
    `switchboard running: pid ${status.pid}, up ${status.uptime} s, ${status.workers.length} worker${status.workers.length === 1 ? '' : 's'} (${status.shape}, ${status.distribution}), app ${status.app}${status.reloading ? ', reloading' : ''}`,
  ];
  if (status.taskWorkers.threads > 0) {
    lines.push(`task workers: ${status.taskWorkers.threads} threads, ${status.taskWorkers.queued} queued, ${status.taskWorkers.completed} completed`);
  }
  const rows = [['worker', 'pid', 'state', 'up', 'connections', 'memory', 'msg/s', 'node']];
  for (const worker of status.workers) {
    const stats = worker.stats;
    rows.push([
      String(worker.workerId),
      String(worker.pid || '-'),
      worker.state,
      `${worker.uptime}s`,
      stats ? String(stats.connections) : '?',
      stats ? `${(stats.memory / 1048576).toFixed(1)} MiB` : '?',
      stats ? String(stats.messagesPerSecond) : '?',
      worker.nodeId || '-',
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) lines.push(row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd());
  return `${lines.join('\n')}\n`;
}
