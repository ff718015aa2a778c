import { ConnectError, ErrorCode } from '../errors.js';
import { connectError, connectTimeoutError, dialStream, readyEvent, type StreamTarget } from '../transport/dial.js';
import { streamFraming, type Framing } from '../transport/framing.js';
import type { Link } from '../transport/link.js';
import { StreamLink } from '../transport/stream-link.js';
import type { Codec } from '../codec/codec.js';
import type { Clock } from '../util/clock.js';

/** Opens one link for a client; the client composes the connection over it. */
export interface ClientTransport {
  /** How the client's connections frame their messages. */
  readonly framing: Framing;
  /** Resolves with a connected link (handshake done); rejects with a {@link ConnectError}. */
  open(clock: Clock, connectTimeout: number): Promise<Link>;
  describe(): string;
}

/** TCP, TLS and Unix-socket clients. */
export class StreamClientTransport implements ClientTransport {
  readonly framing: Framing;

  constructor(
    private readonly target: StreamTarget,
    codec: Codec,
  ) {
    this.framing = streamFraming(codec);
  }

  describe(): string {
    const t = this.target;
    return t.transport === 'unix' ? `unix:${t.path}` : `${t.transport}://${t.host}:${t.port}`;
  }

  open(clock: Clock, connectTimeout: number): Promise<Link> {
    return new Promise((resolve, reject) => {
      let socket;
      try {
        socket = dialStream(this.target);
      } catch (error) {
        // Node throws synchronously for what can never connect: a bad port, a malformed address.
        reject(new ConnectError(ErrorCode.OpenFailed, `cannot open ${this.describe()}: ${(error as Error).message}`, (error as NodeJS.ErrnoException).code, { cause: error }));
        return;
      }
      const timer = clock.setTimeout(() => socket.destroy(connectTimeoutError(connectTimeout)), connectTimeout);
      const onError = (error: NodeJS.ErrnoException): void => {
        clock.clear(timer);
        reject(connectError(error, this.describe()));
      };
      socket.once('error', onError);
      socket.once(readyEvent(this.target), () => {
        clock.clear(timer);
        socket.off('error', onError);
        resolve(new StreamLink(socket, this.target.transport, true));
      });
    });
  }
}
