// Number formats shared by the report and the chart.
export function integer(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function micros(us: number): string {
  if (us >= 10_000) return `${(us / 1000).toFixed(0)} ms`;
  if (us >= 1000) return `${(us / 1000).toFixed(1)} ms`;
  return `${us.toFixed(0)} µs`;
}

export function percent(p: number): string {
  return `${p.toFixed(0)}%`;
}

export function times(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return 'n/a';
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(2) : r.toFixed(2)}×`;
}

export function kib(n: number | undefined): string {
  return n === undefined ? 'n/a' : `${n.toFixed(1)} KiB`;
}
