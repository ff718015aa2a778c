import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface NodeChildResult {
  readonly code: number | null;
  /** stdout and stderr, as they came. */
  readonly output: string;
}

/**
 * Runs `node ...args` to its end, with `env` added to this process's environment (less
 * NODE_TEST_CONTEXT, so that a `--test` child is a run of its own, not a child of this one). A
 * child still running after `killAfterMs` is killed: a hung child fails its test instead of
 * holding the run (its code is then null).
 */
export async function runNode(args: readonly string[], env: Record<string, string>, killAfterMs: number): Promise<NodeChildResult> {
  const { NODE_TEST_CONTEXT: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, args, {
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: killAfterMs,
    killSignal: 'SIGKILL',
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output };
}
