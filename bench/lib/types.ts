/** One figure of the benchmark: a measured value, its target (if any) and whether it is met. */
export interface Row {
  name: string;
  /** The measured value; null when it could not be measured. */
  value: number | null;
  unit: string;
  /** Human-readable target, e.g. "≥ 0.90"; null for figures printed for information only. */
  target: string | null;
  /** true/false against the target; null when there is no target. */
  pass: boolean | null;
  /** Extra detail shown in the table (rounds, counts…). */
  note?: string;
}

/** What every figure module receives from the runner. */
export interface BenchContext {
  /** `--quick`: a reduced run (under 2 minutes in all). */
  quick: boolean;
  /** Progress output (stderr), so the table on stdout stays readable. */
  log(message: string): void;
}

export type Figure = (ctx: BenchContext) => Promise<Row[]>;

/** A row with a target "value ≥ min". */
export function atLeast(name: string, value: number | null, min: number, unit = '', note?: string, digits = 2): Row {
  return { name, value, unit, target: `≥ ${min.toFixed(digits)}${unit ? ` ${unit}` : ''}`, pass: value !== null && value >= min, note };
}

/** A row with a target "value ≤ max". */
export function atMost(name: string, value: number | null, max: number, unit = '', note?: string, digits?: number): Row {
  const shown = digits === undefined ? String(max) : max.toFixed(digits);
  return { name, value, unit, target: `≤ ${shown}${unit ? ` ${unit}` : ''}`, pass: value !== null && value <= max, note };
}

/** A row printed for information only. */
export function info(name: string, value: number | null, unit = '', note?: string): Row {
  return { name, value, unit, target: null, pass: null, note };
}
