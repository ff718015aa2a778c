/* Latency histogram with log buckets (HdrHistogram-like): 256 linear buckets, then
 * 128 sub-buckets per power of two, so any recorded value is off by < 0.8%. */
#ifndef LOADGEN_HIST_H
#define LOADGEN_HIST_H

#include <stdint.h>

#define HIST_BUCKETS 7424 /* 56 shifts * 128 + 256: covers the whole uint64 range */

typedef struct {
  uint64_t counts[HIST_BUCKETS];
} hist_t;

void hist_record(hist_t *h, uint64_t value);
void hist_merge(hist_t *into, const hist_t *from);
uint64_t hist_total(const hist_t *h);
/* Value at percentile p (0..100), as the midpoint of its bucket; 0 when empty. */
uint64_t hist_percentile(const hist_t *h, double p);
uint64_t hist_max(const hist_t *h);
double hist_mean(const hist_t *h);

#endif
