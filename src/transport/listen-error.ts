import { ErrorCode, SwitchboardError } from '../errors.js';

/** Turns a listen failure into a coded error that names the address. */
export function listenError(error: NodeJS.ErrnoException, where: string): SwitchboardError {
  switch (error.code) {
    case 'EADDRINUSE':
      return new SwitchboardError(ErrorCode.AddressInUse, `address in use: ${where}`, { cause: error });
    case 'EACCES':
    case 'EPERM':
      return new SwitchboardError(ErrorCode.PermissionDenied, `permission denied to listen on ${where}`, { cause: error });
    default:
      return new SwitchboardError(ErrorCode.ListenFailed, `cannot listen on ${where}: ${error.message}`, { cause: error });
  }
}
