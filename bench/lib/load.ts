/**
 * HTTP load with autocannon (as a library). Latencies are recorded from autocannon's `response`
 * events with sub-millisecond precision (its own histogram keeps whole milliseconds only).
 */
import autocannon from 'autocannon';
import { percentile } from './stats';

export interface LoadOptions {
  url: string;
  /** Seconds. */
  duration: number;
  connections: number;
  /** Total requests per second over all connections; unlimited when absent. */
  overallRate?: number;
  requests: autocannon.Request[];
  /** Seconds before a request counts as timed out. Default 10. */
  timeout?: number;
}

export interface LoadResult {
  /** Responses per second (all statuses) over the run. */
  rps: number;
  /** Latency percentiles of 2xx responses, ms. */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  responses: number;
  /** Responses that were not 2xx. */
  non2xx: number;
  /** 5xx responses. */
  status5xx: number;
  errors: number;
  timeouts: number;
  /** Every 2xx latency (ms), to pool runs before taking percentiles. */
  samples: number[];
}

export function runLoad(options: LoadOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let non2xx = 0;
  let status5xx = 0;
  return new Promise<LoadResult>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        duration: options.duration,
        connections: options.connections,
        overallRate: options.overallRate,
        requests: options.requests,
        timeout: options.timeout ?? 10,
        // Latencies are recorded below: no coordinated-omission correction.
        ignoreCoordinatedOmission: options.overallRate !== undefined ? true : undefined,
      },
      (err, result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        const sorted = Float64Array.from(latencies).sort();
        const seconds = result.duration || options.duration;
        resolve({
          rps: (result.requests.total ?? latencies.length + non2xx) / seconds,
          p50: percentile(sorted, 50, true),
          p90: percentile(sorted, 90, true),
          p99: percentile(sorted, 99, true),
          mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : NaN,
          responses: latencies.length + non2xx,
          non2xx,
          status5xx,
          errors: result.errors,
          timeouts: result.timeouts,
          samples: latencies,
        });
      },
    );
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
      else {
        non2xx++;
        if (statusCode >= 500) status5xx++;
      }
    });
  });
}

/** A `setupRequest` that sends the given cookies round-robin, one per request. */
export function roundRobinCookies(cookies: string[], start = 0): (req: autocannon.Request) => autocannon.Request {
  let i = start;
  return (req) => {
    const cookie = cookies[i++ % cookies.length];
    return { ...req, headers: { ...req.headers, cookie } };
  };
}
