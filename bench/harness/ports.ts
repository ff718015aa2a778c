// Picks listening ports below the ephemeral range, so the generator's own outgoing ports can
// never take them, and a new one per server so no run meets the last one's TIME_WAIT sockets.
import { createServer } from 'node:net';

const FIRST = 20_000;
const LAST = 32_000;
let next = FIRST + Math.floor(Math.random() * 1000);

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host: '127.0.0.1', exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < LAST - FIRST; tries++) {
    const port = next;
    next = next >= LAST ? FIRST : next + 1;
    if (await isFree(port)) return port;
  }
  throw new Error(`no free port in ${FIRST}..${LAST}`);
}
