/**
 * Checks of single option values used by the client's entries (the core, the default UI, drafts),
 * beside the rules shared with the server (`shared/option-checks.ts`): each throws a TypeError
 * naming the option.
 */
import { failOption } from '../shared/option-checks';

/** `true` or `false`, or `fallback` when not given. */
export function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') failOption(name, 'true or false', value);
  return value;
}

/** A function, or null when not given. */
export function optionalFunction<T>(name: string, value: unknown): T | null {
  if (value === undefined) return null;
  if (typeof value !== 'function') failOption(name, 'a function', value);
  return value as T;
}

/** A non-empty string, or null when not given. */
export function nonEmptyString(name: string, value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value !== 'string' || value === '') failOption(name, 'a non-empty string', value);
  return value;
}

/** An object (not null), or `fallback` when not given. */
export function optionalObject<T extends object>(name: string, value: unknown, expected: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'object' || value === null) failOption(name, expected, value);
  return value as T;
}
