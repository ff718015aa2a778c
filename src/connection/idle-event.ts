import type { Connection } from './connection.js';

/**
 * The heartbeat found a connection silent for longer than its timeout (Netty's
 * `IdleStateHandler`: detection, not a verdict). Unless a listener calls {@link preventDefault},
 * the connection is then closed with reason `idle`; a listener that does may probe the peer in
 * its own protocol, close it with a goodbye of its own, or keep it.
 */
export class IdleEvent<C = Connection> {
  private prevented = false;

  constructor(
    readonly connection: C,
    /** Milliseconds since something was last received. */
    readonly silentFor: number,
    /** The heartbeat timeout that was passed. */
    readonly timeout: number,
  ) {}

  /** Keeps the connection open: the default close with reason `idle` does not happen. */
  preventDefault(): void {
    this.prevented = true;
  }

  get defaultPrevented(): boolean {
    return this.prevented;
  }
}
