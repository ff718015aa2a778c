#include "procstat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A server may be a supervisor and its worker processes (switchboard --workers N): its CPU and
 * memory are those of the whole tree. Children are found by their parent pid in /proc/PID/stat. */
#define MAX_TREE 256

static pid_t parent_of(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p || !p[1] || !p[2]) return -1;
  p += 2; /* field 3, state; field 4 is the parent */
  p = strchr(p, ' ');
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

double proc_cpu_seconds(pid_t pid) {
  pid_t tree[MAX_TREE];
  int n = process_tree(pid, tree);
  double total = one_cpu_seconds(pid);
  if (total < 0) return -1;
  for (int i = 1; i < n; i++) {
    double cpu = one_cpu_seconds(tree[i]);
    if (cpu > 0) total += cpu;
  }
  return total;
}

long proc_rss_kb(pid_t pid) {
  pid_t tree[MAX_TREE];
  int n = process_tree(pid, tree);
  long total = one_rss_kb(pid);
  if (total < 0) return -1;
  for (int i = 1; i < n; i++) {
    long kb = one_rss_kb(tree[i]);
    if (kb > 0) total += kb;
  }
  return total;
}

static double one_cpu_seconds(pid_t pid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  /* comm (field 2) may hold spaces and parens: count fields from the last ')'. */
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  p += 2; /* now at field 3, state */
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
