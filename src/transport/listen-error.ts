import type { ListenOptions, Server as NetServer } from 'node:net';
import { AddressInUseError, ListenFailedError, PermissionDeniedError, type SwitchboardError } from '../errors.js';

/** Turns a listen failure into a coded error that names the address. */
export function listenError(error: NodeJS.ErrnoException, where: string): SwitchboardError {
  switch (error.code) {
    case 'EADDRINUSE':
      return new AddressInUseError(`address in use: ${where}`, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new PermissionDeniedError(`permission denied to listen on ${where}`, { cause: error });
    default:
      return new ListenFailedError(`cannot listen on ${where}: ${error.message}`, { cause: error });
  }
}

/**
 * Listens, rejecting with a coded error that names `where`. Once listening, later server errors
 * (EMFILE on accept, ...) are swallowed: they must not crash the process.
 */
export async function listenOn(server: NetServer, options: ListenOptions, where: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => reject(listenError(error, where));
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', () => undefined);
}
