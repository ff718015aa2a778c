import { linkOf } from '../../src/connection/internal.js';
import type { Connection } from '../../src/index.js';

/** Counts the socket writes a connection makes from now on (through its link, which keeps its socket private). */
export function countSocketWrites(connection: Connection): { readonly count: number } {
  const socket = (connection[linkOf] as unknown as { socket: { write: (...args: unknown[]) => boolean } }).socket;
  const counter = { count: 0 };
  const write = socket.write.bind(socket);
  socket.write = (...args: unknown[]) => {
    counter.count++;
    return write(...args);
  };
  return counter;
}
