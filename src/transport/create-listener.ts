import type { Codec } from '../codec/codec.js';
import { InvalidOptionError } from '../errors.js';
import type { StreamEndpoint } from './endpoint.js';
import type { UdpEndpoint } from './udp/udp-endpoint.js';
import { UdpListener } from './udp/udp-listener.js';
import type { Listener } from './listener.js';
import { StreamListener } from './stream-listener.js';
import type { WebSocketEndpoint } from './websocket/websocket-endpoint.js';
import { WebSocketListener } from './websocket/websocket-listener.js';

/** Every kind of endpoint a server can listen on. */
export type EndpointOptions = StreamEndpoint | WebSocketEndpoint | UdpEndpoint;

/**
 * Makes the listener for an endpoint, validating its options; one `case` per transport family.
 * `codec` is the server's, for endpoints that name none.
 */
export function createListener(endpoint: EndpointOptions, codec: Codec): Listener {
  switch (endpoint?.transport) {
    case 'tcp':
    case 'tls':
    case 'unix':
      return new StreamListener(endpoint, codec);
    case 'ws':
    case 'wss':
      return new WebSocketListener(endpoint);
    case 'udp':
      return new UdpListener(endpoint);
    default:
      throw new InvalidOptionError('transport', (endpoint as { transport?: unknown } | undefined)?.transport, "one of 'tcp', 'tls', 'unix', 'ws', 'wss', 'udp'");
  }
}
