#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(const char *why) {
  fprintf(stderr,
          "loadgen: %s\n"
          "usage: loadgen --proto len|ws|eio --transport tcp|tls|unix|udp (--port N[,N...] [--host H] | --path P)\n"
          "               --workload echo|bcast|idle [--conns N] [--inflight K] [--size BYTES]\n"
          "               [--senders S] [--procs P] [--warmup S] [--duration S] [--connect-timeout S]\n"
          "               [--stall S] [--max-pending N] [--server-pid PID[,PID...]] [--src A,B,...]\n",
          why);
  exit(2);
}

static int pick(const char *value, const char *const *names, int count, const char *option) {
  for (int i = 0; i < count; i++)
    if (strcmp(value, names[i]) == 0) return i;
  char msg[128];
  snprintf(msg, sizeof msg, "bad value for %s: %s", option, value);
  usage(msg);
  return -1;
}

static double number(const char *value, const char *option) {
  char *end;
  double d = strtod(value, &end);
  if (*value == 0 || *end != 0 || d < 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "bad number for %s: %s", option, value);
    usage(msg);
  }
  return d;
}

void options_parse(options_t *o, int argc, char **argv) {
  static const char *const protos[] = {"len", "ws", "eio"};
  static const char *const transports[] = {"tcp", "tls", "unix", "udp"};
  static const char *const workloads[] = {"echo", "bcast", "idle"};
  memset(o, 0, sizeof *o);
  o->host = "127.0.0.1";
  o->conns = 100;
  o->inflight = 1;
  o->size = 32;
  o->senders = 4;
  o->procs = 2;
  o->warmup = 1;
  o->duration = 3;
  o->connect_timeout = 30;
  o->stall = 2;
  o->max_pending = 64; /* keeps the server's accept backlog from overflowing into SYN retries */
  int have_proto = 0, have_workload = 0;

  for (int i = 1; i < argc; i++) {
    const char *opt = argv[i];
    if (i + 1 >= argc) usage("missing value");
    const char *v = argv[++i];
    if (!strcmp(opt, "--proto")) o->proto = pick(v, protos, 3, opt), have_proto = 1;
    else if (!strcmp(opt, "--transport")) o->transport = pick(v, transports, 4, opt);
    else if (!strcmp(opt, "--workload")) o->workload = pick(v, workloads, 3, opt), have_workload = 1;
    else if (!strcmp(opt, "--host")) o->host = v;
    else if (!strcmp(opt, "--port")) {
      /* Several ports: connection i goes to the (i mod n)th, e.g. the nodes of one cluster. */
      char *list = strdup(v);
      for (char *tok = strtok(list, ","); tok && o->nports < MAX_PORTS; tok = strtok(NULL, ","))
        o->ports[o->nports++] = (int)number(tok, opt);
      o->port = o->nports > 0 ? o->ports[0] : 0;
    }
    else if (!strcmp(opt, "--path")) o->path = v;
    else if (!strcmp(opt, "--conns")) o->conns = (int)number(v, opt);
    else if (!strcmp(opt, "--inflight")) o->inflight = (int)number(v, opt);
    else if (!strcmp(opt, "--size")) o->size = (int)number(v, opt);
    else if (!strcmp(opt, "--senders")) o->senders = (int)number(v, opt);
    else if (!strcmp(opt, "--procs")) o->procs = (int)number(v, opt);
    else if (!strcmp(opt, "--warmup")) o->warmup = number(v, opt);
    else if (!strcmp(opt, "--duration")) o->duration = number(v, opt);
    else if (!strcmp(opt, "--connect-timeout")) o->connect_timeout = number(v, opt);
    else if (!strcmp(opt, "--stall")) o->stall = number(v, opt);
    else if (!strcmp(opt, "--max-pending")) o->max_pending = (int)number(v, opt);
    else if (!strcmp(opt, "--server-pid")) {
      /* Several pids (the nodes of a cluster and their Redis): CPU and memory are their sum. */
      char *list = strdup(v);
      for (char *tok = strtok(list, ","); tok && o->nserver_pids < MAX_PORTS; tok = strtok(NULL, ","))
        o->server_pids[o->nserver_pids++] = (int)number(tok, opt);
      o->server_pid = o->nserver_pids > 0 ? o->server_pids[0] : 0;
    }
    else if (!strcmp(opt, "--src")) {
      char *list = strdup(v);
      for (char *tok = strtok(list, ","); tok && o->nsrc < MAX_SRC; tok = strtok(NULL, ","))
        o->src[o->nsrc++] = tok;
    } else usage("unknown option");
  }
  if (!have_proto || !have_workload) usage("--proto and --workload are required");
  if (o->transport == TR_UNIX ? !o->path : !o->port) usage("need --port, or --path for unix");
  if (o->conns < 1) usage("--conns must be at least 1");
  if (o->procs < 1 || o->procs > MAX_PROCS) usage("--procs out of range");
  if (o->procs > o->conns) o->procs = o->conns;
  if (o->size < 32 || o->size > 1 << 20) usage("--size must be in 32..1048576");
  if (o->inflight < 1) usage("--inflight must be at least 1");
  if (o->transport == TR_UDP && o->proto != PROTO_LEN) usage("udp carries --proto len only (one frame per datagram)");
  if (o->workload == WL_BCAST && (o->senders < 1 || o->senders > o->conns || o->senders > 4096))
    usage("--senders must be in 1..min(conns, 4096)");
  if (o->max_pending < 1) usage("--max-pending must be at least 1");
}
