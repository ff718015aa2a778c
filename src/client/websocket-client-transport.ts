import { DEFAULT_MESSAGE_CODEC, type MessageCodec } from '../codec/message-codec.js';
import { InvalidOptionError } from '../errors.js';
import type { Framing } from '../transport/framing.js';
import type { Link } from '../transport/link.js';
import { describeWebSocketAddress, dialWebSocket, resolveWebSocketTarget, type WebSocketTarget } from '../transport/websocket/websocket-dial.js';
import { WebSocketLink, websocketFraming } from '../transport/websocket/websocket-link.js';
import type { Clock } from '../util/clock.js';
import type { ClientTransport } from './client-transport.js';

/**
 * WebSocket clients (ws:// and wss://): the handshake through node:http's upgrade support, then
 * the same {@link WebSocketLink} servers use, in the client role (masked frames out, unmasked
 * frames in). Messages go through the target's message codec, not the client's `codec`.
 */
export class WebSocketClientTransport implements ClientTransport {
  readonly messageCodec: MessageCodec;
  readonly framing: Framing;
  private readonly described: string;

  constructor(private readonly target: WebSocketTarget & { codec?: unknown }) {
    if (target.codec !== undefined) {
      throw new InvalidOptionError('codec', 'a codec', 'absent for a WebSocket client (use messageCodec)');
    }
    this.messageCodec = target.messageCodec ?? DEFAULT_MESSAGE_CODEC;
    this.framing = websocketFraming(this.messageCodec, 'client');
    // Validates the address up front: a malformed url fails the constructor, not each attempt.
    this.described = describeWebSocketAddress(resolveWebSocketTarget(target));
  }

  describe(): string {
    return this.described;
  }

  async open(clock: Clock, connectTimeout: number): Promise<Link> {
    const { socket, head, protocol } = await dialWebSocket(this.target, clock, connectTimeout);
    return new WebSocketLink(socket, this.target.transport, 'client', this.messageCodec, { protocol, head });
  }
}
