/**
 * An HTTP proxy in front of the app that passes every request on but the push stream
 * (`GET {apiPrefix}/events`), which it handles as proxies in the field do: `refuse` answers 403
 * (a corporate proxy's policy, or a 502 of a proxy that cannot hold it), `strip` answers 200 of
 * another type (a virus scanner that rewrites `text/event-stream`), `buffer` passes it on but holds
 * its whole answer, headers included, until the app ends it (a proxy that reads whole responses).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_API_PREFIX, ROUTES } from '../../shared/protocol';

export type StreamBlocking = 'refuse' | 'strip' | 'buffer';

export class StreamBlockingProxy {
  private server?: http.Server;
  url = '';
  /** Push streams asked for through the proxy. */
  streamsAsked = 0;

  constructor(
    private readonly backend: string,
    public mode: StreamBlocking,
  ) {}

  async start(): Promise<this> {
    const target = new URL(this.backend);
    const events = DEFAULT_API_PREFIX + ROUTES.events;
    this.server = http.createServer((req, res) => {
      const stream = req.method === 'GET' && new URL(req.url ?? '/', 'http://x').pathname === events;
      if (stream) this.streamsAsked++;
      if (stream && this.mode === 'refuse') return void res.writeHead(403, { 'content-type': 'text/html' }).end('<h1>Forbidden</h1>');
      if (stream && this.mode === 'strip') return void res.writeHead(200, { 'content-type': 'text/html' }).end('');
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          if (!stream) {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            return void answer.pipe(res);
          }
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks)));
        },
      );
      upstream.on('error', () => res.headersSent || res.writeHead(502).end());
      // The browser went away: so does the request to the app (its stream closes).
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
