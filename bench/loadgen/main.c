/* loadgen: an epoll load generator for the Switchboard benchmark protocol.
 *
 * The coordinator forks --procs workers that share the connections, waits until every
 * worker has established its share, then gives one start time to all of them: --warmup
 * seconds of load, then --duration seconds measured. It samples the server's CPU time
 * (/proc/PID/stat) and memory (VmRSS) at the edges of the measured window, merges the
 * workers' histograms, and prints one JSON object on stdout.
 *
 * Workloads: echo (closed loop, --inflight messages per connection), bcast (--senders
 * connections each keep one broadcast in flight until every connection has received it),
 * idle (connect only; memory is read --warmup after connecting, and again --duration later, the
 * connections still open: the second reading is the settled one). SIGUSR1 during an idle hold
 * takes the second reading at once and ends the run: the bench harness sends it once the server's
 * V8 has given back what the connect burst grew (bench/servers/memory-watch.ts), so --duration
 * is only the longest hold. "held_s" says how long the hold was.
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "hist.h"
#include "options.h"
#include "procstat.h"
#include "shared.h"
#include "worker.h"

/* SIGUSR1 alone: blocked from the start, and only ever taken by sigtimedwait (an idle hold's end). */
static sigset_t usr1_set(void) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return set;
}

/* Sleeps until t; with `until_usr1`, a SIGUSR1 ends the sleep early. */
static void sleep_until(int64_t t, int until_usr1) {
  const sigset_t usr1 = usr1_set();
  for (int64_t now = mono_ns(); now < t; now = mono_ns()) {
    struct timespec ts = {.tv_sec = (t - now) / 1000000000, .tv_nsec = (t - now) % 1000000000};
    if (!until_usr1) nanosleep(&ts, NULL);
    else if (sigtimedwait(&usr1, NULL, &ts) == SIGUSR1) return;
  }
}

/* Forgets a SIGUSR1 that came before the hold began: it is about the connect burst. */
static void drain_usr1(void) {
  const sigset_t usr1 = usr1_set();
  struct timespec zero = {0, 0};
  while (sigtimedwait(&usr1, NULL, &zero) == SIGUSR1) {
  }
}

static void raise_fd_limit(void) {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

static void kill_all(pid_t *pids, int n) {
  for (int i = 0; i < n; i++)
    if (pids[i] > 0) kill(pids[i], SIGKILL);
}

/* CPU seconds and RSS of every --server-pid process (and descendants), summed; -1 if one is unreadable. */
static double servers_cpu(const options_t *o) {
  double sum = 0;
  for (int i = 0; i < o->nserver_pids; i++) {
    double s = proc_cpu_seconds((pid_t)o->server_pids[i]);
    if (s < 0) return -1;
    sum += s;
  }
  return o->nserver_pids > 0 ? sum : -1;
}

static long servers_rss(const options_t *o) {
  long sum = 0;
  for (int i = 0; i < o->nserver_pids; i++) {
    long kb = proc_rss_kb((pid_t)o->server_pids[i]);
    if (kb < 0) return -1;
    sum += kb;
  }
  return o->nserver_pids > 0 ? sum : -1;
}

static const char *const proto_names[] = {"len", "ws", "eio"};
static const char *const transport_names[] = {"tcp", "tls", "unix", "udp"};
static const char *const workload_names[] = {"echo", "bcast", "idle"};

int main(int argc, char **argv) {
  options_t o;
  options_parse(&o, argc, argv);
  signal(SIGPIPE, SIG_IGN);
  /* The workers inherit the mask, and nothing signals them. */
  const sigset_t usr1 = usr1_set();
  sigprocmask(SIG_BLOCK, &usr1, NULL);
  if (o.workload == WL_IDLE) fputs("loadgen: connecting\n", stderr); /* from here SIGUSR1 is safe to send */
  raise_fd_limit();
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);

  shared_t *sh = mmap(NULL, sizeof(shared_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (sh == MAP_FAILED) {
    perror("loadgen: mmap");
    return 1;
  }
  for (int i = 0; i < o.procs; i++) sh->efd[i] = eventfd(0, EFD_NONBLOCK);

  long rss_before = servers_rss(&o);
  int64_t t0 = mono_ns();
  pid_t pids[MAX_PROCS] = {0};
  for (int i = 0; i < o.procs; i++) {
    pids[i] = fork();
    if (pids[i] < 0) {
      perror("loadgen: fork");
      kill_all(pids, i);
      return 1;
    }
    if (pids[i] == 0) _exit(worker_run(&o, sh, i));
  }

  while (atomic_load(&sh->workers_connected) < o.procs) {
    int status;
    pid_t done = waitpid(-1, &status, WNOHANG);
    if (done > 0) {
      fprintf(stderr, "loadgen: a worker exited while connecting\n");
      kill_all(pids, o.procs);
      return 1;
    }
    usleep(500);
  }
  int64_t t_connected = mono_ns();
  int connected = atomic_load(&sh->total_connected);
  if (connected == 0) {
    fprintf(stderr, "loadgen: no connection could be established\n");
    kill_all(pids, o.procs);
    return 1;
  }

  int64_t start = mono_ns();
  // Idle: memory is read after --warmup (the connect burst's) and again after --duration more (settled).
  double run = o.duration;
  sh->t_measure = start + (int64_t)(o.warmup * 1e9);
  sh->t_end = sh->t_measure + (int64_t)(run * 1e9);
  atomic_store(&sh->t_start, start);

  sleep_until(sh->t_measure, 0);
  double cpu0 = servers_cpu(&o);
  long rss_measure = servers_rss(&o);
  int idle = o.workload == WL_IDLE;
  if (idle) {
    drain_usr1();
    fputs("loadgen: holding\n", stderr); /* the harness signals only from here on */
  }
  sleep_until(sh->t_end, idle);
  int64_t held_until = mono_ns();
  if (held_until < sh->t_end) atomic_store(&sh->t_end, held_until);
  double cpu1 = servers_cpu(&o);
  long rss_end = servers_rss(&o);
  double held_s = (double)(held_until - sh->t_measure) / 1e9;

  int failed_workers = 0;
  for (int i = 0; i < o.procs; i++) {
    int status;
    if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) failed_workers++;
  }
  if (failed_workers) {
    fprintf(stderr, "loadgen: %d worker(s) failed\n", failed_workers);
    return 1;
  }

  static worker_result_t total;
  for (int i = 0; i < o.procs; i++) {
    worker_result_t *r = &sh->results[i];
    total.received += r->received;
    total.bytes += r->bytes;
    total.sent += r->sent;
    total.bad += r->bad;
    total.closed += r->closed;
    total.stalls += r->stalls;
    total.connected += r->connected;
    total.failed += r->failed;
    total.cpu_s += r->cpu_s;
    hist_merge(&total.latency, &r->latency);
  }
  double connect_s = (double)(t_connected - t0) / 1e9;
  double secs = run > 0 ? run : 1;
  const hist_t *h = &total.latency;
  printf("{\"proto\":\"%s\",\"transport\":\"%s\",\"workload\":\"%s\",", proto_names[o.proto],
         transport_names[o.transport], workload_names[o.workload]);
  printf("\"conns\":%d,\"inflight\":%d,\"size\":%d,\"senders\":%d,\"procs\":%d,", o.conns, o.inflight, o.size,
         o.workload == WL_BCAST ? o.senders : 0, o.procs);
  printf("\"connected\":%d,\"failed\":%d,\"connect_s\":%.4f,\"connect_rate\":%.1f,", total.connected, total.failed,
         connect_s, connect_s > 0 ? total.connected / connect_s : 0);
  printf("\"duration_s\":%.3f,\"received\":%llu,\"sent\":%llu,\"bytes\":%llu,\"rate\":%.1f,", run,
         (unsigned long long)total.received, (unsigned long long)total.sent, (unsigned long long)total.bytes,
         run > 0 ? total.received / secs : 0);
  printf("\"latency_us\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f,\"mean\":%.1f},",
         hist_percentile(h, 50) / 1e3, hist_percentile(h, 90) / 1e3, hist_percentile(h, 99) / 1e3,
         hist_percentile(h, 99.9) / 1e3, hist_max(h) / 1e3, hist_mean(h) / 1e3);
  printf("\"closed\":%llu,\"bad\":%llu,\"stalls\":%llu,", (unsigned long long)total.closed,
         (unsigned long long)total.bad, (unsigned long long)total.stalls);
  if (idle) printf("\"held_s\":%.1f,", held_s);
  printf("\"generator\":{\"cpu_s\":%.3f,\"cpu_pct\":%.1f},", total.cpu_s, run > 0 ? 100 * total.cpu_s / secs : 0);
  /* -1 when the server could not be read at both edges of the window (gone, or no --server-pid). */
  double server_cpu = cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1;
  printf("\"server\":{\"pid\":%d,\"cpu_s\":%.3f,\"cpu_pct\":%.1f,\"rss_before_kb\":%ld,\"rss_after_kb\":%ld,"
         "\"rss_end_kb\":%ld}}\n",
         o.server_pid, server_cpu, server_cpu >= 0 && run > 0 ? 100 * server_cpu / secs : -1, rss_before, rss_measure,
         rss_end);
  return 0;
}
