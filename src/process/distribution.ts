// How a supervisor's workers get their connections: node:cluster's round robin, or each worker
// listening itself with SO_REUSEPORT where the running Node has it.
import { UnsupportedError } from '../errors.js';

/**
 * `round-robin`: the supervisor holds each listening socket, accepts, and hands each connection
 * to the next worker (node:cluster's SCHED_RR). `reuse-port`: each worker binds the port itself
 * with SO_REUSEPORT and the kernel spreads connections among them.
 */
export type Distribution = 'round-robin' | 'reuse-port';

/** What the command line or the options ask for; `auto` picks by what the running Node can do. */
export type DistributionChoice = Distribution | 'auto';

export const DISTRIBUTION_CHOICES: readonly DistributionChoice[] = ['auto', 'round-robin', 'reuse-port'];

/**
 * The distribution for a choice, given whether this Node has SO_REUSEPORT (see
 * `reusePortSupported`): `auto` takes `reuse-port` where it exists, `round-robin` elsewhere;
 * `reuse-port` forced where it does not exist is refused (ERR_UNSUPPORTED) rather than quietly
 * replaced.
 */
export function chooseDistribution(choice: DistributionChoice, reusePort: boolean): Distribution {
  if (choice === 'round-robin') return 'round-robin';
  if (choice === 'reuse-port' && !reusePort) {
    throw new UnsupportedError(`distribution reuse-port needs SO_REUSEPORT in net.Server (Node.js 22.12+ or 23.1+ on an OS that has it); Node.js ${process.version} on ${process.platform} has none: use round-robin (or auto)`);
  }
  return reusePort ? 'reuse-port' : 'round-robin';
}
