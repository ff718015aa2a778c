// A hand-written SVG bar chart of Switchboard's advantage over each peer, one bar per pair,
// on a log2 scale centred on 1× so that "twice as fast" and "half as fast" look alike.
import { times } from './format.js';
import type { Comparison } from './results.js';
import type { Workload } from './workloads.js';

const WIDTH = 860;
const LABEL_X = 16;
const PLOT_LEFT = 300;
const PLOT_RIGHT = 820;
const TOP = 70;
const GROUP_ROW = 26;
const BAR_ROW = 22;
const BAR_HEIGHT = 14;

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function shortTitle(w: Workload): string {
  const n = w.conns.toLocaleString('en-US');
  switch (w.kind) {
    case 'echo':
      return `echo · ${n} conns × ${w.inflight} in flight · ${w.size} B`;
    case 'bcast':
      return `broadcast to ${n} conns`;
    case 'idle':
      return `${n} idle conns · memory per connection`;
  }
}

export function renderChart(comparisons: readonly Comparison[], title: string): string {
  const groups = new Map<string, Comparison[]>();
  for (const c of comparisons) {
    const list = groups.get(c.workload.id) ?? [];
    list.push(c);
    groups.set(c.workload.id, list);
  }
  const logs = comparisons.flatMap((c) => (c.advantage ? [Math.abs(Math.log2(c.advantage))] : []));
  const span = Math.min(5, Math.max(1, Math.ceil(Math.max(0, ...logs))));
  const centre = (PLOT_LEFT + PLOT_RIGHT) / 2;
  const half = (PLOT_RIGHT - PLOT_LEFT) / 2;
  const xOf = (v: number): number => centre + (Math.max(-span, Math.min(span, Math.log2(v))) / span) * half;

  const rows: string[] = [];
  let y = TOP;
  for (const list of groups.values()) {
    const first = list[0];
    if (!first) continue;
    rows.push(`<text x="${LABEL_X}" y="${y + 17}" class="group">${escape(shortTitle(first.workload))}</text>`);
    y += GROUP_ROW;
    for (const c of list) {
      const label = `vs ${c.peer.serverLabel} · ${c.transport}`;
      rows.push(`<text x="${LABEL_X + 12}" y="${y + 15}" class="label">${escape(label)}</text>`);
      if (c.advantage === undefined) {
        rows.push(`<text x="${centre + 6}" y="${y + 15}" class="value">n/a</text>`);
      } else {
        const x = xOf(c.advantage);
        const better = c.advantage >= 1;
        const left = Math.min(x, centre);
        const width = Math.max(1, Math.abs(x - centre));
        rows.push(`<rect x="${left.toFixed(1)}" y="${y + 4}" width="${width.toFixed(1)}" height="${BAR_HEIGHT}" class="${better ? 'good' : 'bad'}"/>`);
        const tx = better ? x + 5 : x - 5;
        rows.push(`<text x="${tx.toFixed(1)}" y="${y + 15}" class="value" text-anchor="${better ? 'start' : 'end'}">${times(c.advantage)}</text>`);
      }
      y += BAR_ROW;
    }
  }
  const height = y + 40;
  const ticks: string[] = [];
  for (let k = -span; k <= span; k++) {
    const x = centre + (k / span) * half;
    const v = 2 ** k;
    ticks.push(`<line x1="${x}" y1="${TOP - 6}" x2="${x}" y2="${y}" class="${k === 0 ? 'one' : 'grid'}"/>`);
    ticks.push(`<text x="${x}" y="${y + 16}" text-anchor="middle" class="tick">${v >= 1 ? v : `1/${2 ** -k}`}×</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif">
<style>
  .title { font-size: 16px; font-weight: bold; fill: #222; }
  .sub { font-size: 12px; fill: #555; }
  .group { font-size: 13px; font-weight: bold; fill: #222; }
  .label { font-size: 12px; fill: #333; }
  .value { font-size: 11px; fill: #222; }
  .tick { font-size: 11px; fill: #555; }
  .grid { stroke: #e3e3e3; stroke-width: 1; }
  .one { stroke: #444; stroke-width: 1.5; }
  .good { fill: #2e7d32; }
  .bad { fill: #d84315; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${LABEL_X}" y="24" class="title">${escape(title)}</text>
<text x="${LABEL_X}" y="44" class="sub">How many times better Switchboard does than each peer, log scale: right of 1× (green) Switchboard is better.</text>
<text x="${LABEL_X}" y="60" class="sub">Echo and broadcast: messages or deliveries per second. Idle: the peer's memory per connection ÷ Switchboard's.</text>
${ticks.join('\n')}
${rows.join('\n')}
</svg>
`;
}
