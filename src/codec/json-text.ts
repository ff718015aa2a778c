import { InvalidMessageError } from '../errors.js';

/** JSON text of a message, or an InvalidMessageError for what JSON cannot hold (cycles, undefined, BigInt). */
export function toJsonText(message: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch (error) {
    throw new InvalidMessageError(`message cannot be written as JSON: ${(error as Error).message}`, { cause: error });
  }
  if (text === undefined) throw new InvalidMessageError(`a ${typeof message} cannot be written as JSON`);
  return text;
}
