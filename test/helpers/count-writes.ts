import type { Socket } from 'node:net';
import { linkOf } from '../../src/connection/internal.js';
import type { Connection } from '../../src/index.js';
import { directWrites } from '../../src/transport/write-batch.js';

/**
 * Counts the writes a connection makes from now on (through its link, which keeps its socket
 * private): `socket.write` calls, plus the sends the native accelerator makes for it (one watched
 * socket at a time).
 */
export function countSocketWrites(connection: Connection): { readonly count: number } {
  const socket = (connection[linkOf] as unknown as { socket: Socket & { write: (...args: unknown[]) => boolean } }).socket;
  let calls = 0;
  const write = socket.write.bind(socket);
  socket.write = (...args: unknown[]) => {
    calls++;
    return write(...args);
  };
  const tap = directWrites.tap;
  tap.socket = socket;
  tap.count = 0;
  return {
    get count() {
      return calls + (tap.socket === socket ? tap.count : 0);
    },
  };
}
