// Builds the C load generator when it is missing or older than its sources, and runs it.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Proto } from './catalogue.js';
import { LOADGEN_BIN, LOADGEN_DIR } from './paths.js';

/** The JSON object the generator prints (see bench/loadgen/main.c). */
export interface LoadgenResult {
  readonly proto: Proto;
  readonly transport: 'tcp' | 'tls' | 'unix' | 'udp';
  readonly workload: 'echo' | 'bcast' | 'idle';
  readonly conns: number;
  readonly connected: number;
  readonly failed: number;
  readonly connect_s: number;
  readonly connect_rate: number;
  readonly duration_s: number;
  readonly received: number;
  readonly sent: number;
  readonly rate: number;
  readonly latency_us: { readonly p50: number; readonly p90: number; readonly p99: number; readonly p999: number; readonly max: number; readonly mean: number };
  readonly closed: number;
  readonly bad: number;
  readonly stalls: number;
  /** Idle: seconds between the two memory readings (--duration, or less if SIGUSR1 ended the hold). */
  readonly held_s?: number;
  readonly generator: { readonly cpu_s: number; readonly cpu_pct: number };
  readonly server: {
    readonly pid: number;
    readonly cpu_s: number;
    readonly cpu_pct: number;
    readonly rss_before_kb: number;
    readonly rss_after_kb: number;
    readonly rss_end_kb: number;
  };
}

export interface LoadgenBuild {
  readonly tls: boolean;
}

/** `cc -O2` the generator if needed; without OpenSSL headers it is built without TLS. */
export function buildLoadgen(log: (line: string) => void): LoadgenBuild {
  const sources = readdirSync(LOADGEN_DIR).filter((f) => f.endsWith('.c') || f.endsWith('.h'));
  const tls = existsSync('/usr/include/openssl/ssl.h');
  const newest = Math.max(...sources.map((f) => statSync(join(LOADGEN_DIR, f)).mtimeMs));
  if (existsSync(LOADGEN_BIN) && statSync(LOADGEN_BIN).mtimeMs >= newest) return { tls: probeTls() };
  const cfiles = sources.filter((f) => f.endsWith('.c'));
  const args = ['-O2', '-std=gnu11', '-Wall', '-o', 'loadgen', ...cfiles];
  if (tls) args.push('-lssl', '-lcrypto');
  else args.unshift('-DLOADGEN_NO_TLS');
  log(`building load generator: cc ${args.join(' ')}`);
  execFileSync('cc', args, { cwd: LOADGEN_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
  return { tls };
}

/** Whether an existing binary was linked with OpenSSL. */
function probeTls(): boolean {
  try {
    return execFileSync('ldd', [LOADGEN_BIN], { encoding: 'utf8' }).includes('libssl');
  } catch {
    return existsSync('/usr/include/openssl/ssl.h');
  }
}

/**
 * Runs the generator; rejects with its stderr if it fails or outlives timeoutMs. `onSpawn` gets
 * the process, to signal it (SIGUSR1 ends an idle hold) or to read its stderr as it comes.
 */
export function runLoadgen(args: readonly string[], timeoutMs: number, onSpawn?: (child: ChildProcess) => void): Promise<LoadgenResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(LOADGEN_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      err += `\nkilled after ${timeoutMs} ms`;
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`loadgen exited with ${code}: ${err.trim()}`));
        return;
      }
      try {
        resolve(JSON.parse(out) as LoadgenResult);
      } catch (e) {
        reject(new Error(`loadgen printed no JSON: ${out.slice(0, 200)} ${err.trim()}`, { cause: e }));
      }
    });
  });
}
