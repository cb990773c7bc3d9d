import { z } from 'zod';
import type { Account, AccountStore } from '../../accounts/types.ts';
import { minutesLeft } from '../../delivery/expiry.ts';
import type { Channel, DeliveryError } from '../../delivery/types.ts';
import type { MessageKey, MessageVars, PluralKey } from '../../i18n/index.ts';
import type { Logger } from '../../log.ts';
import type { OtpService } from '../../otp/service.ts';
import type { SendLimiter } from '../../security/regulation.ts';
import type {
  Credential,
  CredentialStore,
  Factor,
  FactorMessage,
  FactorRequest,
  FactorView,
  VerifyResult,
} from '../types.ts';

/**
 * A code sent to an address the user proved they control: the email factor and the SMS factor
 * are this one module with a different channel. Both are NIST "restricted" authenticators.
 * The address is kept in the credential in plain text (it is needed to send codes and is not
 * a secret); the codes themselves live only as HMACs in the OTP store.
 */

/** Options of {@link createAddressFactor}. */
export interface AddressFactorOptions {
  /** `email` or `sms`. */
  channel: Channel;
  otp: OtpService;
  credentials: CredentialStore;
  /** Audit log: `mfa.challenge_sent` when a code goes out (never the code). */
  logger?: Pick<Logger, 'info'>;
  /**
   * Caps on codes sent per account and per destination (keyed by the OTP service's keyed
   * hash of the address). Without them, sends are limited only per OTP session.
   */
  sendLimits?: { perAccount: SendLimiter; perAddress: SendLimiter };
  /**
   * When given, an enrolment that proves the account's own address marks it verified
   * (`email_verified` / `phone_verified`): the only way besides the operator's word that it
   * becomes true. Without it the account is left alone.
   */
  accounts?: Pick<AccountStore, 'findById' | 'update'>;
}

/**
 * A message of this factor's pages: a key of tollgate's catalogue (src/i18n/locales), translated
 * when the page renders.
 */
const say = (key: MessageKey | PluralKey, vars?: MessageVars): FactorMessage =>
  vars ? { key, vars } : { key };

/** What users read when the send limits refuse another code. */
export const TOO_MANY_SENDS: FactorMessage = say('address.tooManySends');

const ADDRESS: Record<Channel, z.ZodType<string>> = {
  email: z.email().max(254),
  sms: z.string().regex(/^\+[1-9]\d{6,14}$/),
};

const META: Record<
  Channel,
  {
    label: string;
    amr: string[];
    noun: string;
    /** What users read for an address that is not one (failure `invalid_address`). */
    invalid: FactorMessage;
    /** What users read for an enrolment code that expired: enter the address again. */
    expired: FactorMessage;
    prefill: (a: Account) => string | undefined;
    /** The account field that records the address as proven. */
    verified: 'email_verified' | 'phone_verified';
  }
> = {
  // RFC 8176 has no value for an emailed code: `email` is tollgate's documented custom value.
  email: {
    label: 'Email code',
    amr: ['email'],
    noun: 'email address',
    invalid: say('address.invalid.email'),
    expired: say('address.enrolExpired.email'),
    prefill: (a) => a.email,
    verified: 'email_verified',
  },
  sms: {
    label: 'Text message code',
    amr: ['sms'],
    noun: 'mobile number',
    invalid: say('address.invalid.sms'),
    expired: say('address.enrolExpired.sms'),
    prefill: (a) => a.phone,
    verified: 'phone_verified',
  },
};

/** Whether two addresses name the same mailbox or number (email domains and case fold). */
const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

/** What users read when a code could not be sent; no attempt is used up by it. */
const undelivered = (error: DeliveryError): FactorMessage => say(`address.delivery.${error}`);

const owner = (req: FactorRequest) => `login:${req.flowId}`;

/** Whole minutes the code sent at `expiresAt` (epoch ms, from `otp.ttl`) is still valid. */
const validMinutes = (expiresAt: unknown) =>
  typeof expiresAt === 'number' ? minutesLeft(new Date(expiresAt)) : undefined;

/** Email-code (`channel: 'email'`) or SMS-code (`channel: 'sms'`) factor. */
export function createAddressFactor(options: AddressFactorOptions): Factor {
  const { channel, otp, credentials } = options;
  const meta = META[channel];
  const view = (
    name: string,
    data: Record<string, unknown>,
    messages: { error?: FactorMessage; notice?: FactorMessage } = {},
  ): FactorView => ({
    view: `factors/address-${name}`,
    data: { channel, noun: meta.noun, ...data },
    ...(messages.error ? { error: messages.error } : {}),
    ...(messages.notice ? { notice: messages.notice } : {}),
  });

  const credentialOf = async (accountId: string): Promise<Credential | undefined> =>
    (await credentials.list(accountId)).find((c) => c.factor === channel);

  /** Whether the account and the address may receive one more code (and counts it). */
  async function allowSend(req: FactorRequest, to: string): Promise<boolean> {
    const limits = options.sendLimits;
    if (!limits) return true;
    const [account, address] = await Promise.all([
      limits.perAccount.consume(req.account.id),
      limits.perAddress.consume(otp.hashAddress(to)),
    ]);
    if (account && address) return true;
    options.logger?.info(
      { event: 'mfa.send_limited', factor: channel, account: req.account.id, ip: req.ip },
      'code not sent: send limit reached',
    );
    return false;
  }

  /**
   * Sends a fresh code for this flow (new OTP session). A login code is recorded under
   * `sessionId`/`sentTo`, an enrolment code under `enrolSessionId`/`enrolSentTo`: a code
   * sent to a new address must never pass a login challenge.
   */
  async function send(
    req: FactorRequest,
    to: string,
    purpose: 'login' | 'enrolment',
  ): Promise<FactorMessage | undefined> {
    if (!(await allowSend(req, to))) return TOO_MANY_SENDS;
    const { session, delivery } = await otp.issue({
      owner: owner(req),
      channel,
      to,
      purpose,
      appName: req.clientName ?? 'tollgate',
      clientId: req.clientId,
      // The login's language: the code arrives in the language of the pages that sent it.
      ...(req.locale ? { locale: req.locale } : {}),
    });
    if (purpose === 'login') {
      req.state.sessionId = session.id;
      req.state.sentTo = session.toMasked;
      req.state.expiresAt = session.expiresAt;
    } else {
      req.state.enrolSessionId = session.id;
      req.state.enrolSentTo = session.toMasked;
      req.state.enrolExpiresAt = session.expiresAt;
    }
    if (!delivery.ok) {
      // A send that never went out is not the user's: it does not count against their quota.
      const limits = options.sendLimits;
      await Promise.all([
        limits?.perAccount.refund?.(req.account.id),
        limits?.perAddress.refund?.(otp.hashAddress(to)),
      ]);
    }
    if (delivery.ok) {
      options.logger?.info(
        {
          event: 'mfa.challenge_sent',
          factor: channel,
          channel,
          account: req.account.id,
          purpose,
          to: session.toMasked,
        },
        'code sent',
      );
    }
    return delivery.ok ? undefined : undelivered(delivery.error);
  }

  /**
   * The code just proved `address`: when it is the account's own (read afresh, so an operator's
   * change meanwhile wins), record it as verified. Another address proves nothing about the
   * account's, which stays as it was.
   */
  async function markVerified(accountId: string, address: string) {
    const accounts = options.accounts;
    if (!accounts) return;
    const account = await accounts.findById(accountId);
    const own = account && meta.prefill(account);
    if (!account || !own || !sameAddress(own, address) || account[meta.verified]) return;
    await accounts.update(accountId, { [meta.verified]: true });
    options.logger?.info(
      { event: 'account.address_verified', factor: channel, channel, account: accountId },
      `${meta.noun} verified`,
    );
  }

  async function liveSession(req: FactorRequest) {
    const id = typeof req.state.sessionId === 'string' ? req.state.sessionId : undefined;
    const session = id ? await otp.get(owner(req), id) : undefined;
    return session?.status === 'pending' && session.sends > 0 ? session : undefined;
  }

  const factor: Factor = {
    id: channel,
    label: meta.label,
    // "Email code (a***@example.com)": the factor's name, then where the codes go.
    credentialName(credential, { label }) {
      const stored = credential.label ?? meta.label;
      if (stored === meta.label) return label;
      return stored.startsWith(`${meta.label} (`) ? `${label}${stored.slice(meta.label.length)}` : stored;
    },
    amr: meta.amr,
    restricted: true,
    enrollable: true,
    backup: false,

    async isEnrolled(accountId) {
      return (await credentialOf(accountId)) !== undefined;
    },

    async startEnrolment(req) {
      return view('enrol', {
        address: (req.state.address as string | undefined) ?? meta.prefill(req.account) ?? '',
      });
    },

    async finishEnrolment(req, input) {
      // Step 1: an address is entered; a code goes to it. Step 2: the code proves control of it.
      // The address form's field names the step, even left empty: its answer is never a code.
      if (input.address !== undefined) {
        const parsed = ADDRESS[channel].safeParse(input.address.trim());
        if (!parsed.success) {
          // About the address, never about a code: the page says which kind of address it wants.
          return {
            outcome: 'refused',
            error: 'invalid_address',
            view: view('enrol', { address: input.address }, { error: meta.invalid }),
          };
        }
        req.state.address = parsed.data;
        const failure = await send(req, parsed.data, 'enrolment');
        if (failure)
          return {
            outcome: 'undelivered',
            view: view('enrol', { address: parsed.data }, { error: failure }),
            limited: failure.key === TOO_MANY_SENDS.key,
          };
        return {
          outcome: 'next',
          view: view('confirm', {
            sentTo: req.state.enrolSentTo,
            validMinutes: validMinutes(req.state.enrolExpiresAt),
          }),
        };
      }
      const address = typeof req.state.address === 'string' ? req.state.address : undefined;
      const id = typeof req.state.enrolSessionId === 'string' ? req.state.enrolSessionId : undefined;
      if (!address || !id)
        return { outcome: 'refused', error: 'expired_code', view: view('enrol', { address: '' }) };
      const result = await otp.verify(owner(req), id, input.code ?? '');
      if (!result?.approved) {
        const error = result?.status === 'pending' ? 'invalid_code' : 'expired_code';
        return {
          outcome: 'refused',
          error,
          view: view(
            'confirm',
            {
              sentTo: req.state.enrolSentTo,
              validMinutes: error === 'expired_code' ? undefined : validMinutes(req.state.enrolExpiresAt),
            },
            error === 'expired_code' ? { error: meta.expired } : {},
          ),
        };
      }
      // Binding a (new) address replaces the old one of this channel.
      await credentials.deleteAll(req.account.id, channel);
      const credential = await credentials.create({
        account_id: req.account.id,
        factor: channel,
        label: `${meta.label} (${req.state.enrolSentTo as string})`,
        data: { address },
      });
      delete req.state.address;
      delete req.state.enrolSessionId;
      delete req.state.enrolSentTo;
      delete req.state.enrolExpiresAt;
      await markVerified(req.account.id, address);
      return { outcome: 'enrolled', credential };
    },

    async challenge(req) {
      const credential = await credentialOf(req.account.id);
      if (!credential) return view('challenge', {}, { error: say('failure.not_enrolled') });
      // A reload of the page does not send another code; "Send a new code" does.
      const live = await liveSession(req);
      if (live)
        return view('challenge', { sentTo: req.state.sentTo, validMinutes: validMinutes(live.expiresAt) });
      const failure = await send(req, String(credential.data.address), 'login');
      return view(
        'challenge',
        { sentTo: req.state.sentTo, validMinutes: failure ? undefined : validMinutes(req.state.expiresAt) },
        { error: failure },
      );
    },

    async resend(req) {
      const credential = await credentialOf(req.account.id);
      const id = typeof req.state.sessionId === 'string' ? req.state.sessionId : undefined;
      if (!credential || !id) return factor.challenge(req);
      const result = await otp.resend(owner(req), id, String(credential.data.address));
      if (!result) return factor.challenge(req);
      if (result.ok)
        return view(
          'challenge',
          { sentTo: req.state.sentTo, validMinutes: validMinutes(result.session.expiresAt) },
          { notice: say('address.resent') },
        );
      if (result.error === 'cooldown') {
        return view(
          'challenge',
          { sentTo: req.state.sentTo },
          { error: say('address.wait', { count: result.retryAfter }) },
        );
      }
      if (result.error === 'not_pending' || result.error === 'address_mismatch') {
        // The old code expired or was used up: start a new one.
        delete req.state.sessionId;
        return factor.challenge(req);
      }
      if (result.error === 'delivery_failed')
        return view('challenge', { sentTo: req.state.sentTo }, { error: undelivered(result.delivery.error) });
      return view('challenge', { sentTo: req.state.sentTo }, { error: say('address.noMoreCodes') });
    },

    async verify(req, input): Promise<VerifyResult> {
      const credential = await credentialOf(req.account.id);
      if (!credential) return { ok: false, error: 'not_enrolled' };
      const code = (input.code ?? '').replace(/\s+/g, '');
      if (!/^\d{6,10}$/.test(code)) return { ok: false, error: 'malformed_code' };
      // No code ever reached the user (every send failed): nothing to compare, no attempt spent.
      const live = await liveSession(req);
      if (!live) return { ok: false, error: 'expired_code' };
      const result = await otp.verify(owner(req), live.id, code);
      if (result?.approved) {
        await credentials.update(req.account.id, credential.id, {
          last_used_at: Math.floor(Date.now() / 1000),
        });
        delete req.state.sessionId;
        return { ok: true, credentialId: credential.id };
      }
      if (!result || result.status === 'expired') return { ok: false, error: 'expired_code' };
      return { ok: false, error: 'invalid_code' };
    },
  };
  return factor;
}
