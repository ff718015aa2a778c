import { createRequire } from 'node:module';

/**
 * The optional native accelerator (`native/`, built at install where a C compiler exists): a few
 * C functions for what Node's JavaScript does slowest on the hot path. Never required: without
 * it, or with `SWITCHBOARD_NATIVE=0` in the environment, every caller takes its JavaScript path.
 * Each function is picked by its user (native-writer.ts, native-reader.ts, websocket/mask.ts), so that an addon built
 * by an older version, lacking one, turns off only that piece.
 */
export interface NativeAddon {
  /**
   * For i < count: sends buffers[i] on fds[i], in order, never blocking; result[i] = bytes the
   * kernel took, or -errno. On Linux a call's sends enter the kernel once, through io_uring.
   */
  sendEach?: (fds: Int32Array, buffers: readonly Buffer[], count: number, result: Int32Array) => void;
  /**
   * How sendEach sends a batch here: `io_uring` (Linux where the kernel allows it), or `send`, one
   * send(2) per socket (elsewhere, or with `SWITCHBOARD_IO_URING=0` in the environment).
   */
  sendPath?: () => 'io_uring' | 'send';
  /** XORs `data` in place with the masking key given as a big-endian 32-bit number. */
  unmask?: (data: Buffer, key: number) => void;
  /**
   * Linux: opens the native reader (native-reader.ts): `onBatch(count)` gets `count` entries of
   * (id, offset in the slab, length or -1) in `entries`; `state` is [bytes of the slab used, its length].
   */
  readerOpen?: (onBatch: (count: number) => void, entries: Int32Array, state: Int32Array) => boolean;
  /** The slab reads land in from now (state[0] = 0, state[1] = its length). */
  readerSlab?: (slab: Buffer) => void;
  /** Starts (`on`) or stops reading socket `fd`, known as `id`; false if the kernel refused. */
  readerWatch?: (id: number, fd: number, on: boolean) => boolean;
}

/** `SWITCHBOARD_NATIVE=0` turns the accelerator off (the pure-JavaScript path, as CI tests it). */
export const NATIVE_ENV = 'SWITCHBOARD_NATIVE';

/**
 * `SWITCHBOARD_IO_URING=0` keeps the accelerator's sends on send(2), one per socket (read by the
 * addon). `test-parked-sends` is for the addon's own test of its cancel path only.
 */
export const IO_URING_ENV = 'SWITCHBOARD_IO_URING';

function load(): NativeAddon | undefined {
  if (process.env[NATIVE_ENV] === '0' || process.platform === 'win32') return undefined;
  try {
    // From dist/src/transport/ (and src/transport/ under a TypeScript loader) up to the package root.
    return createRequire(import.meta.url)('../../../native/build/switchboard-native.node') as NativeAddon;
  } catch {
    return undefined;
  }
}

/** The addon, or undefined when it is not built or is turned off. */
export const nativeAddon: NativeAddon | undefined = load();
