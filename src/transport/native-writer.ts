import { nativeAddon, type NativeAddon } from './native-addon.js';

export { IO_URING_ENV, NATIVE_ENV } from './native-addon.js';

/**
 * The accelerator's writer: one call that sends a whole turn's output, one non-blocking send per
 * socket (on Linux all in one io_uring entry into the kernel), instead of a `socket.write` (about
 * 2 µs of JavaScript each) per socket.
 */
export interface NativeWriter {
  sendEach: NonNullable<NativeAddon['sendEach']>;
}

/** How the writer's batches enter the kernel: `io_uring`, `send` (one send(2) each), or `none` without the accelerator. */
export function nativeSendPath(): 'io_uring' | 'send' | 'none' {
  if (nativeWriter === undefined) return 'none';
  return nativeAddon?.sendPath?.() ?? 'send';
}

/** The writer, or undefined when the accelerator is not built or is turned off. */
export const nativeWriter: NativeWriter | undefined = typeof nativeAddon?.sendEach === 'function' ? (nativeAddon as NativeWriter) : undefined;
