#include "hist.h"

static unsigned bucket_of(uint64_t v) {
  if (v < 256) return (unsigned)v;
  unsigned msb = 63u - (unsigned)__builtin_clzll(v);
  unsigned shift = msb - 7u;
  return shift * 128u + (unsigned)(v >> shift); /* v >> shift is in [128, 255] */
}

static uint64_t bucket_mid(unsigned i) {
  if (i < 256) return i;
  unsigned shift = i / 128u - 1u;
  uint64_t top = i - shift * 128u;
  return (top << shift) + ((1ull << shift) >> 1);
}

void hist_record(hist_t *h, uint64_t value) { h->counts[bucket_of(value)]++; }

void hist_merge(hist_t *into, const hist_t *from) {
  for (unsigned i = 0; i < HIST_BUCKETS; i++) into->counts[i] += from->counts[i];
}

uint64_t hist_total(const hist_t *h) {
  uint64_t n = 0;
  for (unsigned i = 0; i < HIST_BUCKETS; i++) n += h->counts[i];
  return n;
}

uint64_t hist_percentile(const hist_t *h, double p) {
  uint64_t total = hist_total(h);
  if (total == 0) return 0;
  uint64_t target = (uint64_t)((p / 100.0) * (double)total + 0.999999);
  if (target < 1) target = 1;
  uint64_t seen = 0;
  for (unsigned i = 0; i < HIST_BUCKETS; i++) {
    seen += h->counts[i];
    if (seen >= target) return bucket_mid(i);
  }
  return 0;
}

uint64_t hist_max(const hist_t *h) {
  for (unsigned i = HIST_BUCKETS; i-- > 0;)
    if (h->counts[i]) return bucket_mid(i);
  return 0;
}

double hist_mean(const hist_t *h) {
  double sum = 0, n = 0;
  for (unsigned i = 0; i < HIST_BUCKETS; i++) {
    if (!h->counts[i]) continue;
    sum += (double)h->counts[i] * (double)bucket_mid(i);
    n += (double)h->counts[i];
  }
  return n > 0 ? sum / n : 0;
}
