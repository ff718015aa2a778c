/* A worker process: owns a share of the connections and drives the workload on them. */
#ifndef LOADGEN_WORKER_H
#define LOADGEN_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "conn.h"
#include "options.h"
#include "shared.h"

typedef struct worker worker_t;

/* Runs worker `id` to the end of the run; its figures land in sh->results[id]. */
int worker_run(const options_t *o, shared_t *sh, int id);

/* Called by the protocol layer. */
void worker_established(worker_t *w, conn_t *c);
void worker_payload(worker_t *w, conn_t *c, const uint8_t *p, size_t n);
void worker_lost(worker_t *w, conn_t *c);

#endif
