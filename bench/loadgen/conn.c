#include "conn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint8_t *buf_put(buf_t *b, size_t n) {
  if (b->len + n > b->cap) {
    if (b->off > 0) buf_compact(b);
    if (b->len + n > b->cap) {
      size_t cap = b->cap ? b->cap : 256;
      while (cap < b->len + n) cap *= 2;
      uint8_t *data = realloc(b->data, cap);
      if (!data) {
        perror("loadgen: realloc");
        exit(1);
      }
      b->data = data;
      b->cap = cap;
    }
  }
  uint8_t *at = b->data + b->len;
  b->len += n;
  return at;
}

void buf_append(buf_t *b, const void *p, size_t n) { memcpy(buf_put(b, n), p, n); }

void buf_compact(buf_t *b) {
  if (b->off == 0) return;
  memmove(b->data, b->data + b->off, b->len - b->off);
  b->len -= b->off;
  b->off = 0;
}

void buf_free(buf_t *b) {
  free(b->data);
  b->data = NULL;
  b->off = b->len = b->cap = 0;
}
