import { randomBytes } from 'node:crypto';

/** The shared Redis of the machine (tests that fault Redis start their own, see redis-server.ts). */
export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A key prefix of this run alone, so that runs never collide. */
export function testPrefix(): string {
  return `sbtest:${process.pid}:${randomBytes(3).toString('hex')}:`;
}
