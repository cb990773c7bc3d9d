// A closed-loop HTTP load generator on node:http with keep-alive: `concurrency` workers, each
// sending one request after the other for `seconds` (and at most `maxRequests` in all). Lean on
// purpose: on a 2-core machine the generator shares the CPU with what it measures.
import { Agent, request } from 'node:http';

export interface LoadResult {
  /** Completed requests per second. */
  rps: number;
  /** Latency percentiles in milliseconds. */
  p50: number;
  p99: number;
  count: number;
}

export interface LoadOptions {
  concurrency: number;
  seconds: number;
  headers?: Record<string, string>;
  /** @default GET */
  method?: string;
  /** Request body (sent with its Content-Length). */
  body?: string;
  /** Source address of the connections (e.g. a trusted front proxy's). */
  localAddress?: string;
  /** Status every answer must have. @default 200 */
  expectStatus?: number;
  /** @default 1,000,000 */
  maxRequests?: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** One request; resolves with the status once the body is read. */
function get(agent: Agent, target: URL, opts: LoadOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method: opts.method ?? 'GET',
        path: target.pathname + target.search,
        headers:
          opts.body === undefined
            ? opts.headers
            : { ...opts.headers, 'content-length': String(Buffer.byteLength(opts.body)) },
        localAddress: opts.localAddress,
      },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export async function load(url: string, opts: LoadOptions): Promise<LoadResult> {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const expected = opts.expectStatus ?? 200;
  const max = opts.maxRequests ?? 1_000_000;
  const latencies: number[] = [];
  const start = performance.now();
  const end = start + opts.seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: opts.concurrency }, async () => {
        while (performance.now() < end && latencies.length < max) {
          const t0 = performance.now();
          const status = await get(agent, target, opts);
          if (status !== expected) throw new Error(`${url}: expected ${expected}, got ${status}`);
          latencies.push(performance.now() - t0);
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    count: latencies.length,
  };
}
