// Every URL tollgate hands out derives from the issuer, never from Host or X-Forwarded-Host
// (issue 15.4); a malformed Host is a 400, not a 500 (issue 15.6); discovery and JWKS are safe
// to keep in a shared cache.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseForm } from '../helpers/browser.ts';
import { type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';

let direct: RunningTollgate;
let behindProxy: RunningTollgate;

beforeAll(async () => {
  direct = await startTollgate();
  behindProxy = await startTollgate({ overrides: { proxy: true, trusted_proxies: ['127.0.0.1'] } });
});

afterAll(async () => {
  await direct?.stop();
  await behindProxy?.stop();
});

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with exactly these headers (fetch would set Host itself) and this request target. */
function raw(
  running: RunningTollgate,
  target: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: running.port, path: target, headers, setHost: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const hostOf = (running: RunningTollgate) => `127.0.0.1:${running.port}`;

describe('discovery', () => {
  it('names the issuer’s endpoints whatever Host says', async () => {
    const res = await raw(direct, '/.well-known/openid-configuration', { host: 'evil.test' });
    expect(res.status).toBe(200);
    const doc = JSON.parse(res.body) as Record<string, unknown>;
    const urls = Object.entries(doc).filter(([k]) => k.endsWith('_endpoint') || k === 'jwks_uri');
    expect(urls.length).toBeGreaterThan(4);
    for (const [name, value] of urls) expect(value, name).toMatch(new RegExp(`^${direct.url}/`));
    expect(res.body).not.toContain('evil.test');
  });

  it('ignores X-Forwarded-Host, even from a trusted proxy', async () => {
    const res = await raw(behindProxy, '/.well-known/openid-configuration', {
      host: hostOf(behindProxy),
      'x-forwarded-host': 'evil.test',
      'x-forwarded-proto': 'https',
    });
    const doc = JSON.parse(res.body) as { token_endpoint: string };
    expect(doc.token_endpoint).toBe(`${behindProxy.url}/token`);
  });

  it('and JWKS may be kept by a shared cache', async () => {
    for (const path of ['/.well-known/openid-configuration', '/jwks']) {
      const res = await raw(direct, path, { host: 'evil.test', origin: 'https://app.example' });
      expect(res.status, path).toBe(200);
      expect(res.headers['cache-control'], path).toBe('public, max-age=300');
      expect(String(res.headers.vary), path).toMatch(/origin/i);
    }
  });

  it('refuses an absolute-form request target naming another host', async () => {
    const res = await raw(direct, 'http://evil.test/.well-known/openid-configuration', {
      host: 'evil.test',
      accept: 'application/json',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'invalid_request' });
  });
});

describe('end-session', () => {
  it('posts its confirmation to the issuer, not to the Host it was asked on', async () => {
    const res = await raw(direct, '/session/end', { host: 'evil.test', accept: 'text/html' });
    expect(res.status).toBe(200);
    expect(parseForm(res.body).action).toBe(`${direct.url}/session/end/confirm`);
    expect(res.body).not.toContain('evil.test');
  });

  const malformed = ['a b', '[', 'a@b', '%zz', 'x:y:z', '', 'evil.test/path', 'host:port'];

  it('answers a malformed Host with 400, a page for browsers', async () => {
    for (const host of malformed) {
      const res = await raw(direct, '/session/end', { host, accept: 'text/html' });
      expect(res.status, JSON.stringify(host)).toBe(400);
      expect(res.headers['content-type'], JSON.stringify(host)).toMatch(/text\/html/);
    }
  });

  it('and JSON for programs, everywhere', async () => {
    for (const path of ['/session/end', '/.well-known/openid-configuration', '/jwks', '/token', '/auth']) {
      for (const host of malformed) {
        const res = await raw(direct, path, { host, accept: 'application/json' });
        expect(res.status, `${path} ${JSON.stringify(host)}`).toBe(400);
        expect(JSON.parse(res.body), path).toMatchObject({ error: 'invalid_request' });
      }
    }
  });
});
