/**
 * The write batch of the connections' flush: while it lasts (no user code runs inside), stream
 * links may share one joined Buffer between targets whose queues hold the same frames.
 */
export function beginWriteBatch(): void {
  inBatch = true;
}

export function endWriteBatch(): void {
  inBatch = false;
  lastParts = undefined;
  lastJoined = undefined;
}

// A broadcast queues the same frames on every target, so within one batch of flushes the
// targets' queues are alike: the first is joined, the others write that same Buffer. Only within
// a batch (no user code runs between its flushes), so a caller's Buffer reused later is never
// mistaken for its old content.
let inBatch = false;
let lastParts: readonly Buffer[] | undefined;
let lastJoined: Buffer | undefined;

/** `Buffer.concat(parts, bytes)`, shared with the previous flush of this batch if its parts were the same Buffers. */
export function joinQueued(parts: readonly Buffer[], bytes: number): Buffer {
  if (!inBatch) return Buffer.concat(parts, bytes);
  const count = parts.length;
  if (lastParts !== undefined && lastParts.length === count && lastJoined!.length === bytes) {
    let i = 0;
    while (i < count && parts[i] === lastParts[i]) i++;
    if (i === count) return lastJoined!;
  }
  lastParts = parts;
  lastJoined = Buffer.concat(parts, bytes);
  return lastJoined;
}
