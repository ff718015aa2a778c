import type { AnyConnection } from '../connection/connection.js';
import type { Clock } from '../util/clock.js';
import type { ListeningAddress } from './endpoint.js';
import type { Framing } from './framing.js';
import type { Link } from './link.js';

/**
 * An endpoint that accepts links: one per transport, made (and its options validated) when the
 * server is constructed.
 */
export interface Listener {
  /** How this endpoint's connections frame their messages. */
  readonly framing: Framing;
  /** Resolves once listening; rejects with a coded SwitchboardError (address in use, ...). */
  listen(hooks: ListenerHooks): Promise<void>;
  /** Stops accepting; open connections are the server's to close. */
  close(): Promise<void>;
  address(): ListeningAddress | undefined;
}

/** What a listener needs from its server to turn a link into a Connection. */
export interface ListenerHooks {
  /** The server's clock, for handshake timers. */
  readonly clock: Clock;
  /**
   * Whether this peer may connect now; `false` drops the socket at once. Takes the socket, not its
   * address: reading `remoteAddress` makes Node cache the peer name on the socket (an object and a
   * string per connection), which only the per-address limit needs.
   */
  admit(socket: { readonly remoteAddress?: string | undefined }): boolean;
  /**
   * A link exists (its handshake may be pending): the server composes its connection, tracks it
   * and emits `accept`. The connection opens when the link reports ready.
   */
  accepted(link: Link): AnyConnection;
  /** A datagram on a UDP endpoint without sessions: the server's `packet` event. */
  packet(data: Buffer, address: string, port: number): void;
}
