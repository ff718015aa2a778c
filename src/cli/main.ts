#!/usr/bin/env node
// The switchboard command: start, run, stop, reload, restart, status, connect.
import { SwitchboardError } from '../errors.js';
import { connectCommand } from './connect-command.js';
import { ExitCode, exitCodeOf } from './exit-codes.js';
import { MAIN_HELP } from './help.js';
import { reloadCommand, restartCommand, statusCommand, stopCommand } from './manage-commands.js';
import { runCommand, startCommand } from './start-command.js';

const COMMANDS: Readonly<Record<string, (argv: readonly string[]) => Promise<number>>> = {
  start: startCommand,
  run: runCommand,
  stop: stopCommand,
  reload: reloadCommand,
  restart: restartCommand,
  status: statusCommand,
  connect: connectCommand,
};

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(MAIN_HELP);
    return name === undefined ? ExitCode.Usage : ExitCode.Ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    process.stderr.write(`switchboard: unknown command ${JSON.stringify(name)} (switchboard --help lists them)\n`);
    return ExitCode.Usage;
  }
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message = error instanceof SwitchboardError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`switchboard: ${message}\n`);
    process.exit(exitCodeOf(error));
  },
);
