import { fork, type ChildProcess } from 'node:child_process';
import { IpcHub } from '../../src/cluster/index.js';
import { envelope, isEnvelope, Topic } from '../../src/process/envelope.js';
import type { WorkerExit, WorkerPort } from '../../src/process/supervisor-extension.js';
import { ChildNode } from './child-node.js';

export type { CallError } from './child-node.js';

/** How long a worker of these tests lives at most, whatever happens to the test. */
const WORKER_LIFETIME = 120_000;

/**
 * One machine of the IPC engine tests: an {@link IpcHub} in this process, and worker processes
 * forked with an IPC channel as the supervisor forks them (`serialization: 'advanced'`). This
 * plays the supervisor's part of the extension contract and nothing else: `workerOnline` at
 * fork, before the worker can send anything; `workerExit` from the process's `exit`, whatever
 * ended it, before anyone else hears of the exit.
 */
export class IpcMachine {
  readonly hub = new IpcHub();
  readonly workers: IpcWorker[] = [];

  async fork(nodeId: string, options: { requestTimeout?: number; hubTimeout?: number } = {}): Promise<IpcWorker> {
    const config = { nodeId, lifetime: WORKER_LIFETIME, ...options };
    const child = fork(new URL('./ipc-worker-main.js', import.meta.url), [JSON.stringify(config)], {
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const port: WorkerPort = {
      workerId: this.workers.length,
      nodeId,
      generation: 1,
      pid: child.pid ?? 0,
      send: (body) => child.connected && child.send(envelope(Topic.Cluster, body)),
      onMessage(listener) {
        const onMessage = (message: unknown): void => {
          if (isEnvelope(message) && message.topic === Topic.Cluster) listener(message.body);
        };
        child.on('message', onMessage);
        return () => void child.off('message', onMessage);
      },
    };
    // A send racing the worker's death fails with EPIPE on the channel: what counts is the exit,
    // which the hub hears of (the supervisor does the same with its workers' channel errors).
    child.on('error', () => undefined);
    const worker = new IpcWorker(nodeId, child, port);
    this.workers.push(worker);
    // First of every listener, as in the supervisor: the hub hears of the exit before the test.
    child.once('exit', (code, signal) => this.hub.workerExit(port, { code, signal, expected: false } satisfies WorkerExit));
    this.hub.workerOnline(port);
    await worker.ready();
    return worker;
  }

  async stop(): Promise<void> {
    for (const worker of this.workers) await worker.kill('SIGKILL');
    this.hub.dispose();
  }
}

/** A worker process, driven over its channel: `call('connectionCount')` runs the registry call there. */
export class IpcWorker extends ChildNode {
  constructor(
    nodeId: string,
    child: ChildProcess,
    readonly workerPort: WorkerPort,
  ) {
    super(nodeId, child);
  }
}
