import type { Connection } from '../connection/connection.js';
import { ConnectionEvent, type ConnectionEvents, type DefaultContext } from '../connection/events.js';
import type { ListeningAddress } from '../transport/endpoint.js';
import type { Server } from './server.js';

export interface StartEvent {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  server: Server<any, any, any>;
  addresses: ListeningAddress[];
}
export interface StopEvent {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  server: Server<any, any, any>;
}
export interface AcceptEvent<C = Connection> {
  connection: C;
}
/** A datagram on a UDP endpoint without sessions (Swoole's `onPacket`); answer with `server.sendTo`. */
export interface PacketEvent {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  server: Server<any, any, any>;
  /** The datagram's bytes (no codec: sessions are where codecs apply). */
  data: Buffer;
  /** The sender's address and port. */
  address: string;
  port: number;
}
export interface RejectEvent {
  remoteAddress: string | undefined;
  reason: 'maxConnections' | 'maxConnectionsPerAddress';
}

/** A server's events: its own, plus every event of every connection it accepted. */
export interface ServerEvents<In = unknown, Out = In, Context extends object = DefaultContext> extends ConnectionEvents<In, Out, Context> {
  start: StartEvent;
  stop: StopEvent;
  accept: AcceptEvent<Connection<In, Out, Context>>;
  reject: RejectEvent;
  packet: PacketEvent;
}

/** The familiar names: the server's own events and every connection event. */
export const ServerEvent = {
  Start: 'start',
  Stop: 'stop',
  Accept: 'accept',
  Reject: 'reject',
  Packet: 'packet',
  ...ConnectionEvent,
} as const satisfies Record<string, keyof ServerEvents>;
