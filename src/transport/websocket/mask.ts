import { randomFillSync } from 'node:crypto';
import { endianness } from 'node:os';

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * XORs `data` in place with the 4-byte `mask` (RFC 6455 §5.3), starting at mask byte 0.
 * Long payloads go a 32-bit word at a time over their aligned middle.
 */
export function applyMask(data: Uint8Array, mask: Uint8Array): void {
  const length = data.length;
  const m0 = mask[0]!;
  const m1 = mask[1]!;
  const m2 = mask[2]!;
  const m3 = mask[3]!;
  if ((m0 | m1 | m2 | m3) === 0) return;
  let i = 0;
  if (length >= 64 && LITTLE_ENDIAN) {
    const head = (4 - (data.byteOffset & 3)) & 3;
    for (; i < head; i++) data[i]! ^= mask[i & 3]!;
    const words = (length - i) >>> 2;
    // The mask byte for data[i] is mask[i & 3]; packed little-endian from there.
    const word = (mask[i & 3]! | (mask[(i + 1) & 3]! << 8) | (mask[(i + 2) & 3]! << 16) | (mask[(i + 3) & 3]! << 24)) >>> 0;
    const view = new Uint32Array(data.buffer, data.byteOffset + i, words);
    for (let k = 0; k < words; k++) view[k]! ^= word;
    i += words * 4;
  }
  for (; i < length; i++) data[i]! ^= mask[i & 3]!;
}

const POOL_SIZE = 8 * 1024;
let pool = Buffer.alloc(0);
let poolOffset = POOL_SIZE;

/**
 * Four fresh random bytes for a client frame's mask. Drawn from a pool refilled 8 KiB at a time,
 * so that sending does not cost a call into the system's random source per frame.
 */
export function randomMask(): Buffer {
  if (poolOffset + 4 > pool.length) {
    pool = Buffer.allocUnsafe(POOL_SIZE);
    randomFillSync(pool);
    poolOffset = 0;
  }
  const mask = pool.subarray(poolOffset, poolOffset + 4);
  poolOffset += 4;
  return mask;
}
