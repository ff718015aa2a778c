// What `switchboard --help` and `switchboard <command> --help` print.

export const MAIN_HELP = `switchboard: run and manage Switchboard servers

Usage:
  switchboard start APP [--workers N] [--task-workers N] [--daemon] [--pid-file F] [--log-file F]
  switchboard run APP [--task-workers N]      one process, no supervisor (what node app.js would do)
  switchboard stop [--timeout MS]             graceful: stop accepting, goodbye, drain, exit by the deadline
  switchboard reload [--tasks-only]           rolling restart with the new code; the port never closes
  switchboard restart                         stop, then start again (as a daemon) with the same arguments
  switchboard status [--json]                 pid, uptime, each worker's pid, connections, memory, messages/s
  switchboard connect URL [--codec line]      an interactive client: tcp, tls, unix, ws, wss

APP is a module whose default export makes the server (see docs/PROCESS.md).
stop, reload, restart and status find the server through its pid file (--pid-file, default
./switchboard.pid) and the control socket beside it.

Run switchboard COMMAND --help for a command's options.
Exit codes: 0 done, 1 failed, 2 bad command line, 3 not running, 4 already running, 5 a reload runs.
`;

export const COMMAND_HELP: Readonly<Record<string, string>> = {
  start: `Usage: switchboard start APP [options]

Runs APP on a supervisor and N worker processes, each serving every endpoint of the app. A worker that dies is
replaced, with a growing delay if it keeps dying. In the foreground unless --daemon.

Options:
  --workers N          worker processes (default: the number of CPUs)
  --task-workers N     task worker threads for the app's tasks export (default: 0)
  --daemon             detach; log to --log-file; print the pid and return once the app listens
  --pid-file F         where the pid is written (default: ./switchboard.pid); the control socket is
                       F with .sock for .pid, the default log file F with .log
  --log-file F         the daemon's log (default: beside the pid file)
  --stop-timeout MS    how long a stop or a reload lets each worker drain (default: 10000)
  --distribution D     how connections reach the workers: round-robin (the supervisor holds the
                       listening sockets and hands each connection to the next worker), reuse-port
                       (each worker binds its fixed ports itself with SO_REUSEPORT: Node 22.12+),
                       or auto (default: reuse-port where this Node has it, round-robin elsewhere)
  --redis URL          many machines: the registry spans every instance through Redis
  --redis-prefix P     the Redis key prefix of this cluster: instances with the same one are one
                       cluster (default: switchboard:)
  --config F           a JSON file of these options ({"workers": 4, "task-workers": 2}); the
                       command line wins over it

Signals to the supervisor: SIGTERM / SIGINT stop, SIGUSR1 reloads, SIGUSR2 reloads the task workers.
`,
  run: `Usage: switchboard run APP [--task-workers N] [--stop-timeout MS] [--redis URL] [--redis-prefix P]

Runs APP in this one process: no supervisor, no pid file. SIGTERM / SIGINT stop it gracefully.
With --redis, this process is one node of the cluster of every instance on that Redis and prefix.
`,
  stop: `Usage: switchboard stop [--timeout MS] [--pid-file F]

Stops the server gracefully: its workers stop accepting, say the app's goodbye, drain their
connections and exit; whatever is still open after MS (default: the --stop-timeout it was started
with) is closed. Returns once the server has exited.
`,
  reload: `Usage: switchboard reload [--tasks-only] [--pid-file F]

Replaces the workers one at a time with the app file's current code: each new worker listens
before the old one stops accepting; the old one says goodbye, drains and exits. Refused while a
reload runs. --tasks-only replaces the task worker threads only.
`,
  restart: `Usage: switchboard restart [--timeout MS] [--pid-file F]

Stops the running server and starts it again, as a daemon, with the arguments it was started with.
`,
  status: `Usage: switchboard status [--json] [--pid-file F]

Shows the supervisor's pid and uptime, and each worker's pid, state, uptime, connections, memory
and messages per second. --json prints the same as one JSON object.
`,
  connect: `Usage: switchboard connect URL [--codec C] [--insecure] [--ca FILE] [--linger MS]

An interactive client (like nc or wscat): each line typed is sent as one message, each message
received is printed on its own line. Ends at end of input (Ctrl-D) or when the server closes.

URL:  tcp://HOST:PORT   tls://HOST:PORT   unix:/PATH   ws://HOST:PORT/PATH   wss://HOST:PORT/PATH
  --codec C      line (default), json, length (4-byte length field) or raw; WebSocket sends text
  --insecure     do not verify the server's TLS certificate (tls, wss)
  --ca FILE      trust this CA certificate (PEM) for tls and wss
  --linger MS    after the end of input, wait until the server is quiet this long (default: 500)
`,
};
