/**
 * `GET {apiPrefix}/events`: the session's push stream (server-sent events). The browser client's
 * leader tab holds one per browser; the session's end reaches it as an `ended` event the moment
 * it happens, from this instance or another (see `SessionCore.recheckStreams`).
 */
import type Router from '@koa/router';
import type { RouterContext } from '@koa/router';
import { PUSH_EVENTS, PUSH_RETRY_S, ROUTES, type PushOpen } from '../../shared/protocol';
import type { Core } from '../core/types';
import { limitsInSeconds } from '../inactivity/session-policy';
import { sseMessage, type PushSink } from '../push/hub';
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
      const { res } = ctx;
      const socket = ctx.req.socket;
      // Open for as long as the browser keeps it: no socket timeout, every event sent at once.
      socket.setTimeout(0);
      socket.setNoDelay(true);
      socket.setKeepAlive(true);
      ctx.status = 200;
      ctx.type = 'text/event-stream';
      // nginx (and proxies that honour it) pass the stream on as it comes instead of buffering it.
      ctx.set('X-Accel-Buffering', 'no');
      // A browser closing the tab (or a proxy dropping it) ends the stream early: Koa would report
      // that to the app's error listeners ("Premature close", ECONNRESET) every time. It is how a
      // stream ends, not an error.
      const onerror = ctx.onerror.bind(ctx);
      ctx.onerror = (err: unknown) => {
        if (!GONE.has(String((err as { code?: unknown } | null)?.code))) onerror(err as Error);
      };
      const open: PushOpen = { session: record.id };
      const stream = sendWhenKoaResponds(ctx, `retry: ${PUSH_RETRY_S * 1000}\n${sseMessage(PUSH_EVENTS.open, open)}`);
      const forget = sw.push.add(record.id, stream, limitsInSeconds(record, sw.options.globalLimits));
      // The browser went away (or the stream ended): forgotten.
      res.once('close', forget);
      // Ended (or given other limits) between the request's check and now: said at once.
      await sw.recheckStreams([record.id]);
    }),
  );
}

/**
 * The stream written to the response itself (`ctx.respond = false`), its head sent at the moment
 * Koa would send a body: when it reads `ctx.respond`, once every middleware has returned
 * (koa-session has committed its cookie — `renew` and `rolling` set one —, the app's middleware
 * have set their headers). Text written before that waits. Not a stream body
 * (`ctx.body = new PassThrough()`): Koa sends a body through `stream.pipeline` and watches it with
 * `on-finished`, about 10 KB of heap per open response — twice what Node's own socket, request and
 * response take — for as long as the stream is open (`npm run bench -- --only=push`).
 */
function sendWhenKoaResponds(ctx: RouterContext, first: string): PushSink {
  const { res } = ctx;
  /** Text waiting for the head; undefined once the head is sent. */
  let pending: string | undefined = first;
  let ended = false;
  /** A middleware after this route answered instead (an error's JSON): Koa sends that, the stream is void. */
  let superseded = false;
  Object.defineProperty(ctx, 'respond', {
    configurable: true,
    get(): boolean {
      if (pending === undefined || superseded) return false;
      if (ctx.body !== undefined && ctx.body !== null) {
        superseded = true;
        return true;
      }
      res.write(pending);
      pending = undefined;
      if (ended) res.end();
      return false;
    },
  });
  return {
    write(text) {
      if (superseded) return;
      if (pending === undefined) res.write(text);
      else pending += text;
    },
    end() {
      if (superseded) return;
      if (pending === undefined) res.end();
      else ended = true;
    },
  };
}
