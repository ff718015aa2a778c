import type { StreamEndpoint } from './endpoint.js';
import type { Listener, ListenerHooks } from './listener.js';
import { StreamListener } from './stream-listener.js';

/** Every kind of endpoint a server can listen on. */
export type EndpointOptions = StreamEndpoint;

/** Makes the listener for an endpoint; one `case` per transport family. */
export function createListener(endpoint: EndpointOptions, hooks: ListenerHooks): Listener {
  switch (endpoint.transport) {
    case 'tcp':
    case 'tls':
    case 'unix':
      return new StreamListener(endpoint, hooks);
  }
}
