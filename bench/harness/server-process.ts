// Starts one bench server program and waits for its `ready` line; stops it afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchTransport } from '../servers/server-args.js';
import { SERVERS_DIR } from './paths.js';
import { freePort } from './ports.js';
import type { TlsFiles } from './tls-material.js';

const READY_TIMEOUT_MS = 15_000;
/** Exit status of a bench server given arguments it cannot serve (see server-args.ts). */
const EXIT_USAGE = 2;

/** The server program does not serve the transport: exit status 2 and "not supported". */
export class UnsupportedTransportError extends Error {}
const STOP_GRACE_MS = 2_000;
/** Preloaded into every server: reports V8's memory-reducing collections (memory-watch.ts). */
const MEMORY_WATCH = pathToFileURL(join(SERVERS_DIR, 'memory-watch.js')).href;

export interface Endpoint {
  readonly transport: BenchTransport;
  readonly port: number;
  readonly path: string;
}

export class ServerProcess {
  private stderr = '';
  private exited = false;
  private exitStatus = '';
  private readonly memoryReducedListeners = new Set<() => void>();

  private constructor(private readonly child: ChildProcess, readonly endpoint: Endpoint) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('memory-reduced')) for (const listener of this.memoryReducedListeners) listener();
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.exitStatus = signal ? `killed by ${signal}` : `exit status ${code}`;
    });
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Calls `listener` each time V8's memory reducer collects in the server; returns the unsubscribe. */
  onMemoryReduced(listener: () => void): () => void {
    this.memoryReducedListeners.add(listener);
    return () => this.memoryReducedListeners.delete(listener);
  }

  /** Why it is gone, and what it printed on stderr. */
  get errors(): string {
    return [this.exitStatus, this.stderr.trim()].filter(Boolean).join(': ');
  }

  static async start(script: string, transport: BenchTransport, tls: TlsFiles, extra: readonly string[] = []): Promise<ServerProcess> {
    const endpoint: Endpoint = transport === 'unix'
      ? { transport, port: 0, path: join(tmpdir(), `switchboard-bench-${process.pid}-${Date.now()}.sock`) }
      : { transport, port: await freePort(), path: '' };
    const args = ['--import', MEMORY_WATCH, script, '--transport', transport];
    if (transport === 'unix') args.push('--path', endpoint.path);
    else args.push('--port', String(endpoint.port));
    if (transport === 'tls' || transport === 'wss') args.push('--cert', tls.cert, '--key', tls.key);
    args.push(...extra);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const server = new ServerProcess(child, endpoint);
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => fail(new Error(`no "ready" within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
      const fail = (e: Error): void => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        const text = `${e.message}${server.stderr ? `: ${server.stderr.trim()}` : ''}`;
        reject(e instanceof UnsupportedTransportError ? new UnsupportedTransportError(text) : new Error(text));
      };
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (/^ready$/m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('error', fail);
      // 'close', not 'exit': by then stderr has been read to its end.
      child.on('close', (code, signal) => {
        const why = `server ${signal ? `killed by ${signal}` : `exited with ${code}`} before "ready"`;
        const unsupported = code === EXIT_USAGE && /not supported/i.test(server.stderr);
        fail(unsupported ? new UnsupportedTransportError(why) : new Error(why));
      });
    });
    return server;
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
    }
    if (this.endpoint.path) rmSync(this.endpoint.path, { force: true });
  }
}
