/* Command line of the load generator; every default is set in options_parse. */
#ifndef LOADGEN_OPTIONS_H
#define LOADGEN_OPTIONS_H

#define MAX_PROCS 16
#define MAX_SRC 16
#define MAX_PORTS 8

typedef enum { PROTO_LEN, PROTO_WS, PROTO_EIO } proto_t;
typedef enum { TR_TCP, TR_TLS, TR_UNIX, TR_UDP } transport_t;
typedef enum { WL_ECHO, WL_BCAST, WL_IDLE } workload_t;

typedef struct {
  proto_t proto;          /* len: 4-byte BE length prefix; ws: WebSocket text frames; eio: socket.io */
  transport_t transport;  /* byte stream under the protocol; udp: one len frame per datagram */
  workload_t workload;
  const char *host;
  int port;              /* the first of ports */
  int ports[MAX_PORTS];   /* --port A,B,...: connection i goes to ports[i % nports] (nodes of one cluster) */
  int nports;
  const char *path;       /* unix socket path; also the WebSocket request path otherwise */
  int conns;              /* connections, split across the worker processes */
  int inflight;           /* echo: messages in flight per connection */
  int size;               /* payload bytes, at least 32 */
  int senders;            /* broadcast: connections that broadcast, one broadcast in flight each */
  int procs;              /* worker processes */
  double warmup;          /* seconds of load before measuring */
  double duration;        /* seconds measured */
  double connect_timeout; /* seconds for all connections to be established */
  double stall;           /* broadcast: seconds before an incomplete broadcast is given up */
  int max_pending;        /* connections being established at once, per worker */
  int server_pid;         /* process whose CPU and memory are sampled; 0 for none */
  int server_pids[MAX_PORTS]; /* --server-pid A,B,...: every process of a cluster, summed */
  int nserver_pids;
  const char *src[MAX_SRC]; /* source addresses to spread connections over (TCP/TLS) */
  int nsrc;
} options_t;

/* Parses argv into o; prints usage and exits on a bad option. */
void options_parse(options_t *o, int argc, char **argv);

#endif
