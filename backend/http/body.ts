import type { Context } from 'koa';
import { ERROR, MAX_BODY_BYTES } from '../../shared/protocol';
import { SessionWatchHttpError } from '../errors';

function badRequest(message: string): SessionWatchHttpError {
  return new SessionWatchHttpError(ERROR.badRequest, message);
}

/**
 * Reads a small JSON object body. Rejects, with `400 bad_request` and a message, a wrong content
 * type, a body over `limit` bytes (without reading past the limit), invalid JSON and non-objects.
 * Reuses `ctx.request.body` when a body parser already ran — with the same rules: its type, and
 * its size as the request sent it (see {@link parsedBody}).
 */
export async function readJsonObject(ctx: Context, limit = MAX_BODY_BYTES): Promise<Record<string, unknown>> {
  if (!isJson(ctx)) throw badRequest('Content-Type must be application/json');
  checkDeclaredLength(ctx, limit);
  const parsed = parsedBody(ctx, limit);
  if (parsed !== undefined) return asObject(parsed);
  const text = await readText(ctx, limit);
  if (text.trim() === '') throw badRequest('Body must be a JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw badRequest('Body is not valid JSON');
  }
  return asObject(value);
}

/**
 * Reads a small `application/x-www-form-urlencoded` body (an OpenID provider's back-channel
 * logout). Rejects, with `400 bad_request` and a message, a wrong content type and a body over
 * `limit` bytes (without reading past the limit). Parsed as `URLSearchParams`: names are data,
 * never object keys. Reuses `ctx.request.body` when a body parser already read the form.
 */
export async function readForm(ctx: Context, limit: number): Promise<URLSearchParams> {
  if (!ctx.is('application/x-www-form-urlencoded')) throw badRequest('Content-Type must be application/x-www-form-urlencoded');
  checkDeclaredLength(ctx, limit);
  const parsed = parsedBody(ctx, limit);
  if (parsed !== undefined) return formOf(parsed);
  return new URLSearchParams(await readText(ctx, limit));
}

/** A declared `Content-Length` over `limit` is refused before anything is read. */
function checkDeclaredLength(ctx: Context, limit: number): void {
  if (Number(ctx.get('content-length') || 0) > limit) throw badRequest(`Body exceeds ${limit} bytes`);
}

/**
 * The body a body parser mounted before sessionwatch already read, if any, once its size is
 * checked against `limit` as if we had read it: the raw text the parser kept (`ctx.request.rawBody`,
 * @koa/bodyparser's and koa-bodyparser's), else — a chunked body, no declared length — the parsed
 * value written back as JSON, its nearest measure. Undefined when the body is still to be read.
 */
function parsedBody(ctx: Context, limit: number): unknown {
  const request = ctx.request as { body?: unknown; rawBody?: unknown };
  if (request.body === undefined || !ctx.req.readableEnded) return undefined;
  const raw = typeof request.rawBody === 'string' ? request.rawBody : JSON.stringify(request.body);
  if (Buffer.byteLength(raw ?? '') > limit) throw badRequest(`Body exceeds ${limit} bytes`);
  return request.body;
}

/** A form a body parser read (`{ name: value | value[] }`) as `URLSearchParams`. */
function formOf(value: unknown): URLSearchParams {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw badRequest('Body must be a form');
  const form = new URLSearchParams();
  for (const [name, field] of Object.entries(value)) {
    for (const item of Array.isArray(field) ? field : [field]) {
      if (typeof item !== 'string') throw badRequest('Body must be a form');
      form.append(name, item);
    }
  }
  return form;
}

/**
 * `ctx.is('application/json')`, without parsing the media type in the common case: the exact
 * `application/json` of the browser client (and most callers) on a request that has a body
 * (a `Transfer-Encoding`, or a numeric `Content-Length`: type-is's rule).
 */
function isJson(ctx: Context): boolean {
  const { headers } = ctx.req;
  if (headers['content-type'] === 'application/json') {
    return headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(headers['content-length']));
  }
  return Boolean(ctx.is('application/json'));
}

function asObject(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest('Body must be a JSON object');
  }
  return value as Record<string, unknown>;
}

function readText(ctx: Context, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const req = ctx.req;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Stop buffering but let the rest flow away, so the connection can answer.
        req.resume();
        reject(badRequest(`Body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      // A small body mostly arrives in one chunk: no copy then.
      resolve((chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8'));
    };
    const onError = () => {
      cleanup();
      reject(badRequest('Body could not be read'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
