// `npm run bench`: every workload against Switchboard's bench server and its peers, then
// BENCHMARKS.md, an SVG chart and the raw JSON. Options: see harness/cli-options.ts or --help.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { clusterSection } from './cluster/cells.js';
import { PEERS, standInSpec, switchboardSpec, switchboardWorkerSpecs } from './harness/catalogue.js';
import { renderChart } from './harness/chart.js';
import { chartLink, parseBenchOptions } from './harness/cli-options.js';
import { buildLoadgen } from './harness/loadgen.js';
import { describeMachine } from './harness/machine.js';
import { buildMatrix, type Case } from './harness/matrix.js';
import { renderReport, type SwitchboardStatus } from './harness/report.js';
import { bestOf, compare, type RunResult } from './harness/results.js';
import { Runner, type Attempt } from './harness/runner.js';
import { makeTlsFiles } from './harness/tls-material.js';
import { FULL_TIMING, QUICK_TIMING, workloads } from './harness/workloads.js';

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

/** One result per case, from all its attempts. */
function combine(cases: readonly Case[], attempts: readonly Attempt[]): RunResult[] {
  return cases.map((c) => {
    const mine = attempts.filter((a) => a.case.id === c.id);
    const ok = mine.flatMap((a) => (a.result ? [a.result] : []));
    const base = {
      id: c.id, workload: c.workload, serverId: c.server.id, serverLabel: c.server.label,
      transport: c.transport, proto: c.server.proto(c.transport), attempts: ok,
    };
    const skipped = mine.find((a) => a.unsupported)?.unsupported;
    if (skipped) return { ...base, skipped };
    const { result, spread } = bestOf(c.workload, ok);
    const error = mine.find((a) => a.error)?.error;
    return result ? { ...base, result, spread } : { ...base, error: error ?? 'no attempt' };
  });
}

async function main(): Promise<number> {
  const options = parseBenchOptions(process.argv.slice(2));
  const timing = options.quick ? QUICK_TIMING : FULL_TIMING;
  const procs = options.procs ?? cpus().length;
  const repeat = options.repeat ?? (options.quick ? 1 : 2);
  const started = Date.now();
  // Before anything is written: the files this run writes would mark the tree as changed.
  const machine = describeMachine();
  const notes: string[] = [];

  const build = buildLoadgen(log);
  const switchboard = options.standIn ? standInSpec() : switchboardSpec();
  const status: SwitchboardStatus = options.standIn ? 'stand-in' : switchboard ? 'built' : 'missing';
  if (status === 'missing') log('dist/bench/servers/switchboard-server.js not found: measuring the peers only (--stand-in tests the harness with node:net and ws in its place)');
  const servers = [...(switchboard ? [switchboard] : []), ...(options.standIn ? [] : switchboardWorkerSpecs()), ...PEERS];
  const cases = buildMatrix(workloads(options.quick), servers, { only: options.only, tls: build.tls });
  if (!build.tls) notes.push('The load generator was built without OpenSSL headers (libssl-dev), so the TLS runs were skipped.');
  // The two-node cells (bench/cluster): their own clients and processes, reported as a section.
  const runCluster = !options.standIn && (options.only === undefined || options.only.test('cluster-broadcast'));
  if (cases.length === 0 && !runCluster) {
    log('no run matches --only');
    return 2;
  }
  log(`${cases.length} cases × ${repeat} (idle ones once), ${options.quick ? 'quick' : 'full'} mode, ${procs} generator processes`);

  const tls = makeTlsFiles();
  const attempts: Attempt[] = [];
  try {
    // Idle cases run in the first pass only: each holds its connections for timing.idleHold, and
    // memory, unlike a rate, is not lowered by outside load.
    const later = cases.filter((c) => c.workload.kind !== 'idle');
    const runner = new Runner({ shareServers: options.quick, quick: options.quick, timing, procs, tls, log }, cases.length + later.length * (repeat - 1));
    // Whole passes rather than back-to-back repeats, so a burst of outside load hits one attempt of many cases, not every attempt of one.
    for (let pass = 0; pass < repeat && cases.length > 0; pass++) attempts.push(...(await runner.pass(pass === 0 ? cases : later)));
  } finally {
    tls.dispose();
  }
  const results = combine(cases, attempts);
  const cluster = runCluster ? await clusterSection(options.quick, log) : '';

  const elapsedSeconds = (Date.now() - started) / 1000;
  const chartTitle = `Switchboard${status === 'stand-in' ? ' (STAND-IN)' : ''} vs peers${options.quick ? ' (quick mode)' : ''}`;
  for (const file of [options.out, options.chart, options.json]) mkdirSync(dirname(file), { recursive: true });
  writeFileSync(options.chart, renderChart(compare(results), chartTitle));
  writeFileSync(options.out, renderReport({
    machine, quick: options.quick, timing, procs, repeat, results,
    chartLink: chartLink(options), switchboard: status, notes, elapsedSeconds,
  }) + (cluster ? `\n${cluster}` : ''));
  writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
  log(`wrote ${options.out}, ${options.chart} and ${options.json} in ${elapsedSeconds.toFixed(0)} s`);
  const failed = results.filter((r) => r.error);
  if (failed.length > 0) log(`${failed.length} case(s) failed: ${failed.map((r) => r.id).join(', ')}`);
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? error.message : String(error));
    process.exit(2);
  },
);
