import type { WireEncoder } from '../codec/wire-encoder.js';
import type { Connection } from '../connection/connection.js';
import { encoderOf, sendFrame } from '../connection/internal.js';
import type { Payload, PushResult } from './adapter.js';

/**
 * Writes one payload to many connections: encoded once per distinct encoder among them (TCP
 * members share one frame, WebSocket members another), then the same Buffer handed to each
 * through the connection's module-private `sendFrame`; the core writes each connection's queue
 * once per turn of the event loop.
 *
 * Every encoding is made before anything is written, so a message that cannot be encoded throws
 * and reaches no one. A target over its send limit is refused by the core (`sendFail`,
 * `bufferFull`), which costs the others nothing: it is reported in `dropped`, and its own
 * slow-peer policy (`limits.sendBufferFullPolicy`) decides whether it is also closed. A target
 * already closing is refused too (`sendFail`, `remoteClosed`) and counted nowhere: it was not
 * reachable.
 *
 * `targets` must be a snapshot: a `sendFail` listener may join, leave or close while this runs.
 */
export function broadcast(targets: readonly Connection[], payload: Payload): PushResult {
  const count = targets.length;
  if (count === 0) return { delivered: 0, dropped: [] };
  const firstEncoder = targets[0]![encoderOf];
  const firstFrame = encodeFor(firstEncoder, payload);
  let others: Map<WireEncoder, Buffer> | undefined;
  for (let i = 1; i < count; i++) {
    const encoder = targets[i]![encoderOf];
    if (encoder === firstEncoder || others?.has(encoder)) continue;
    (others ??= new Map()).set(encoder, encodeFor(encoder, payload));
  }

  let delivered = 0;
  let dropped: string[] | undefined;
  for (let i = 0; i < count; i++) {
    const connection = targets[i]!;
    const encoder = connection[encoderOf];
    const frame = encoder === firstEncoder ? firstFrame : others!.get(encoder)!;
    const wasOpen = connection.state === 'open';
    if (connection[sendFrame](frame) !== false) {
      delivered++;
      continue;
    }
    if (wasOpen) (dropped ??= []).push(connection.id);
  }
  return { delivered, dropped: dropped ?? [] };
}

function encodeFor(encoder: WireEncoder, payload: Payload): Buffer {
  return payload.type === 'message' ? encoder.encode(payload.message) : encoder.encodeRaw(payload.data);
}
