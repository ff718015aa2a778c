import { InvalidUtf8Error } from '../errors.js';

// Fatal: bad bytes are an error, not U+FFFD. ignoreBOM: a leading U+FEFF is text like any other,
// so that a line or a JSON string that starts with one round-trips. Without `stream`, decode()
// keeps no state between calls, so one instance serves every connection.
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of a whole frame; invalid UTF-8 is a {@link DecodeError} with code `ERR_INVALID_UTF8`. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return decoder.decode(bytes);
  } catch (error) {
    throw new InvalidUtf8Error(`${what} of ${bytes.length} bytes is not valid UTF-8`, { cause: error });
  }
}
