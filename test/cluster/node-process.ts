import { fork } from 'node:child_process';
import { ChildNode } from './child-node.js';

export type { CallError } from './child-node.js';

/**
 * A Redis cluster node in a real child process (node-main.ts), driven over IPC: `call('connectionCount')`
 * runs the registry call there. Killed for real with signals in the fault tests.
 */
export class NodeProcess extends ChildNode {
  static async start(config: { nodeId: string; url: string; prefix: string; lease?: number; requestTimeout?: number; commandTimeout?: number; maxPendingCommands?: number }): Promise<NodeProcess> {
    const child = fork(new URL('./node-main.js', import.meta.url), [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const node = new NodeProcess(config.nodeId, child);
    await node.ready();
    return node;
  }
}
