/** One line of the supervisor's log: the time, then what happened (to the terminal or the daemon's log file). */
export function log(message: string): void {
  process.stdout.write(`${new Date().toISOString()} switchboard: ${message}\n`);
}
