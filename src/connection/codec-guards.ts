import type { Codec } from '../codec/codec.js';
import type { MessageCodec } from '../codec/message-codec.js';
import type { Connection } from './connection.js';
import type { MessageEvent } from './events.js';

/** A connection of any message types, with the context type kept. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type ConnectionWith<Context extends object> = Connection<any, any, Context>;

/**
 * Whether a connection speaks this codec (the very object given to its endpoint, its server or
 * its client), narrowing its message types to the codec's. How one handler of a server whose
 * endpoints speak different codecs gets typed connections:
 *
 * ```ts
 * if (usesCodec(connection, packetCodec)) connection.send(packet);   // a Connection<Packet>
 * ```
 */
export function usesCodec<In, Out, Context extends object>(
  connection: ConnectionWith<Context>,
  codec: Codec<In, Out> | MessageCodec<In, Out>,
): connection is Connection<In, Out, Context> {
  return connection.codec === codec;
}

/**
 * Whether a `message` event came through this codec, narrowing both the message and the
 * connection: the endpoint-typed form of a mixed server's `message` handler.
 *
 * ```ts
 * server.on('message', (event) => {
 *   if (isMessageOf(event, packetCodec)) event.connection.send(reply(event.message)); // a Packet
 *   else if (isMessageOf(event, dashboardCodec)) render(event.message);             // a Dashboard message
 * });
 * ```
 */
export function isMessageOf<In, Out, Context extends object>(
  event: MessageEvent<unknown, ConnectionWith<Context>>,
  codec: Codec<In, Out> | MessageCodec<In, Out>,
): event is MessageEvent<In, Connection<In, Out, Context>> {
  return event.connection.codec === codec;
}
