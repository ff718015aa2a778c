import { ErrorCode, SwitchboardError } from '../errors.js';

/** The command's exit codes: scripts (and init systems) can tell these cases apart. */
export const ExitCode = {
  Ok: 0,
  /** It could not do what it was asked: the app failed to start, a port is in use, a reload failed. */
  Failed: 1,
  /** The command line is wrong (unknown command or option, a bad value). */
  Usage: 2,
  /** `stop`, `status`, `reload`, `restart`: no server runs with this pid file. */
  NotRunning: 3,
  /** `start`: a server runs already with this pid file. */
  AlreadyRunning: 4,
  /** `reload`: a reload runs already. */
  Busy: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export function exitCodeOf(error: unknown): ExitCode {
  if (!(error instanceof SwitchboardError)) return ExitCode.Failed;
  switch (error.code) {
    case ErrorCode.BadCommandLine:
    case ErrorCode.InvalidOption:
      return ExitCode.Usage;
    case ErrorCode.NotRunning:
      return ExitCode.NotRunning;
    case ErrorCode.AlreadyRunning:
      return ExitCode.AlreadyRunning;
    case ErrorCode.ReloadInProgress:
      return ExitCode.Busy;
    default:
      return ExitCode.Failed;
  }
}
