import type { Codec } from '../../codec/codec.js';
import { InvalidOptionError } from '../../errors.js';
import { booleanOption, codecOption, integerOption, portOption, stringOption } from '../../util/validate.js';
import type { EndpointCommon } from '../endpoint.js';

/** The largest UDP payload over IPv4 (65,535 − 8 bytes of UDP header − 20 of IP header). */
export const MAX_UDP_PAYLOAD = 65_507;

/**
 * A UDP endpoint (Swoole's UDP server). Without sessions, each datagram is a server `packet`
 * event and `server.sendTo()` answers. With `sessions: true`, each remote address and port
 * becomes a `Connection` over a datagram link, like any other connection (codec, events, limits,
 * heartbeat, registry), counted by `maxConnections`.
 */
export interface UdpEndpoint extends EndpointCommon {
  transport: 'udp';
  /** @default all IPv4 interfaces ('0.0.0.0'); an IPv6 address listens on IPv6 */
  host?: string;
  /** 0 picks a free port; `server.addresses()` tells which. */
  port: number;
  /**
   * Each remote address:port becomes a Connection (made by its first datagram, counted by
   * `maxConnections` and `maxConnectionsPerAddress`, closed by the heartbeat when silent).
   * @default false (`packet` events)
   */
  sessions?: boolean;
  /**
   * Datagrams larger than this are dropped: with sessions, with `decodeFail` (`ERR_FRAME_TOO_LARGE`)
   * on the session, which stays open; without, silently (they never become `packet` events).
   * @default 65507 (MAX_UDP_PAYLOAD)
   */
  maxDatagramBytes?: number;
  /**
   * Gives each session a socket of its own, bound to the endpoint's address and port and connected
   * to its peer (the endpoint's socket then uses SO_REUSEADDR). The kernel routes that peer's
   * datagrams to it and reports an ICMP port unreachable after a send, which becomes a `sendFail`
   * with code `unreachable` on the session (an unconnected socket is told nothing of ICMP errors on
   * Linux). Costs a file descriptor and a socket per session: set `maxConnections`. Note that with
   * SO_REUSEADDR another process of the same user may bind the same port.
   * @default false
   */
  connectSessions?: boolean;
  /**
   * The codec applied to each datagram of a session: one datagram is one frame. UDP endpoints do
   * not inherit the server's stream codec (a length prefix inside a datagram says nothing new).
   * @default new RawCodec(): a datagram's bytes are the message
   */
  codec?: Codec;
}

export const UDP_DEFAULTS = {
  host: '0.0.0.0',
  sessions: false,
  connectSessions: false,
  maxDatagramBytes: MAX_UDP_PAYLOAD,
} as const;

/** Checks a UDP endpoint's options, naming the option and its value. */
export function validateUdpEndpoint(endpoint: UdpEndpoint): void {
  if (endpoint.name !== undefined) stringOption('name', endpoint.name);
  portOption('port', endpoint.port);
  if (endpoint.host !== undefined) stringOption('host', endpoint.host, 'a host name or IP address');
  if (endpoint.sessions !== undefined) booleanOption('sessions', endpoint.sessions);
  if (endpoint.connectSessions !== undefined) booleanOption('connectSessions', endpoint.connectSessions);
  if (endpoint.maxDatagramBytes !== undefined) integerOption('maxDatagramBytes', endpoint.maxDatagramBytes, 1, MAX_UDP_PAYLOAD);
  codecOption('codec', endpoint.codec);
  if ((endpoint as { messageCodec?: unknown }).messageCodec !== undefined) {
    throw new InvalidOptionError('messageCodec', 'a message codec', 'absent on a UDP endpoint (use codec)');
  }
}
