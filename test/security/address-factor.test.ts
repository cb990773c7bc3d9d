// Unit level: an enrolment code (sent to an address being bound) must never pass a login
// challenge of the same flow, and the send limiter is consulted before any delivery.
import { describe, expect, it } from 'vitest';
import { createMemoryAccountStore } from '../../adapters/memory-accounts.ts';
import { createMemoryCredentialStore } from '../../adapters/memory-credentials.ts';
import { createMemoryOtpStore } from '../../adapters/memory-otp.ts';
import type { Account } from '../../src/accounts/types.ts';
import type { CodeMessage, Delivery } from '../../src/delivery/types.ts';
import { createAddressFactor, TOO_MANY_SENDS } from '../../src/factors/address/index.ts';
import type { FactorRequest } from '../../src/factors/types.ts';
import { createOtpService } from '../../src/otp/service.ts';
import type { SendLimiter } from '../../src/security/regulation.ts';

const account: Account = {
  id: 'acc-1',
  username: 'una',
  groups: [],
  disabled: false,
  created_at: 0,
  updated_at: 0,
};

function setup(sendLimits?: { perAccount: SendLimiter; perAddress: SendLimiter }) {
  const messages: CodeMessage[] = [];
  const delivery: Delivery = {
    async send(message) {
      messages.push(message);
      return { ok: true, id: `m${messages.length}`, attempts: 1 };
    },
  };
  const otp = createOtpService({
    store: createMemoryOtpStore(),
    deliveries: { email: delivery },
    hmacKey: Buffer.alloc(32, 3),
    digits: 6,
    ttl: 600,
    maxAttempts: 5,
    resendCooldown: 30,
    maxSends: 3,
  });
  const credentials = createMemoryCredentialStore();
  const factor = createAddressFactor({ channel: 'email', otp, credentials, sendLimits });
  const req: FactorRequest = { account, clientId: 'app', flowId: 'flow-1', ip: '127.0.0.1', state: {} };
  return { factor, credentials, messages, req };
}

describe('address factor: enrolment and login codes are kept apart', () => {
  it('a code sent to a new address during enrolment does not pass the login challenge', async () => {
    const { factor, credentials, messages, req } = setup();
    await credentials.create({
      account_id: account.id,
      factor: 'email',
      data: { address: 'old@example.test' },
    });

    // Same flow: the user starts binding a new (attacker-controlled) address...
    const sent = await factor.finishEnrolment(req, { address: 'attacker@example.test' });
    expect(sent.outcome).toBe('next');
    const enrolCode = messages.at(-1)?.code as string;
    expect(messages.at(-1)?.to).toBe('attacker@example.test');
    expect(req.state.sessionId).toBeUndefined();

    // ...its code is not a login code, before or after a challenge was opened.
    expect(await factor.verify(req, { code: enrolCode })).toMatchObject({ ok: false });
    const challenge = await factor.challenge(req);
    expect(challenge.error).toBeUndefined();
    // The challenge sent a fresh code to the stored address, not reusing the enrolment session.
    expect(messages.at(-1)?.to).toBe('old@example.test');
    const loginCode = messages.at(-1)?.code as string;
    if (enrolCode !== loginCode)
      expect(await factor.verify(req, { code: enrolCode })).toMatchObject({ ok: false });
    expect(await factor.verify(req, { code: loginCode })).toMatchObject({ ok: true });
  });

  it('a login code does not confirm an enrolment', async () => {
    const { factor, credentials, messages, req } = setup();
    await credentials.create({
      account_id: account.id,
      factor: 'email',
      data: { address: 'old@example.test' },
    });
    await factor.challenge(req);
    const loginCode = messages.at(-1)?.code as string;
    await factor.finishEnrolment(req, { address: 'new@example.test' });
    const enrolCode = messages.at(-1)?.code as string;
    if (enrolCode !== loginCode)
      expect(await factor.finishEnrolment(req, { code: loginCode })).toMatchObject({ outcome: 'refused' });
    const done = await factor.finishEnrolment(req, { code: enrolCode });
    expect(done.outcome).toBe('enrolled');
    expect(req.state.enrolSessionId).toBeUndefined();
    expect((await credentials.list(account.id)).map((c) => c.data.address)).toEqual(['new@example.test']);
  });

  it('asks the send limiter (account id, hashed address) before delivering', async () => {
    const keys: string[] = [];
    let allow = true;
    const limiter = (kind: string): SendLimiter => ({
      async consume(key) {
        keys.push(`${kind}:${key}`);
        return allow;
      },
    });
    const { factor, messages, req } = setup({
      perAccount: limiter('account'),
      perAddress: limiter('address'),
    });
    await factor.finishEnrolment(req, { address: 'una@example.test' });
    expect(messages).toHaveLength(1);
    expect(keys).toContain('account:acc-1');
    expect(keys.some((k) => k.startsWith('address:') && !k.includes('una@example.test'))).toBe(true);

    allow = false;
    const refused = await factor.finishEnrolment(req, { address: 'una@example.test' });
    // Refused by the send limits: a delivery outcome of its own, not a wrong answer.
    expect(refused.outcome).toBe('undelivered');
    expect(refused.outcome === 'undelivered' && refused.view.error).toEqual(TOO_MANY_SENDS);
    expect(refused.outcome === 'undelivered' && refused.limited).toBe(true);
    expect(messages).toHaveLength(1);
  });
});

describe('address factor: a proven address is a verified one', () => {
  /** An account in a real (memory) store, and the email factor writing to it. */
  async function withAccount(email: string | undefined) {
    const accounts = createMemoryAccountStore();
    const created = await accounts.create({ username: 'vera', password_hash: 'h', email });
    const messages: CodeMessage[] = [];
    const otp = createOtpService({
      store: createMemoryOtpStore(),
      deliveries: {
        email: {
          async send(message) {
            messages.push(message);
            return { ok: true, id: `m${messages.length}`, attempts: 1 };
          },
        },
      },
      hmacKey: Buffer.alloc(32, 4),
      digits: 6,
      ttl: 600,
      maxAttempts: 5,
      resendCooldown: 30,
      maxSends: 3,
    });
    const factor = createAddressFactor({
      channel: 'email',
      otp,
      credentials: createMemoryCredentialStore(),
      accounts,
    });
    const req: FactorRequest = {
      account: created,
      clientId: 'app',
      flowId: 'flow-v',
      ip: '127.0.0.1',
      state: {},
    };
    /** Step 1 of an enrolment: a code goes to `address`. */
    const send = (address: string) => factor.finishEnrolment(req, { address });
    /** Step 2: the code is answered (default: the one that was mailed). */
    const confirm = (code?: string) =>
      factor.finishEnrolment(req, { code: code ?? (messages.at(-1)?.code as string) });
    const enrol = async (address: string, code?: string) => {
      await send(address);
      return confirm(code);
    };
    const verified = async () => (await accounts.findById(created.id))?.email_verified;
    return { send, confirm, enrol, verified, accounts, id: created.id };
  }

  it("enrolling the account's own address (any letter case) sets email_verified", async () => {
    const { enrol, verified } = await withAccount('vera@example.test');
    expect(await verified()).toBeUndefined();
    expect((await enrol('Vera@Example.TEST')).outcome).toBe('enrolled');
    expect(await verified()).toBe(true);
  });

  it('a wrong code proves nothing: email_verified stays unset', async () => {
    const { enrol, verified } = await withAccount('vera@example.test');
    expect((await enrol('vera@example.test', '000000')).outcome).toBe('refused');
    expect(await verified()).toBeUndefined();
  });

  it("another address proves nothing about the account's: it keeps its email, unverified", async () => {
    const { enrol, verified, accounts, id } = await withAccount('vera@example.test');
    expect((await enrol('other@example.test')).outcome).toBe('enrolled');
    expect(await verified()).toBeUndefined();
    expect((await accounts.findById(id))?.email).toBe('vera@example.test');
  });

  it('an account without an email gets none from the factor', async () => {
    const { enrol, verified, accounts, id } = await withAccount(undefined);
    expect((await enrol('vera@example.test')).outcome).toBe('enrolled');
    expect(await verified()).toBeUndefined();
    expect((await accounts.findById(id))?.email).toBeUndefined();
  });

  it('an operator change of the email during the enrolment wins', async () => {
    const { send, confirm, verified, accounts, id } = await withAccount('vera@example.test');
    await send('vera@example.test');
    await accounts.update(id, { email: 'changed@example.test', email_verified: false });
    expect((await confirm()).outcome).toBe('enrolled');
    expect(await verified()).toBe(false);
  });
});
