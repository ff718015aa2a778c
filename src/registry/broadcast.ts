import type { WireEncoder } from '../codec/wire-encoder.js';
import type { AnyConnection } from '../connection/connection.js';
import { encoderOf, refuseEncoded, sendFrame } from '../connection/internal.js';
import { asInvalidMessage, SwitchboardError } from '../errors.js';
import type { EncodeFailure, Payload, PushResult } from './adapter.js';

/**
 * Writes one payload to many connections: encoded once per distinct encoder among them (TCP
 * members share one frame, WebSocket members another), then the same Buffer handed to each
 * through the connection's module-private `sendFrame`; the core writes each connection's queue
 * once per turn of the event loop.
 *
 * Every encoding is made before anything is written. An encoder that cannot frame the message
 * (a binary device codec handed a dashboard's JSON) costs only its own connections: they are
 * refused (`sendFail`, `encodeFailed`) and named in `unencodable`, once per encoder, and the
 * others get the message. A target over its send limit is refused by the core (`sendFail`,
 * `bufferFull`), which costs the others nothing: it is reported in `dropped`, and its own
 * slow-peer policy (`limits.sendBufferFullPolicy`) decides whether it is also closed. A target
 * already closing is refused too (`sendFail`, `remoteClosed`) and counted nowhere: it was not
 * reachable.
 *
 * `targets` must be a snapshot: a `sendFail` listener may join, leave or close while this runs.
 */
export function broadcast(targets: readonly AnyConnection[], payload: Payload): PushResult {
  const count = targets.length;
  if (count === 0) return { delivered: 0, dropped: [] };
  const firstEncoder = targets[0]![encoderOf];
  const firstFrame = encodeFor(firstEncoder, payload);
  let others: Map<WireEncoder, Buffer | SwitchboardError> | undefined;
  for (let i = 1; i < count; i++) {
    const encoder = targets[i]![encoderOf];
    if (encoder === firstEncoder || others?.has(encoder)) continue;
    (others ??= new Map()).set(encoder, encodeFor(encoder, payload));
  }

  let delivered = 0;
  let dropped: string[] | undefined;
  let unencodable: Map<SwitchboardError, EncodeFailure> | undefined;
  for (let i = 0; i < count; i++) {
    const connection = targets[i]!;
    const encoder = connection[encoderOf];
    const frame = encoder === firstEncoder ? firstFrame : others!.get(encoder)!;
    if (frame instanceof SwitchboardError) {
      if (connection.state !== 'open') continue;
      unencodable ??= new Map();
      let failure = unencodable.get(frame);
      if (failure === undefined) {
        failure = { codec: connection.codec.name, ids: [], error: frame };
        unencodable.set(frame, failure);
      }
      failure.ids.push(connection.id);
      connection[refuseEncoded](frame);
      continue;
    }
    const wasOpen = connection.state === 'open';
    if (connection[sendFrame](frame) !== false) {
      delivered++;
      continue;
    }
    if (wasOpen) (dropped ??= []).push(connection.id);
  }
  const result: PushResult = { delivered, dropped: dropped ?? [] };
  if (unencodable !== undefined) result.unencodable = [...unencodable.values()];
  return result;
}

/** The frame, or the coded error of a message this encoder cannot frame (a user codec's own throw wrapped). */
function encodeFor(encoder: WireEncoder, payload: Payload): Buffer | SwitchboardError {
  try {
    return payload.type === 'message' ? encoder.encode(payload.message) : encoder.encodeRaw(payload.data);
  } catch (error) {
    return asInvalidMessage(error);
  }
}
