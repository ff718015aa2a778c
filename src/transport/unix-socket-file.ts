import { lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { AddressInUseError, ListenFailedError } from '../errors.js';

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
    throw new ListenFailedError(`cannot inspect ${path}: ${(error as Error).message}`, { cause: error });
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
  if (live) throw new AddressInUseError(`address in use: unix:${path} has a live server`);
  await unlink(path).catch(() => undefined);
}
