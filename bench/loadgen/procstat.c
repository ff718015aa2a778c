#include "procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A server may be a supervisor and its worker processes (switchboard --workers N): its CPU and
 * memory are those of the whole tree. Children are found by their parent pid in /proc/PID/stat. */
#define MAX_TREE 256

/* Reads /proc/PID/stat into buf; returns where field 3 (state) starts, or NULL. comm (field 2)
 * may hold spaces and parens, so fields are counted from the last ')'. */
static char *stat_fields(pid_t pid, char *buf, size_t size) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  size_t n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] && p[2] ? p + 2 : NULL;
}

static pid_t parent_of(pid_t pid) {
  char buf[1024];
  char *p = stat_fields(pid, buf, sizeof buf);
  if (p) p = strchr(p, ' '); /* field 4 is the parent */
  return p ? (pid_t)strtol(p + 1, NULL, 10) : -1;
}

/* The process and its descendants, breadth first; returns how many were put in tree. */
static int process_tree(pid_t root, pid_t *tree) {
  int count = 0;
  tree[count++] = root;
  DIR *proc = opendir("/proc");
  if (!proc) return count;
  pid_t all[4096][2];
  int known = 0;
  struct dirent *entry;
  while ((entry = readdir(proc)) && known < 4096) {
    char *end;
    long pid = strtol(entry->d_name, &end, 10);
    if (*end || pid <= 0) continue;
    all[known][0] = (pid_t)pid;
    all[known][1] = parent_of((pid_t)pid);
    known++;
  }
  closedir(proc);
  for (int i = 0; i < count && count < MAX_TREE; i++) {
    for (int j = 0; j < known && count < MAX_TREE; j++) {
      if (all[j][1] == tree[i]) tree[count++] = all[j][0];
    }
  }
  return count;
}

static double one_cpu_seconds(pid_t pid);
static long one_rss_kb(pid_t pid);

/* One figure summed over the process and its descendants; -1 if the process itself is unreadable
 * (a descendant that exited meanwhile adds nothing). */
static double tree_sum(pid_t pid, double (*one)(pid_t)) {
  pid_t tree[MAX_TREE];
  int n = process_tree(pid, tree);
  double total = one(pid);
  if (total < 0) return -1;
  for (int i = 1; i < n; i++) {
    double value = one(tree[i]);
    if (value > 0) total += value;
  }
  return total;
}

static double rss_as_double(pid_t pid) { return (double)one_rss_kb(pid); }

double proc_cpu_seconds(pid_t pid) { return tree_sum(pid, one_cpu_seconds); }

long proc_rss_kb(pid_t pid) { return (long)tree_sum(pid, rss_as_double); }

static double one_cpu_seconds(pid_t pid) {
  char buf[1024];
  char *p = stat_fields(pid, buf, sizeof buf); /* at field 3, state */
  if (!p) return -1;
  unsigned long long utime = 0, stime = 0;
  for (int field = 3; field <= 15 && *p; field++) {
    if (field == 14) utime = strtoull(p, NULL, 10);
    if (field == 15) stime = strtoull(p, NULL, 10);
    p = strchr(p, ' ');
    if (!p) break;
    p++;
  }
  return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static long one_rss_kb(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kb = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kb = strtol(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kb;
}
