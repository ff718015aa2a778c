// Options of `npm run bench -- ...`.
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface BenchOptions {
  /** Short runs and fewer connections, for CI: proves the suite works, measures little. */
  readonly quick: boolean;
  /** Markdown report. @default BENCHMARKS.md at the repo root */
  readonly out: string;
  /** SVG chart. @default bench/chart.svg for the default report, else <out>.svg */
  readonly chart: string;
  /** Raw results. @default bench/results/latest.json, else <out>.json */
  readonly json: string;
  /** Runs whose id (`workload/server/transport`) matches this regular expression. */
  readonly only: RegExp | undefined;
  /** Run node:net (tcp/tls/unix) and ws in Switchboard's place: tests the harness, and since the
   * stand-in is the very program it is compared with, its ratios show the noise floor. */
  readonly standIn: boolean;
  /** Generator worker processes. @default one per core */
  readonly procs: number | undefined;
  /** Attempts per case, the best kept. @default 2, or 1 with --quick */
  readonly repeat: number | undefined;
}

const USAGE = `usage: node dist/bench/run.js [--quick] [--out FILE.md] [--chart FILE.svg] [--only REGEX]
                                [--stand-in] [--procs N] [--repeat N]`;

export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let standIn = false;
  let out: string | undefined;
  let chart: string | undefined;
  let only: RegExp | undefined;
  let procs: number | undefined;
  let repeat: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value\n${USAGE}`);
      return v;
    };
    switch (arg) {
      case '--quick': quick = true; break;
      case '--stand-in': standIn = true; break;
      case '--out': out = resolve(value()); break;
      case '--chart': chart = resolve(value()); break;
      case '--only': only = new RegExp(value()); break;
      case '--procs': procs = Number(value()); break;
      case '--repeat': repeat = Number(value()); break;
      case '--help': process.stdout.write(`${USAGE}\n`); process.exit(0); break;
      default: throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  if (procs !== undefined && (!Number.isInteger(procs) || procs < 1 || procs > 16)) {
    throw new Error(`--procs must be an integer in 1..16, got ${procs}`);
  }
  if (repeat !== undefined && (!Number.isInteger(repeat) || repeat < 1 || repeat > 10)) {
    throw new Error(`--repeat must be an integer in 1..10, got ${repeat}`);
  }
  const report = out ?? join(REPO_ROOT, 'BENCHMARKS.md');
  const stem = report.replace(/\.md$/i, '');
  return {
    quick,
    standIn,
    out: report,
    chart: chart ?? (out === undefined ? join(REPO_ROOT, 'bench', 'chart.svg') : `${stem}.svg`),
    json: out === undefined ? join(REPO_ROOT, 'bench', 'results', 'latest.json') : `${stem}.json`,
    only,
    procs,
    repeat,
  };
}

/** A link from the report to the chart, relative when they share a tree. */
export function chartLink(options: BenchOptions): string {
  const rel = relative(dirname(options.out), options.chart);
  return isAbsolute(rel) ? options.chart : rel.split('\\').join('/');
}
