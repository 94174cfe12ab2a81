/**
 * `GET {apiPrefix}/events`: the session's push stream (server-sent events). The browser client's
 * leader tab holds one per browser; the session's end reaches it as an `ended` event the moment
 * it happens, from this instance or another (see `SessionCore.recheckStreams`).
 */
import { PassThrough } from 'node:stream';
import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import { PUSH_EVENTS, PUSH_RETRY_S, ROUTES, type PushOpen } from '../../shared/protocol';
import type { Core } from '../core/types';
import { limitsInSeconds } from '../inactivity/session-policy';
import { sseMessage } from '../push/hub';
import { withSession } from './guard';

/** Error codes of a stream whose browser (or proxy) went away. */
const GONE = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ECONNRESET', 'EPIPE', 'ERR_STREAM_DESTROYED', 'ECONNABORTED']);

/**
 * Adds the push stream's route to `router`.
 *
 * @internal
 */
export function addPushRoute(router: Router, sw: Core): void {
  router.get(
    ROUTES.events,
    withSession(sw, 'read', async (ctx: RouterContext, record) => {
      const body = new PassThrough();
      const socket = ctx.req.socket;
      // Open for as long as the browser keeps it: no socket timeout, every event sent at once.
      socket.setTimeout(0);
      socket.setNoDelay(true);
      socket.setKeepAlive(true);
      ctx.status = 200;
      ctx.type = 'text/event-stream';
      // nginx (and proxies that honour it) pass the stream on as it comes instead of buffering it.
      ctx.set('X-Accel-Buffering', 'no');
      ctx.body = body;
      // A browser closing the tab (or a proxy dropping it) ends the stream early: Koa would report
      // that to the app's error listeners ("Premature close", ECONNRESET) every time. It is how a
      // stream ends, not an error.
      const onerror = ctx.onerror.bind(ctx);
      ctx.onerror = (err: unknown) => {
        if (!GONE.has(String((err as { code?: unknown } | null)?.code))) onerror(err as Error);
      };
      const open: PushOpen = { session: record.id };
      body.write(`retry: ${PUSH_RETRY_S * 1000}\n${sseMessage(PUSH_EVENTS.open, open)}`);
      const sink = { write: (text: string) => body.write(text), end: () => body.end() };
      const forget = sw.push.add(record.id, sink, limitsInSeconds(record, sw.options.globalLimits));
      // The browser went away (or the stream ended): forgotten.
      ctx.res.once('close', forget);
      // Ended (or given other limits) between the request's check and now: said at once.
      await sw.recheckStreams([record.id]);
    }),
  );
}
