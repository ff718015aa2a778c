/* Reads another process's CPU time and resident memory from /proc. */
#ifndef LOADGEN_PROCSTAT_H
#define LOADGEN_PROCSTAT_H

#include <sys/types.h>

/* utime + stime of all the threads of the process and its descendants (a supervisor and its
 * workers), in seconds; -1 if the process itself is unreadable. */
double proc_cpu_seconds(pid_t pid);
/* VmRSS of the process and its descendants, in KiB; -1 if the process itself is unreadable. */
long proc_rss_kb(pid_t pid);

#endif
