/** Small statistics for noisy machines: medians of runs and percentiles of samples. */

export function median(values: number[]): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Nearest-rank percentile (p in 0..100) of unsorted samples. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

/** The median of each numeric field over runs of the same shape. */
export function medianOf<T extends { [K in keyof T]: number }>(runs: T[]): T {
  const first = runs[0];
  if (!first) throw new Error('no runs');
  const keys = Object.keys(first) as Array<keyof T>;
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]))])) as T;
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
