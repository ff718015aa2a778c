// The runs to make: every workload × every server × each transport that server is measured on.
import type { BenchTransport } from '../servers/server-args.js';
import type { ServerSpec } from './catalogue.js';
import type { Workload } from './workloads.js';

export interface Case {
  /** `workload/server/transport`, what `--only` matches. */
  readonly id: string;
  readonly workload: Workload;
  readonly server: ServerSpec;
  readonly transport: BenchTransport;
}

export interface MatrixFilter {
  readonly only: RegExp | undefined;
  /** Whether the generator can speak TLS (it was built with OpenSSL). */
  readonly tls: boolean;
}

export function buildMatrix(list: readonly Workload[], servers: readonly ServerSpec[], filter: MatrixFilter): Case[] {
  const cases: Case[] = [];
  for (const workload of list) {
    for (const server of servers) {
      if (server.workloads && !server.workloads.includes(workload.id)) continue;
      if (workload.onlyFor && !workload.onlyFor.some((prefix) => server.id.startsWith(prefix))) continue;
      for (const transport of server.transports) {
        const id = `${workload.id}/${server.id}/${transport}`;
        if (filter.only && !filter.only.test(id)) continue;
        if (!filter.tls && (transport === 'tls' || transport === 'wss')) continue;
        // UDP is measured on the one-in-flight echo: with more in flight than a socket buffer
        // holds, the kernel drops datagrams and the figure would measure loss, not the server.
        if (transport === 'udp' && workload.id !== 'echo') continue;
        cases.push({ id, workload, server, transport });
      }
    }
  }
  return cases;
}
