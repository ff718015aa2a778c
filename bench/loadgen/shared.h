/* Memory shared by the coordinator and its worker processes (an anonymous MAP_SHARED
 * mapping made before fork): the start signal, broadcast completion counters, results. */
#ifndef LOADGEN_SHARED_H
#define LOADGEN_SHARED_H

#include <stdatomic.h>
#include <stdint.h>

#include "hist.h"
#include "options.h"

#define MAX_SENDERS 4096

/* A broadcast is complete once every connection, in any worker, has received it: receivers
 * count deliveries of the sender's current sequence number here. */
typedef struct {
  _Atomic uint32_t seq;
  _Atomic uint32_t delivered;
} sender_slot_t;

typedef struct {
  uint64_t received;  /* messages received inside the measured window */
  uint64_t bytes;     /* payload bytes of those */
  uint64_t sent;      /* messages sent inside the measured window */
  uint64_t bad;       /* messages of the wrong size or shape */
  uint64_t closed;    /* established connections lost during the run */
  uint64_t stalls;    /* broadcasts given up on after --stall seconds */
  int connected;
  int failed;
  double cpu_s;       /* this worker's own CPU time inside the measured window */
  hist_t latency;     /* nanoseconds, from the timestamp inside the payload */
} worker_result_t;

typedef struct {
  _Atomic int workers_connected; /* workers done establishing their connections */
  _Atomic int total_connected;
  _Atomic int64_t t_start;       /* 0 until the coordinator says go; then the times below hold */
  int64_t t_measure;
  _Atomic int64_t t_end;         /* brought forward when an idle hold ends early (SIGUSR1) */
  int efd[MAX_PROCS];            /* eventfd per worker: "one of your broadcasts completed" */
  sender_slot_t slots[MAX_SENDERS];
  worker_result_t results[MAX_PROCS];
} shared_t;

#endif
