/**
 * A tiny HTTP load balancer for tests: forwards each request to the next backend in turn, and
 * counts what each backend received.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export class RoundRobinProxy {
  private server?: http.Server;
  private next = 0;
  /** Requests forwarded to each backend, as `METHOD /path`. */
  readonly received: string[][];
  url = '';

  constructor(private readonly backends: string[]) {
    this.received = backends.map(() => []);
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const index = this.next++ % this.backends.length;
      const target = new URL(this.backends[index]);
      this.received[index].push(`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`);
      const upstream = http.request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** How many requests matching `METHOD /path` each backend received. */
  count(request: string): number[] {
    return this.received.map((list) => list.filter((r) => r === request).length);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
