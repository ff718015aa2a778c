// The cluster bench (`npm run bench:cluster`): two nodes on one Redis server (a redis-server of
// its own, on a free port), half of the connections on each, broadcast to 1,000 and 10,000;
// Switchboard (counted pushes, and fire-and-forget) beside socket.io on @socket.io/redis-adapter,
// in the same run, driven by the C load generator (bench/loadgen). Then flagExists and
// connectionCount latency on a node holding 10,000 connections, and the time from SIGKILL of a
// node to exact answers on a survivor (default lease), over --kills kills. The cells are in
// cells.ts; `npm run bench` runs the broadcast ones too.
//
//   npm run bench:cluster                      # everything, about 3 to 4 minutes
//   node dist/bench/cluster/run.js --sizes 1000 --kills 5 --seconds 3 --attempts 1
//   node dist/bench/cluster/run.js --redis redis://10.0.0.5:6379   # a Redis of your own
import { renderClusterTable, runClusterBench } from './cells.js';

const argv = process.argv.slice(2);
function arg(name: string, fallback: string): string {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 && argv[at + 1] !== undefined ? argv[at + 1]! : fallback;
}

// --redis URL measures against a Redis of your own (another machine, a managed one) instead.
const external = arg('redis', '');
const result = await runClusterBench({
  sizes: arg('sizes', '1000,10000').split(',').map(Number),
  kills: Number(arg('kills', '20')),
  seconds: Number(arg('seconds', '4')),
  attempts: Number(arg('attempts', '2')),
  window: Number(arg('window', '8')),
  systems: arg('systems', 'switchboard,switchboard-ff,socket.io').split(','),
  ...(external ? { redisUrl: external } : {}),
  onRow: (row) => process.stdout.write(`${JSON.stringify(row)}\n`),
});
process.stdout.write(`\n${renderClusterTable(result)}`);
