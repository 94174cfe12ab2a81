import type { Context } from 'koa';
import { ERROR } from '../../shared/protocol';
import { SessionWatchHttpError } from '../errors';

/** A surrogate without its pair (what `String.prototype.isWellFormed`, ES2024, refuses). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a text value cannot be an identifier that both databases store and compare alike, or null
 * when it can: a NUL (Postgres refuses it in text: a database error, where SQLite would match),
 * an unpaired surrogate (not Unicode), or U+FFFD — what Koa's query parser leaves of bytes that
 * were not UTF-8.
 */
export function textProblem(value: string): string | null {
  if (value.includes('\u0000')) return 'must not contain NUL';
  if (LONE_SURROGATE.test(value) || value.includes('\uFFFD')) return 'is not valid UTF-8';
  return null;
}

/**
 * A text identifier from the request (a query value, or — with `pathParam` — a path segment
 * matched by the router): checked by {@link textProblem} and 1 to `maxLength` characters, else a
 * `400 bad_request` naming `field`. A path segment is decoded here from what the request sent,
 * strictly: the router hands a segment it cannot decode (`%FF`) back as it was.
 */
export function textParam(ctx: Context, field: string, value: string, maxLength: number, pathParam?: number): string {
  let text = value;
  if (pathParam !== undefined) {
    const raw = (ctx as { captures?: unknown[] }).captures?.[pathParam];
    if (typeof raw === 'string') {
      try {
        text = decodeURIComponent(raw);
      } catch {
        throw new SessionWatchHttpError(ERROR.badRequest, `${field} is not valid UTF-8`);
      }
    }
  }
  const problem = textProblem(text);
  if (problem !== null) throw new SessionWatchHttpError(ERROR.badRequest, `${field} ${problem}`);
  if (text === '' || text.length > maxLength)
    throw new SessionWatchHttpError(ERROR.badRequest, `${field} must be 1 to ${maxLength} characters`);
  return text;
}
