/**
 * Option checks shared by the server and the browser client, so that both sides validate the same
 * rules with the same words: values quoted alike, keys suggested alike. Plain functions: safe
 * anywhere.
 */

/**
 * A value as error messages show it: strings JSON-quoted (`"abc"`), functions as `a function`
 * (never their source, which `String()` would dump whole), anything else as `String()`.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'function') return 'a function';
  return String(value);
}

/** Edit distance (insertions, deletions, substitutions, adjacent transpositions), case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The known key closest to `key`: the only one containing it, else the nearest in spelling; or
 * undefined when none is plausibly meant (more than a third of the key's letters would have to change).
 */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  // A part of a longer name (`prefix` for `apiPrefix`, `timeout` for `pingTimeout`) is a closer
  // guess than any spelling distance, which would reject it as too far.
  const lower = key.toLowerCase();
  const containing = lower.length >= 4 ? known.filter((candidate) => candidate.toLowerCase().includes(lower)) : [];
  if (containing.length === 1) return containing[0];
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(key, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.ceil(key.length / 3)) ? best : undefined;
}

/**
 * The message for an unknown option key:
 * `sessionwatch: unknown option "expireAftr" (did you mean "expireAfter"?)`.
 */
export function unknownOptionMessage(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  const hint = suggestion ? `did you mean ${describeValue(suggestion)}?` : `known options: ${known.join(', ')}`;
  return `sessionwatch: unknown option ${describeValue(key)} (${hint})`;
}

/**
 * Throws a TypeError for the first own key of `options` that is not in `known`; a key of `renamed`
 * (an old name) gets a message naming its new one.
 */
export function assertKnownKeys(options: object, known: readonly string[], renamed: Readonly<Record<string, string>> = {}): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    if (Object.hasOwn(renamed, key)) {
      throw new TypeError(`sessionwatch: option ${describeValue(key)} is now called ${describeValue(renamed[key])}`);
    }
    throw new TypeError(unknownOptionMessage(key, known));
  }
}

/** Throws `Kind` (TypeError by default): `sessionwatch: option "name" must be <expected> (got <value>)`. */
export function failOption(name: string, expected: string, value: unknown, Kind: typeof TypeError = TypeError): never {
  throw new Kind(`sessionwatch: option "${name}" must be ${expected} (got ${describeValue(value)})`);
}

/**
 * A positive finite number of seconds (or of `unit`), or undefined when not given: a TypeError for
 * a non-number, a RangeError for zero, a negative or an infinite number.
 */
export function positiveSeconds(name: string, value: unknown, unit = 'seconds'): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) failOption(name, `a number of ${unit}`, value);
  if (!Number.isFinite(value) || value <= 0) failOption(name, `a positive finite number of ${unit}`, value, RangeError);
  return value;
}

/** The warning comes before the end: `warnAfter < expireAfter`, else a RangeError naming both. */
export function assertWarnBeforeExpire(warnAfter: number, expireAfter: number): void {
  if (warnAfter >= expireAfter) {
    throw new RangeError(`sessionwatch: option "warnAfter" (${warnAfter}) must be less than "expireAfter" (${expireAfter})`);
  }
}
