// The servers under comparison, and which wire protocol the generator speaks to each.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchTransport } from '../servers/server-args.js';
import { SERVERS_DIR } from './paths.js';

/** len: 4-byte length prefix; ws: WebSocket text frames; eio: socket.io over WebSocket. */
export type Proto = 'len' | 'ws' | 'eio';

export type ServerId = 'switchboard' | 'switchboard-w1' | 'switchboard-w2' | 'net' | 'net-corked' | 'dgram' | 'ws' | 'socketio' | 'uws';

export interface ServerSpec {
  readonly id: ServerId;
  readonly label: string;
  /** Transports it is benchmarked on. */
  readonly transports: readonly BenchTransport[];
  readonly proto: (transport: BenchTransport) => Proto;
  /** Compiled program run for a transport. */
  readonly script: (transport: BenchTransport) => string;
  /** More arguments for the program (`--workers N`). */
  readonly args?: readonly string[];
  /** Only these workloads (by id); all when absent. */
  readonly workloads?: readonly string[];
}

const script = (name: string) => (): string => join(SERVERS_DIR, `${name}.js`);
const wsOrLen = (t: BenchTransport): Proto => (t === 'ws' || t === 'wss' ? 'ws' : 'len');

export const PEERS: readonly ServerSpec[] = [
  { id: 'net', label: 'node:net', transports: ['tcp', 'tls', 'unix'], proto: () => 'len', script: script('net-server') },
  // The floor: the same server corked per turn, frames written as views of what was read.
  { id: 'net-corked', label: 'node:net corked', transports: ['tcp', 'tls', 'unix'], proto: () => 'len', script: script('corked-net-server') },
  // UDP: one len frame per datagram, echo only (a datagram lost has no retransmission to wait for).
  { id: 'dgram', label: 'node:dgram', transports: ['udp'], proto: () => 'len', script: script('dgram-server') },
  { id: 'ws', label: 'ws', transports: ['ws'], proto: () => 'ws', script: script('ws-server') },
  { id: 'socketio', label: 'socket.io', transports: ['ws'], proto: () => 'eio', script: script('socketio-server') },
  // uWebSockets.js v20.30 has no raw TCP server: it is compared on WebSocket only.
  { id: 'uws', label: 'uWebSockets.js', transports: ['ws'], proto: () => 'ws', script: script('uws-server') },
];

const SWITCHBOARD_TRANSPORTS: readonly BenchTransport[] = ['tcp', 'tls', 'unix', 'ws', 'udp'];

/** Switchboard's own bench server, if it has been built. */
export function switchboardSpec(): ServerSpec | undefined {
  const file = join(SERVERS_DIR, 'switchboard-server.js');
  if (!existsSync(file)) return undefined;
  return { id: 'switchboard', label: 'Switchboard', transports: SWITCHBOARD_TRANSPORTS, proto: wsOrLen, script: () => file };
}

/**
 * Switchboard's bench server on a supervisor and N workers (`--workers N`), on tcp and ws: the
 * "workers on one machine" shape beside the one process. A broadcast reaches the connections of
 * every worker through the IPC cluster engine.
 */
export function switchboardWorkerSpecs(): ServerSpec[] {
  const single = switchboardSpec();
  if (!single) return [];
  return ([1, 2] as const).map((n) => ({
    ...single,
    id: `switchboard-w${n}` as const,
    label: `Switchboard, ${n} worker${n === 1 ? '' : 's'}`,
    transports: ['tcp', 'ws'],
    args: ['--workers', String(n)],
    workloads: ['echo', 'echo-pipelined', 'bcast', 'push-across'],
  }));
}

/** Stands in for Switchboard with node:net (tcp/tls/unix) and ws, to test the harness itself. */
export function standInSpec(): ServerSpec {
  return {
    id: 'switchboard',
    label: 'Switchboard (stand-in)',
    transports: SWITCHBOARD_TRANSPORTS,
    proto: wsOrLen,
    script: (t) => join(SERVERS_DIR, t === 'ws' || t === 'wss' ? 'ws-server.js' : t === 'udp' ? 'dgram-server.js' : 'net-server.js'),
  };
}

/** The peer a Switchboard figure is set against: same transport, and for ws every ws peer. */
export function comparable(peer: ServerSpec, transport: BenchTransport): boolean {
  return !peer.id.startsWith('switchboard') && peer.transports.includes(transport);
}
