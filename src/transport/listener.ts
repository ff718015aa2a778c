import type { Codec } from '../codec/codec.js';
import type { Clock } from '../util/clock.js';
import type { Connection, ConnectionInit } from '../connection/connection.js';
import type { ListeningAddress } from './endpoint.js';

/** An endpoint that accepts connections: one per transport, made by the server on start. */
export interface Listener {
  /** Resolves once listening; rejects with a coded SwitchboardError (address in use, ...). */
  listen(): Promise<void>;
  /** Stops accepting; open connections are the server's to close. */
  close(): Promise<void>;
  address(): ListeningAddress | undefined;
}

/** What a listener needs from its server to turn a socket into a Connection. */
export interface ListenerHooks {
  /** The server's clock, for handshake timers. */
  readonly clock: Clock;
  /**
   * Whether this peer may connect now; `false` drops the socket at once. Takes the socket, not its
   * address: reading `remoteAddress` makes Node cache the peer name on the socket (an object and a
   * string per connection), which only the per-address limit needs.
   */
  admit(socket: { readonly remoteAddress?: string | undefined }): boolean;
  /** The fields every connection of this endpoint shares: id, clock, owner, limits, codec. */
  connectionInit(): Omit<ConnectionInit, 'socket' | 'transport'> & { codec: Codec };
  /** A connection exists (handshake may be pending): the server tracks it and emits `accept`. */
  accepted(connection: Connection): void;
}
