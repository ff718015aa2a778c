// What the figures were measured on, for the report's header.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './paths.js';

export interface Machine {
  readonly date: string;
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
  readonly commit: string;
  readonly peers: Readonly<Record<string, string>>;
  /** How Switchboard's native writer enters the kernel here: `io_uring`, `send` (one send(2) per socket), or `none` (no accelerator). */
  readonly nativeSends: string;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function packageVersion(name: string): string {
  try {
    const json = JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return json.version ?? '?';
  } catch {
    return 'not installed';
  }
}

/** Asked of the addon in a child, with the environment the bench servers get: this process need not load it. */
function nativeSendPath(): string {
  try {
    const module = join(REPO_ROOT, 'dist', 'src', 'transport', 'native-writer.js');
    const script = `import(${JSON.stringify(pathToFileURL(module).href)}).then((m) => process.stdout.write(m.nativeSendPath()))`;
    return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

export function describeMachine(): Machine {
  const head = git(['rev-parse', '--short=12', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    commit: head ? `${head}${dirty ? ' (with uncommitted changes)' : ''}` : 'unknown',
    peers: {
      ws: packageVersion('ws'),
      'socket.io': packageVersion('socket.io'),
      'uWebSockets.js': packageVersion('@trufflesuite/uws-js-unofficial'),
    },
    nativeSends: nativeSendPath(),
  };
}
