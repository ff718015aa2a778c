// Loaded into every Node bench server (`node --import`): prints `memory-reduced` on stdout each
// time V8's memory reducer collects, so that the harness knows when an idle server's memory has
// settled and takes the reading then (bench/harness/runner.ts, the idle hold).
//
// Why: after a connect burst, the young generation the burst grew is given back only by the
// memory reducer, which V8 starts when it judges the allocation rate low: 8 s to over a minute
// after the burst here, and only its watchdog (100 s after the last full collection) bounds it.
// A reading at a fixed time was therefore a coin toss between "settled" and "burst" for every
// Node server alike. The reducer's collections are the ones that carry V8's "collect all
// external memory" flag (kGCCallbackFlagCollectAllExternalMemory). The only other collections
// that carry it answer external memory pressure (Buffers allocated fast), which an idle server
// does not make. The observer costs nothing until a collection happens.
import { PerformanceObserver, constants } from 'node:perf_hooks';

const REDUCER_FLAG = constants.NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY;

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const flags = (entry as { detail?: { flags?: number } }).detail?.flags ?? 0;
    if ((flags & REDUCER_FLAG) !== 0) process.stdout.write('memory-reduced\n');
  }
}).observe({ entryTypes: ['gc'] });
