import { InvalidArgumentError } from '../errors.js';

/** A connection, or its id. Ids are what travel between processes; a Connection is local. */
export type ConnectionRef = string | { readonly id: string };

/** One, or a list. */
export type OneOrMany<T> = T | readonly T[];

/** The id of a connection reference; throws ERR_INVALID_ARGUMENT for anything else. */
export function idOf(ref: unknown, name: string): string {
  if (typeof ref === 'string') return ref;
  if (typeof ref === 'object' && ref !== null && typeof (ref as { id?: unknown }).id === 'string') {
    return (ref as { id: string }).id;
  }
  throw new InvalidArgumentError(name, ref, 'a connection or a connection id (string)');
}

/** Ids of one reference or a list of them. */
export function idList(refs: unknown, name: string): string[] {
  if (!Array.isArray(refs)) return [idOf(refs, name)];
  const ids = new Array<string>(refs.length);
  for (let i = 0; i < refs.length; i++) ids[i] = idOf(refs[i], `${name}[${i}]`);
  return ids;
}

/** A flag or group name: a non-empty string. */
export function nameOf(value: unknown, name: string): string {
  if (typeof value === 'string' && value.length > 0) return value;
  throw new InvalidArgumentError(name, value, 'a non-empty string');
}

/** One name or a list of them. */
export function nameList(values: unknown, name: string): string[] {
  if (!Array.isArray(values)) return [nameOf(values, name)];
  const names = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) names[i] = nameOf(values[i], `${name}[${i}]`);
  return names;
}

/** The optional `except` of a broadcast. */
export function exceptList(except: unknown): string[] | undefined {
  return except === undefined ? undefined : idList(except, 'except');
}
