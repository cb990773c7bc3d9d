// The bugs the fuzzers found, pinned one by one so they stay fixed whatever seed a fuzz run gets.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_SECRET } from '../helpers/tollgate.ts';
import {
  acceptable,
  type FuzzRequest,
  type FuzzServer,
  SVC_SECRET,
  send,
  startFuzzServer,
} from './harness.ts';

let server: FuzzServer;
/** One keep-alive connection, so a request can only be answered after the one before it. */
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  server = await startFuzzServer();
});

afterAll(async () => {
  agent.destroy();
  await server?.stop();
});

interface Sent {
  status: number;
  body: string;
}

/** A request over the shared connection; `chunks` sends the body without a Content-Length. */
function request(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; chunks?: number } = {},
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: server.tg.port,
        agent,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(parts).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    // A connection left mid-body hangs until the server's own request timeouts (a minute or more): 10 s tells the
    // two apart on any machine, and a hang fails the test instead of timing it.
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${path} within 10 s`)));
    const body = Buffer.from(options.body ?? '');
    if (options.chunks) {
      const size = Math.ceil(body.length / options.chunks);
      for (let i = 0; i < body.length; i += size) req.write(body.subarray(i, i + size));
    } else if (body.length > 0) req.write(body);
    req.end();
  });
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const FORM = 'application/x-www-form-urlencoded';

describe('request bodies', () => {
  it('a body that does not inflate as its Content-Encoding says is a 400, not a 500', async () => {
    // Regression: zlib/brotli errors carry no status, so the error handler made them 500s.
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const form = await request('/interaction/some-uid/login', {
        method: 'POST',
        headers: { 'content-type': FORM, 'content-encoding': encoding, accept: 'application/json' },
        body: 'csrf=x&username=a&password=b',
      });
      expect(form.status, encoding).toBe(400);
      expect(JSON.parse(form.body)).toMatchObject({ error: 'invalid_request' });
      const json = await request('/api/otp', {
        method: 'POST',
        headers: {
          authorization: basic('svc', SVC_SECRET),
          'content-type': 'application/json',
          'content-encoding': encoding,
        },
        body: '{"to":"a@example.test","channel":"email"}',
      });
      expect(json.status, encoding).toBe(400);
      expect(JSON.parse(json.body)).toMatchObject({ error: 'invalid_request' });
    }
  });

  it('a body refused half-way leaves the keep-alive connection usable for the next request', async () => {
    // Regression: a parser that stopped mid-body (past its size limit without a Content-Length,
    // or on a bad Content-Encoding) left the rest unread; the next request on the connection hung
    // until the socket timed out, then got a reset.
    const big = `code=${'é'.repeat(150_000)}`;
    const cases: [string, Record<string, string>, number?][] = [
      ['/interaction/some-uid/login', { 'content-type': FORM }, 100],
      ['/interaction/some-uid/login', { 'content-type': FORM, 'content-encoding': 'deflate' }],
      ['/api/otp', { 'content-type': 'application/json', authorization: basic('svc', SVC_SECRET) }, 100],
      ['/token', { 'content-type': FORM, authorization: basic('api', API_SECRET) }, 100],
      ['/token/introspection', { 'content-type': FORM, authorization: basic('api', API_SECRET) }, 100],
    ];
    for (const [path, headers, chunks] of cases) {
      const refused = await request(path, { method: 'POST', headers, body: big, chunks });
      expect(refused.status, path).toBeGreaterThanOrEqual(400);
      expect(refused.status, path).toBeLessThan(500);
      const next = await request('/healthz');
      expect(next.status, `after ${path}`).toBe(200);
    }
  });
});

describe('authorization endpoint', () => {
  it('a resume link with a client_id in its query is a 400, not a 500', async () => {
    // Regression: oidc-provider's authorization error handler crashed filling in a missing
    // redirect_uri before the parameters were read (src/provider/single-redirect-uri.ts).
    for (const query of [
      'client_id=app',
      'client_id=mfa-app&state=x',
      'client_id=public-app&redirect_uri=',
    ]) {
      const res = await request(`/auth/not-an-interaction?${query}`, { headers: { accept: 'text/html' } });
      expect(res.status, query).toBe(400);
    }
  });
});

describe('request targets the WHATWG URL parser would rewrite', () => {
  it("seed -691717675, path 208: `GET /\\'%u0041Kw` is sent as is and answered 404", async () => {
    // Regression (harness bug): the sender resolved the generated path with `new URL`, which
    // reads a leading `/\` as "another host" and threw `TypeError: Invalid URL`; the run was
    // reported as the server's fault. The server was right all along: 404.
    const req: FuzzRequest = {
      method: 'GET',
      path: "/\\'%u0041Kw",
      headers: { accept: 'application/json', cookie: '_interaction=x.y.z' },
    };
    const outcome = await send(server.tg.url, req);
    expect(outcome).toEqual({ status: 404 });
    expect(acceptable(req, outcome.status)).toBe(true);
    expect(server.errors).toEqual([]);
  });
});
