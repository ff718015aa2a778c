import { nativeAddon, type NativeAddon } from './native-addon.js';

export { NATIVE_ENV } from './native-addon.js';

/**
 * The accelerator's writer: one call that sends a whole turn's output, one non-blocking `send(2)`
 * per socket, instead of a `socket.write` (about 2 µs of JavaScript each) per socket.
 */
export interface NativeWriter {
  sendEach: NonNullable<NativeAddon['sendEach']>;
}

/** The writer, or undefined when the accelerator is not built or is turned off. */
export const nativeWriter: NativeWriter | undefined = typeof nativeAddon?.sendEach === 'function' ? (nativeAddon as NativeWriter) : undefined;
