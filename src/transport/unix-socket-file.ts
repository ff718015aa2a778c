import cluster from 'node:cluster';
import { lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { AddressInUseError } from '../errors.js';
import { listenError } from './listen-error.js';

/**
 * Makes `path` free for a new Unix-socket listener. A socket file that refuses connections was
 * left by a dead server and is removed; one that answers belongs to a live server (error); a file
 * that is not a socket is never touched (error).
 */
export async function claimSocketPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = (await lstat(path)).isSocket();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    // EACCES on a directory we cannot search is a permission problem, as ERRORS.md promises.
    throw listenError(error as NodeJS.ErrnoException, `unix:${path}`);
  }
  if (!isSocket) {
    throw new AddressInUseError(`address in use: unix:${path} exists and is not a socket`);
  }
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  // In a worker of the process layer, the listening socket is the supervisor's (node:cluster
  // listens once, in the primary, for all workers): a live one is most likely its, shared by a
  // worker that listened first. If it is another server's, the primary's listen fails with
  // EADDRINUSE, so going on is safe.
  if (live && cluster.isWorker) return;
  if (live) throw new AddressInUseError(`address in use: unix:${path} has a live server`);
  await unlink(path).catch(() => undefined);
}
