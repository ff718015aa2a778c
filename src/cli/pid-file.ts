import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CommandError, ErrorCode } from '../errors.js';

/** Where a running server is found: its pid file, the control socket and the daemon's log beside it. */
export interface RunFiles {
  readonly pidFile: string;
  readonly controlSocket: string;
  readonly logFile: string;
}

/** The pid file when none is named: in the working directory, as `switchboard.pid`. */
export const DEFAULT_PID_FILE = 'switchboard.pid';

/** The control socket and default log file sit beside the pid file, named after it. */
export function runFiles(pidFile: string = DEFAULT_PID_FILE, logFile?: string): RunFiles {
  const path = resolve(pidFile);
  const base = path.endsWith('.pid') ? path.slice(0, -'.pid'.length) : path;
  return { pidFile: path, controlSocket: `${base}.sock`, logFile: resolve(logFile ?? `${base}.log`) };
}

/** The pid in a pid file, or undefined if there is none (or it holds no pid). */
export function readPid(pidFile: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(pidFile, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Whether a process with this pid exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Writes this process's pid file. A pid file whose process is gone, or whose control socket does
 * not answer (the pid was reused by an unrelated process), is stale: it is replaced and said so
 * (RELIABILITY 38), never taken for "already running".
 */
export async function claimPidFile(files: RunFiles, answers: (socket: string) => Promise<boolean>): Promise<{ stalePid?: number }> {
  const pid = readPid(files.pidFile);
  if (pid !== undefined && pid !== process.pid && processAlive(pid) && (await answers(files.controlSocket))) {
    throw new CommandError(ErrorCode.AlreadyRunning, `already running (pid ${pid}, pid file ${files.pidFile}); stop it first, or use another --pid-file`);
  }
  const stale = existsSync(files.pidFile) ? { stalePid: pid ?? 0 } : {};
  if (existsSync(files.pidFile)) unlinkSync(files.pidFile);
  try {
    writeFileSync(files.pidFile, `${process.pid}\n`, { flag: 'wx' });
  } catch (error) {
    // Another start won the race between our check and our write.
    throw new CommandError(ErrorCode.AlreadyRunning, `cannot write the pid file ${files.pidFile}: ${(error as Error).message}`, { cause: error });
  }
  return stale;
}

/** Removes the pid file if it is still ours. */
export function releasePidFile(files: RunFiles): void {
  if (readPid(files.pidFile) === process.pid) {
    try {
      unlinkSync(files.pidFile);
    } catch {
      // Already gone: nothing to release.
    }
  }
}
