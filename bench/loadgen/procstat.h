/* Reads another process's CPU time and resident memory from /proc. */
#ifndef LOADGEN_PROCSTAT_H
#define LOADGEN_PROCSTAT_H

#include <sys/types.h>

/* utime + stime of all the process's threads, in seconds; -1 if unreadable. */
double proc_cpu_seconds(pid_t pid);
/* VmRSS in KiB; -1 if unreadable. */
long proc_rss_kb(pid_t pid);

#endif
