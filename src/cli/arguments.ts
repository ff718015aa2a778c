import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CommandError, ErrorCode } from '../errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

/** node:util's parseArgs, strict, with its errors turned into ERR_BAD_COMMAND_LINE naming the command. */
export function parseCommand(command: string, argv: readonly string[], options: Options, positionals: { min: number; max: number; what: string }): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as Parsed;
  } catch (error) {
    throw usage(command, (error as Error).message);
  }
  if (parsed.values.help) return parsed;
  if (parsed.positionals.length < positionals.min) throw usage(command, `missing ${positionals.what}`);
  if (parsed.positionals.length > positionals.max) throw usage(command, `unexpected argument ${JSON.stringify(parsed.positionals[positionals.max])}`);
  return parsed;
}

export function usage(command: string, problem: string): CommandError {
  return new CommandError(ErrorCode.BadCommandLine, `switchboard ${command}: ${problem} (switchboard ${command} --help)`);
}

/** A whole number option, or the fallback when absent; the message names the option and the value. */
export function integerArgument(command: string, name: string, value: string | boolean | undefined, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isInteger(number) || number < min) {
    throw usage(command, `--${name} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  }
  return number;
}

export function stringArgument(value: string | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
