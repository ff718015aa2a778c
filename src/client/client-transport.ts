import type { Connection, ConnectionInit } from '../connection/connection.js';
import { Connection as StreamConnection } from '../connection/connection.js';
import { ConnectError, ErrorCode } from '../errors.js';
import { connectError, connectTimeoutError, dialStream, readyEvent, type StreamTarget } from '../transport/dial.js';

/** Opens one connection for a client; the WebSocket transport brings its own. */
export interface ClientTransport {
  /** Resolves with an established connection; rejects with a {@link ConnectError}. */
  open(init: Omit<ConnectionInit, 'socket' | 'transport'>, connectTimeout: number): Promise<Connection>;
  describe(): string;
}

/** TCP, TLS and Unix-socket clients. */
export class StreamClientTransport implements ClientTransport {
  constructor(private readonly target: StreamTarget) {}

  describe(): string {
    const t = this.target;
    return t.transport === 'unix' ? `unix:${t.path}` : `${t.transport}://${t.host}:${t.port}`;
  }

  open(init: Omit<ConnectionInit, 'socket' | 'transport'>, connectTimeout: number): Promise<Connection> {
    return new Promise((resolve, reject) => {
      let socket;
      try {
        socket = dialStream(this.target);
      } catch (error) {
        // Node throws synchronously for what can never connect: a bad port, a malformed address.
        reject(new ConnectError(ErrorCode.OpenFailed, `cannot open ${this.describe()}: ${(error as Error).message}`, (error as NodeJS.ErrnoException).code, { cause: error }));
        return;
      }
      const timer = init.clock.setTimeout(() => socket.destroy(connectTimeoutError(connectTimeout)), connectTimeout);
      const onError = (error: NodeJS.ErrnoException): void => {
        init.clock.clear(timer);
        reject(connectError(error, this.describe()));
      };
      socket.once('error', onError);
      socket.once(readyEvent(this.target), () => {
        init.clock.clear(timer);
        socket.off('error', onError);
        const connection = new StreamConnection({ ...init, socket, transport: this.target.transport, state: 'connecting' });
        resolve(connection);
      });
    });
  }
}
