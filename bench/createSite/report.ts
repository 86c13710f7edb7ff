export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function secs(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

export function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)} x`;
}

export function pct(part: number, whole: number): string {
  return `${Math.round((part * 100) / whole)
    .toString()
    .padStart(3)}%`;
}

/** Lowest–highest across runs, to show how much noise a median hides. */
export function spread(values: number[]): string {
  return values.length < 2 ? '' : `${(Math.min(...values) / 1000).toFixed(2)}–${(Math.max(...values) / 1000).toFixed(2)}`;
}

export function row(label: string, value: string, share = '', range = ''): void {
  console.log(`  ${label.padEnd(56)} ${value.padStart(8)} ${share.padStart(4)}  ${range}`.trimEnd());
}

/** Median row of one figure across runs: value, share of `whole`, range. */
export function medianRow(label: string, values: number[], whole?: number): number {
  const m = median(values);
  row(label, secs(m), whole ? pct(m, whole) : '', spread(values));
  return m;
}

/** Each named figure across runs, in the order the names first appear. */
export function byName(runs: Map<string, number>[]): [string, number[]][] {
  const names = [...new Set(runs.flatMap((r) => [...r.keys()]))];
  return names.map((name) => [name, runs.map((r) => r.get(name) ?? 0)]);
}
