import { createRequire } from 'node:module';

/**
 * The optional native accelerator (`native/`, built at install where a C compiler exists): one
 * call that sends a whole turn's output, one non-blocking `send(2)` per socket, instead of a
 * `socket.write` (about 2 µs of JavaScript each) per socket. Never required: without it, or with
 * `SWITCHBOARD_NATIVE=0` in the environment, every write goes through `socket.write`.
 */
export interface NativeWriter {
  /** For i < count: sends buffers[i] on fds[i]; result[i] = bytes the kernel took, or -errno. */
  sendEach(fds: Int32Array, buffers: readonly Buffer[], count: number, result: Int32Array): void;
}

/** `SWITCHBOARD_NATIVE=0` turns the accelerator off (the pure-JavaScript path, as CI tests it). */
export const NATIVE_ENV = 'SWITCHBOARD_NATIVE';

function load(): NativeWriter | undefined {
  if (process.env[NATIVE_ENV] === '0' || process.platform === 'win32') return undefined;
  try {
    // From dist/src/transport/ (and src/transport/ under a TypeScript loader) up to the package root.
    const addon = createRequire(import.meta.url)('../../../native/build/switchboard-native.node') as Partial<NativeWriter>;
    return typeof addon.sendEach === 'function' ? (addon as NativeWriter) : undefined;
  } catch {
    return undefined;
  }
}

/** The accelerator, or undefined when it is not built or is turned off. */
export const nativeWriter: NativeWriter | undefined = load();
