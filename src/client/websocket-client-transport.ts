import type { Codec } from '../codec/codec.js';
import { DEFAULT_MESSAGE_CODEC, type MessageCodec } from '../codec/message-codec.js';
import type { Connection, ConnectionInit } from '../connection/connection.js';
import { InvalidOptionError } from '../errors.js';
import { codecFor } from '../transport/websocket/codec-adapter.js';
import { WebSocketConnection } from '../transport/websocket/websocket-connection.js';
import { describeWebSocketAddress, dialWebSocket, resolveWebSocketTarget, type WebSocketTarget } from '../transport/websocket/websocket-dial.js';
import type { ClientTransport } from './client-transport.js';

/**
 * WebSocket clients (ws:// and wss://): the handshake through node:http's upgrade support, then
 * the same {@link WebSocketConnection} servers use, in the client role (masked frames out,
 * unmasked frames in). Messages go through the target's message codec, not the client's `codec`.
 */
export class WebSocketClientTransport implements ClientTransport {
  readonly messageCodec: MessageCodec;
  /** The message codec seen as the connection's `codec`. */
  readonly codec: Codec;
  private readonly described: string;

  constructor(private readonly target: WebSocketTarget & { codec?: unknown }) {
    if (target.codec !== undefined) {
      throw new InvalidOptionError('codec', 'a codec', 'absent for a WebSocket client (use messageCodec)');
    }
    this.messageCodec = target.messageCodec ?? DEFAULT_MESSAGE_CODEC;
    this.codec = codecFor(this.messageCodec);
    // Validates the address up front: a malformed url fails the constructor, not each attempt.
    this.described = describeWebSocketAddress(resolveWebSocketTarget(target));
  }

  describe(): string {
    return this.described;
  }

  async open(init: Omit<ConnectionInit, 'socket' | 'transport'>, connectTimeout: number): Promise<Connection> {
    const { socket, head, protocol } = await dialWebSocket(this.target, init.clock, connectTimeout);
    const { codec: _ignored, encoder: _none, ...rest } = init;
    return new WebSocketConnection({
      ...rest,
      socket,
      head,
      protocol,
      transport: this.target.transport,
      role: 'client',
      messageCodec: this.messageCodec,
      state: 'connecting',
    });
  }
}
