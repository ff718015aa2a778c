import { InvalidOptionError } from '../errors.js';

/** Option checks that name the option and its value in the error. */
export function integerOption(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(name, value, `an integer from ${min} to ${max}`);
  }
  return value;
}

export function oneOfOption<T>(name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new InvalidOptionError(name, value, `one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
  }
  return value as T;
}

export function booleanOption(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new InvalidOptionError(name, value, 'a boolean');
  return value;
}

export function stringOption(name: string, value: unknown, expected = 'a non-empty string'): string {
  if (typeof value !== 'string' || value === '') throw new InvalidOptionError(name, value, expected);
  return value;
}

/** A TCP or UDP port: 0 (any free port) to 65535. */
export function portOption(name: string, value: unknown): number {
  return integerOption(name, value, 0, 65535);
}

/** A codec object (createDecoder and encode), when one is given. */
export function codecOption(name: string, value: unknown): void {
  if (value === undefined) return;
  const codec = value as { createDecoder?: unknown; encode?: unknown } | null;
  if (typeof codec !== 'object' || codec === null || typeof codec.createDecoder !== 'function' || typeof codec.encode !== 'function') {
    throw new InvalidOptionError(name, value, 'a Codec (createDecoder and encode)');
  }
}
