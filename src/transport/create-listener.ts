import type { StreamEndpoint } from './endpoint.js';
import type { Listener, ListenerHooks } from './listener.js';
import { StreamListener } from './stream-listener.js';
import type { WebSocketEndpoint } from './websocket/websocket-endpoint.js';
import { WebSocketListener } from './websocket/websocket-listener.js';

/** Every kind of endpoint a server can listen on. */
export type EndpointOptions = StreamEndpoint | WebSocketEndpoint;

/** Makes the listener for an endpoint; one `case` per transport family. */
export function createListener(endpoint: EndpointOptions, hooks: ListenerHooks): Listener {
  switch (endpoint.transport) {
    case 'tcp':
    case 'tls':
    case 'unix':
      return new StreamListener(endpoint, hooks);
    case 'ws':
    case 'wss':
      return new WebSocketListener(endpoint, hooks);
  }
}
