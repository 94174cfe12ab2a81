/** Small statistics helpers: medians of rounds, percentiles of latency samples. */

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile (0–100) of `values`, nearest-rank; sorts a copy unless `sorted`. */
export function percentile(values: ArrayLike<number>, p: number, sorted = false): number {
  const n = values.length;
  if (n === 0) return NaN;
  const data = sorted ? values : Float64Array.from(values).sort();
  const rank = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
  return data[rank];
}

export function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** "a, b, c" of rounds, for the table's notes. */
export function list(values: number[], digits = 2): string {
  return values.map((v) => round(v, digits)).join(', ');
}
