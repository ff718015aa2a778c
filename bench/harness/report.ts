// BENCHMARKS.md: header, method, chart, one table per workload, and the generator check.
import { integer, kib, micros, percent, times } from './format.js';
import type { Machine } from './machine.js';
import { compare, ratePerCpuSecond, rssPerConnKiB, type Comparison, type RunResult } from './results.js';
import { describe, REDUCER_ROUNDS_MS, type Timing } from './workloads.js';

export type SwitchboardStatus = 'built' | 'stand-in' | 'missing';

export interface ReportInput {
  readonly machine: Machine;
  readonly quick: boolean;
  readonly timing: Timing;
  readonly procs: number;
  readonly repeat: number;
  readonly results: readonly RunResult[];
  readonly chartLink: string;
  readonly switchboard: SwitchboardStatus;
  readonly notes: readonly string[];
  readonly elapsedSeconds: number;
}

function problems(r: RunResult): string {
  if (r.error) return `failed: ${(r.error.split('\n')[0] ?? '').slice(0, 160).replace(/\|/g, '/')}`;
  const x = r.result;
  if (!x) return '';
  const list: string[] = [];
  if (x.failed) list.push(`${integer(x.failed)} conns failed`);
  if (x.closed) list.push(`${integer(x.closed)} conns lost`);
  if (x.stalls) list.push(`${integer(x.stalls)} broadcasts stalled`);
  if (x.bad) list.push(`${integer(x.bad)} bad messages`);
  return list.join(', ');
}

function name(r: RunResult): string {
  return r.serverId === 'switchboard' ? `**${r.serverLabel}**` : r.serverLabel;
}

function spread(r: RunResult): string {
  return r.spread === undefined ? '—' : `${(r.spread * 100).toFixed(0)}%`;
}

function loadTable(runs: readonly RunResult[], comparisons: readonly Comparison[], repeat: number): string[] {
  const unit = runs[0]?.workload.kind === 'bcast' ? 'Deliveries/s' : 'Messages/s';
  const lines = [
    `| Server | Transport | ${unit} | Spread | p50 | p99 | Server CPU | Per server CPU-second | Generator CPU | Switchboard ÷ this: rate | Switchboard ÷ this: p99 | Notes |`,
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  for (const r of runs) {
    const x = r.result;
    const c = comparisons.find((k) => k.peer.id === r.id);
    const perCpu = x ? ratePerCpuSecond(x) : undefined;
    const cells = x
      ? [integer(x.rate), repeat > 1 ? spread(r) : '—', micros(x.latency_us.p50), micros(x.latency_us.p99), percent(x.server.cpu_pct),
        perCpu === undefined ? 'n/a' : integer(perCpu), percent(x.generator.cpu_pct)]
      : ['—', '—', '—', '—', '—', '—', '—'];
    const ratios = r.serverId === 'switchboard' ? ['—', '—'] : [times(c?.rate), times(c?.p99)];
    lines.push(`| ${name(r)} | ${r.transport} | ${[...cells, ...ratios, problems(r)].join(' | ')} |`);
  }
  return lines;
}

/** An idle hold that ran to its longest: V8's memory reducer was not seen to collect. */
function heldToTheEnd(x: NonNullable<RunResult['result']>, timing: Timing): boolean {
  return (x.held_s ?? timing.idleHold) >= timing.idleHold - 0.5;
}

function idleTable(runs: readonly RunResult[], comparisons: readonly Comparison[], timing: Timing): string[] {
  const burst = `${timing.warmup} s`;
  const lines = [
    `| Server | Transport | Connected | Connect rate | RSS before | RSS at ${burst} | RSS settled | Settled after | RSS per connection at ${burst} | **RSS per connection, settled** | Switchboard ÷ this: RSS/conn at ${burst} | Switchboard ÷ this: **RSS/conn, settled** | Switchboard ÷ this: connect rate | Notes |`,
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|',
  ];
  const mib = (kb: number): string => `${(kb / 1024).toFixed(1)} MiB`;
  for (const r of runs) {
    const x = r.result;
    const c = comparisons.find((k) => k.peer.id === r.id);
    const cells = x
      ? [integer(x.connected), `${integer(x.connect_rate)}/s`, mib(x.server.rss_before_kb), mib(x.server.rss_after_kb), mib(x.server.rss_end_kb),
        `${(timing.warmup + (x.held_s ?? timing.idleHold)).toFixed(1)} s`, kib(rssPerConnKiB(x, 'burst')), kib(rssPerConnKiB(x))]
      : ['—', '—', '—', '—', '—', '—', '—', '—'];
    const ratios = r.serverId === 'switchboard' ? ['—', '—', '—'] : [times(c?.rssPerConnBurst), times(c?.rssPerConn), times(c?.connectRate)];
    const notes = [problems(r), x && heldToTheEnd(x, timing) ? `no memory-reducing collection within ${timing.idleHold} s` : ''].filter(Boolean).join(', ');
    lines.push(`| ${name(r)} | ${r.transport} | ${[...cells, ...ratios, notes].join(' | ')} |`);
  }
  return lines;
}

/** Shows the generator is not the limit: the fastest peer is driven far harder than the
 * others on the same workload, and the generator's own CPU is given for every fastest run. */
function generatorCheck(results: readonly RunResult[], procs: number): string[] {
  const load = results.filter((r) => r.result && r.workload.kind !== 'idle');
  const rate = (r: RunResult): number => r.result?.rate ?? 0;
  const peers = load.filter((r) => !r.serverId.startsWith('switchboard')).sort((a, b) => rate(b) - rate(a));
  const top = peers[0];
  if (!top?.result) return ['No peer run completed.'];
  const lines = [
    `Fastest peer: **${top.serverLabel}** over ${top.transport} on "${describe(top.workload)}": **${integer(rate(top))}/s**, ` +
      `with the generator at ${percent(top.result.generator.cpu_pct)} CPU and the server at ${percent(top.result.server.cpu_pct)} ` +
      `(100% = one core; ${procs} generator processes share the ${procs} cores with the server). The same generator, same workload, drove:`,
    '',
  ];
  for (const r of load.filter((x) => x.workload.id === top.workload.id && x.id !== top.id).sort((a, b) => rate(b) - rate(a))) {
    lines.push(`- ${r.serverLabel} over ${r.transport}: ${integer(rate(r))}/s (${times(rate(r) / rate(top))}), server CPU ${percent(r.result!.server.cpu_pct)}, generator CPU ${percent(r.result!.generator.cpu_pct)}`);
  }
  lines.push('', 'The fastest run of each workload, and the generator\'s CPU in it:', '',
    '| Workload | Fastest | Rate | Server CPU | Generator CPU |', '|---|---|--:|--:|--:|');
  const seen = new Set<string>();
  for (const r of [...load].sort((a, b) => rate(b) - rate(a))) {
    if (seen.has(r.workload.id)) continue;
    seen.add(r.workload.id);
    lines.push(`| ${describe(r.workload)} | ${r.serverLabel} over ${r.transport} | ${integer(rate(r))}/s | ${percent(r.result!.server.cpu_pct)} | ${percent(r.result!.generator.cpu_pct)} |`);
  }
  lines.push('', 'A generator that reaches these rates is not what holds the slower servers down. A server near 100% is saturated ' +
    '(Node runs JavaScript on one thread); where server and generator together fill both cores, the machine is the limit.');
  return lines;
}

function describeNativeSends(path: string): string {
  if (path === 'io_uring') return "io_uring (a turn's sends in one entry into the kernel)";
  if (path === 'send') return 'one `send(2)` per socket';
  if (path === 'none') return 'none (the accelerator is not built or is turned off)';
  return path;
}

export function renderReport(input: ReportInput): string {
  const { machine: m, results } = input;
  const comparisons = compare(results);
  const sbNote = {
    built: 'Switchboard: `bench/servers/switchboard-server.ts`, at the commit above.',
    'stand-in': '**Switchboard is a STAND-IN here** (node:net for tcp/tls/unix, ws for ws): these figures test the harness, not Switchboard.',
    missing: '**Switchboard\'s bench server was not built**, so only the peers were measured.',
  }[input.switchboard];
  const t = input.timing;
  const lines: string[] = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${input.quick ? ' -- --quick' : ''}\`. Measured on a small shared machine: read the figures as ratios, not absolutes.` +
      (input.quick ? ' **Quick mode**: short runs and few connections, to prove the suite works; the figures mean little.' : ''),
    '',
    '## Machine',
    '',
    `- Date: ${m.date}`,
    `- Commit: ${m.commit}`,
    `- CPU: ${m.cores} cores, ${m.cpuModel}; ${m.memoryGiB} GiB memory; Linux ${m.kernel}`,
    `- Node.js ${m.node}; peers: ${Object.entries(m.peers).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- ${sbNote}${input.switchboard === 'built' ? ` Its native writer's sends: ${describeNativeSends(m.nativeSends)}.` : ''}`,
    `- The whole run took ${Math.round(input.elapsedSeconds)} s.`,
    '',
    '## Method',
    '',
    `- Every server speaks DESIGN.md's benchmark protocol: a 4-byte big-endian length prefix over tcp, tls and unix; WebSocket text frames on \`/\`; for socket.io, events \`echo\` and \`bcast\`. ` +
      (input.quick ? 'Quick mode starts one server process per server and transport.' : 'Each attempt starts a fresh server process.'),
    `- The load generator is \`bench/loadgen\` (C, epoll, OpenSSL for TLS), ${input.procs} processes separate from the server. All connections are established first (TCP: one echo round trip each, so the server has surely accepted them; WebSocket: the upgrade; socket.io: the namespace connect). Then ${t.warmup} s of warm-up load, then ${t.duration} s measured.`,
    `- ${input.repeat > 1 ? `Each case runs ${input.repeat} times, in separate passes over the whole matrix; the table keeps the best attempt (outside load only ever lowers a figure) and "Spread" is how far the worst fell below it.` : 'Each case runs once.'}`,
    '- Echo is a closed loop: each connection keeps its number of messages in flight. Broadcast: each in-flight broadcast comes from its own connection, which sends the next one once every connection has received it; the rate counts deliveries.',
    `- Latency: from the send timestamp inside the payload to its receipt, in a log-bucket histogram (< 1% error). CPU: CPU seconds per second measured, from \`/proc/PID/stat\` (100% = one core). "Per server CPU-second" is the rate divided by the server's CPU share: what the server does with the CPU it got. Memory (idle connections): the server's VmRSS before connecting, ${input.timing.warmup} s after the last connection (the connect burst's garbage still counted), and settled, the connections still open and idle: ${REDUCER_ROUNDS_MS / 1000} s after V8's memory reducer first collected in the server (it gives back the young generation the burst grew), or ${input.timing.warmup + input.timing.idleHold} s after the last connection if it did not. The ratio is on the settled figure. Idle cases run in the first pass only.`,
    '- "Switchboard ÷ this": above 1× Switchboard has more throughput; for p99 and memory, below 1× Switchboard is better.',
    '',
    `![Switchboard against its peers](${input.chartLink})`,
    '',
  ];
  const shown = results.filter((r) => !r.skipped);
  const seen = new Set<string>();
  for (const r of shown) {
    if (seen.has(r.workload.id)) continue;
    seen.add(r.workload.id);
    const runs = shown.filter((x) => x.workload.id === r.workload.id);
    lines.push(`## ${describe(r.workload)}`, '');
    lines.push(...(r.workload.kind === 'idle' ? idleTable(runs, comparisons, input.timing) : loadTable(runs, comparisons, input.repeat)), '');
  }
  lines.push('## Is the generator the bottleneck?', '', ...generatorCheck(results, input.procs), '');
  lines.push('## Notes', '');
  lines.push('- uWebSockets.js v20.30 has no raw TCP server, so on tcp, tls and unix Switchboard is compared with node:net (naive, and corked per turn with frames written as views: the floor) only; on WebSocket with ws, socket.io and uWebSockets.js.');
  lines.push(`- With ${m.cores} cores, the server and the generator compete for CPU: figures are comparable within this report, not with other machines.`);
  const skipped = [...new Set(results.flatMap((r) => (r.skipped ? [r.skipped] : [])))];
  for (const s of skipped) lines.push(`- Not measured: ${s}.`);
  for (const n of input.notes) lines.push(`- ${n}`);
  lines.push('');
  return lines.join('\n');
}
