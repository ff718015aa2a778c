import { randomFillSync } from 'node:crypto';
import { endianness } from 'node:os';
import { nativeAddon } from '../native-addon.js';

const LITTLE_ENDIAN = endianness() === 'LE';

/** Byte `k` (0-3, taken mod 4) of a masking key held as a big-endian 32-bit number. */
function keyByte(key: number, k: number): number {
  return (key >>> (24 - 8 * (k & 3))) & 0xff;
}

/** The accelerator's unmask (native/), when built and not turned off. */
const nativeUnmask = typeof nativeAddon?.unmask === 'function' ? nativeAddon.unmask : undefined;

/**
 * Payloads from this size are unmasked by the accelerator: below it, the call into C costs more
 * than the JavaScript loop saves (bench/profile/mask-micro.ts: 37 against 88 ns at 64 B, 55
 * against 204 ns at 1 KiB, and 24 ns for JavaScript at 32 B).
 */
export const NATIVE_MASK_MIN = 64;

/**
 * XORs `data` in place with the masking key (RFC 6455 §5.3), given as the big-endian 32-bit
 * number of its 4 bytes, starting at key byte 0. Long payloads go to the accelerator when built,
 * or else a 32-bit word at a time over their aligned middle.
 */
export function applyMask(data: Uint8Array, key: number): void {
  if (key === 0) return;
  const length = data.length;
  if (length >= NATIVE_MASK_MIN && nativeUnmask !== undefined) {
    nativeUnmask(data as Buffer, key);
    return;
  }
  let i = 0;
  if (length >= 64 && LITTLE_ENDIAN) {
    const head = (4 - (data.byteOffset & 3)) & 3;
    for (; i < head; i++) data[i]! ^= keyByte(key, i);
    const words = (length - i) >>> 2;
    // The key byte for data[i] is keyByte(i); four of them packed little-endian from there.
    // Signed 32-bit (no heap numbers) and unrolled by 8: twice the speed of a plain loop.
    const word = keyByte(key, i) | (keyByte(key, i + 1) << 8) | (keyByte(key, i + 2) << 16) | (keyByte(key, i + 3) << 24);
    const view = new Int32Array(data.buffer, data.byteOffset + i, words);
    const unrolled = words & ~7;
    let k = 0;
    for (; k < unrolled; k += 8) {
      view[k]! ^= word;
      view[k + 1]! ^= word;
      view[k + 2]! ^= word;
      view[k + 3]! ^= word;
      view[k + 4]! ^= word;
      view[k + 5]! ^= word;
      view[k + 6]! ^= word;
      view[k + 7]! ^= word;
    }
    for (; k < words; k++) view[k]! ^= word;
    i += words * 4;
  }
  maskBytes(data, i, length, key);
}

/**
 * XORs data[from..to) a byte at a time, four per step with the key's bytes held in locals: a
 * short payload (most of what an echo or a chat receives) takes a third of the time of a loop
 * that extracts its key byte per byte.
 */
function maskBytes(data: Uint8Array, from: number, to: number, key: number): void {
  // The key turned so that its first byte is the one for data[from].
  const shift = 8 * (from & 3);
  const turned = shift === 0 ? key : (key << shift) | (key >>> (32 - shift));
  const k0 = (turned >>> 24) & 0xff;
  const k1 = (turned >>> 16) & 0xff;
  const k2 = (turned >>> 8) & 0xff;
  const k3 = turned & 0xff;
  let i = from;
  const whole = from + ((to - from) & ~3);
  for (; i < whole; i += 4) {
    data[i]! ^= k0;
    data[i + 1]! ^= k1;
    data[i + 2]! ^= k2;
    data[i + 3]! ^= k3;
  }
  if (i < to) data[i++]! ^= k0;
  if (i < to) data[i++]! ^= k1;
  if (i < to) data[i]! ^= k2;
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
