import type { Context } from 'koa';
import type { Core } from '../core/types';

/**
 * Adds `Cache-Control: no-store` to a response of the app, after it ran, when the `noStore`
 * option selects it: by default an HTML page (`text/html`) answered to a request with a live
 * tracked session, so that Back after a logout, or the next user of a shared computer, cannot
 * show a page of user data from the browser's cache. Scripts, styles and images keep their
 * caching. A `Cache-Control` the app set itself always wins.
 */
export function applyNoStore(sw: Pick<Core, 'options' | 'state'>, ctx: Context): void {
  const rule = sw.options.noStore;
  if (rule === false || ctx.res.hasHeader('Cache-Control')) return;
  const selected = rule === 'authenticated-html' ? sw.state(ctx).record !== undefined && isHtml(ctx) : rule(ctx);
  if (selected) ctx.set('Cache-Control', 'no-store');
}

/**
 * True when the response is HTML, as `ctx.response.is('html')` says. Every response of a live
 * session asks, and most are JSON or assets: a Content-Type that does not even contain `html`
 * is answered without parsing it.
 */
function isHtml(ctx: Context): boolean {
  const type = ctx.res.getHeader('Content-Type');
  if (typeof type !== 'string' || !/html/i.test(type)) return false;
  return ctx.response.is('html') === 'html';
}
