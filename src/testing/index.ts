/// <reference types="node" preserve="true" />
// `switchboard/testing`: helpers for testing codecs of your own, the ones Switchboard's own codec
// tests use. Imported separately so that applications never load them.

export { feed, cutAt, everySplit, assertEverySplit, assertFuzzSafe, FUZZ_DEFAULTS, type FuzzOptions } from './codec-harness.js';
export { ChunkList } from '../codec/chunk-list.js';
