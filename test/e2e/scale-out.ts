// What the Cluster and Sentinel end-to-end files share: tollgate on a `store.redis` block with a
// TOTP-required app and a password-only one, a password-only sign-in, and readiness polled.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as oidc from 'openid-client';
import { generateJwks } from '../../src/provider/keys.ts';
import { Browser } from '../helpers/browser.ts';
import { requiredApp } from '../helpers/delivery-config.ts';
import { RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { authorize, exchange } from '../mfa/helpers.ts';

/**
 * tollgate on `redis` (a `store.redis` block: `cluster` or `sentinel`), its layout recorded:
 * `mfa-app` requires TOTP, `app` asks for the password only.
 */
export async function startScaleOutTollgate(redis: Record<string, unknown>): Promise<RunningTollgate> {
  const jwksFile = join(mkdtempSync(join(tmpdir(), 'tollgate-scale-out-')), 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(generateJwks()));
  const tg = await startTollgate({
    redis,
    jwksFile,
    overrides: {
      mfa: {
        factors: ['totp', 'recovery'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
      clients: [requiredApp('mfa-app', ['totp']), requiredApp('app', 'off')],
    },
  });
  await tg.tollgate.store.ensureLayout();
  return tg;
}

/** A password-only login at `config`: the browser keeps its session, the RP its tokens. */
export async function passwordSignIn(config: oidc.Configuration, username: string, password: string) {
  const browser = new Browser();
  const { page, verifier } = await authorize(browser, config);
  const done = await browser.submit(page, { username, password }, RP_CALLBACK);
  const { tokens, claims } = await exchange(config, done, verifier);
  return { browser, tokens, sub: claims.sub as string };
}

/** Polls `/readyz` until it answers `status` (bounded: a failover takes seconds); how long it took. */
export async function readyzBecomes(tg: RunningTollgate, status: number, ms: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const got = (await fetch(`${tg.url}/readyz`)).status;
    if (got === status) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`/readyz stayed ${got}, not ${status}, for ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
