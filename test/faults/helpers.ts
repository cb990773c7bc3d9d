import { Secret, TOTP } from 'otpauth';
import type { Account } from '../../src/accounts/types.ts';
import type { Factor } from '../../src/factors/types.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import type { RunningTollgate } from '../helpers/tollgate.ts';
import { stableStep } from '../helpers/totp.ts';

/** The TOTP code of a base32 key for now + `offsetSteps` time steps. */
export const totpAt = (base32: string, offsetSteps = 0) =>
  new TOTP({ secret: Secret.fromBase32(base32) }).generate({ timestamp: Date.now() + offsetSteps * 30_000 });

/**
 * Enrols TOTP for an account through the factor's own enrolment API (what the enrolment page
 * calls), so the credential is exactly what a user would get. Returns the base32 key.
 */
export async function enrolTotp(tg: RunningTollgate, record: Account & { password_hash?: string }) {
  const { password_hash: _omit, ...account } = record;
  const totp = tg.tollgate.mfa.factors.get('totp') as Factor;
  const req = { account, clientId: 'setup', flowId: `setup-${account.id}`, ip: '127.0.0.1', state: {} };
  const view = await totp.startEnrolment(req);
  const key = String(view.data.secret).replace(/\s+/g, '');
  // The enrolment code is then refused for sign-in (replay): it takes the previous step's code,
  // which the server accepts only until the step ends: make sure it does not end mid-request.
  await stableStep();
  const done = await totp.finishEnrolment(req, { code: totpAt(key, -1) });
  if (done.outcome !== 'enrolled') throw new Error(`TOTP enrolment failed: ${done.outcome}`);
  return { key };
}

/**
 * A browser in front of several servers that share one host name behind a load balancer: cookies
 * are host-scoped, not port-scoped, so every server sees the same jar. (The test helper's jar
 * keys cookies by origin; after each response the answering origin's jar is copied to the others.)
 */
export class SharedHostBrowser extends Browser {
  readonly origins: string[];

  constructor(urls: string[]) {
    super();
    this.origins = urls.map((u) => new URL(u).origin);
  }

  override async request(url: string, init: Parameters<Browser['request']>[1] = {}): Promise<Page> {
    const page = await super.request(url, init);
    const from = new URL(url).origin;
    if (this.origins.includes(from)) {
      const source = this.cookies.filter((c) => c.origin === from);
      for (let i = this.cookies.length - 1; i >= 0; i--) {
        const c = this.cookies[i];
        if (c && c.origin !== from && this.origins.includes(c.origin)) this.cookies.splice(i, 1);
      }
      for (const origin of this.origins) {
        if (origin !== from) this.cookies.push(...source.map((c) => ({ ...c, origin })));
      }
    }
    return page;
  }
}
