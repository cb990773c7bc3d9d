import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context } from 'koa';
import {
  type IRateLimiterOptions,
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterRes,
} from 'rate-limiter-flexible';
import { type ZodType, z } from 'zod';
import type { RedisClient } from '../../../adapters/redis-client.ts';
import type { ClientConfig } from '../../config/schema.ts';
import {
  DeliveryFailed,
  InvalidRequest,
  InvalidState,
  NotFound,
  RateLimited,
  TollgateError,
} from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { OtpService } from '../../otp/service.ts';
import type { OtpSession } from '../../otp/types.ts';
import { readBody } from '../../server/read-body.ts';
import { type ApiClient, type ApiState, otpApiAuth } from './auth.ts';
import { openApiDocument } from './openapi.ts';

/**
 * The OTP API for trusted services (clients with `otp_api: true`), after Open Library's
 * issue/redeem and otpgateway: a service asks tollgate to send a code to an address, then checks
 * the code its user typed. Routes, top to bottom:
 *   POST   /api/otp              authenticate -> parse JSON -> rate limits -> issue (201)
 *   POST   /api/otp/:id/verify   authenticate -> parse JSON -> verify (200 with status; 409 once used)
 *   GET    /api/otp/:id          authenticate -> read (200)
 *   DELETE /api/otp/:id          authenticate -> cancel (200; 409 when already approved)
 *   GET    /api/openapi.json     the OpenAPI 3.1 description (no authentication)
 * Errors are `{ error, error_description }` (src/server/error-handler.ts).
 */

/** Codes per hour, as in `otp.api_limits`. */
export interface OtpApiLimits {
  /** Per address (keyed by its HMAC, never the address). */
  per_address: number;
  /** Per end-user IP, when the caller passes `end_user_ip`. */
  per_ip: number;
  /** Per calling client. */
  per_client: number;
  /** Wrong codes per end-user IP, when the caller passes `end_user_ip` to verify. @default 50 */
  wrong_codes_per_ip?: number;
}

/** Options of {@link createOtpApiRouter}. */
export interface OtpApiOptions {
  /** Configured clients; those with `otp_api: true` and a secret may call the API. */
  clients: readonly ClientConfig[];
  otp: OtpService;
  limits: OtpApiLimits;
  /** Rate-limit counters shared by every process; omitted: process memory (single process only). */
  redis?: RedisClient;
  /** Prefix of the rate-limit keys in Redis (`tollgate:`). */
  keyPrefix: string;
  logger: Logger;
}

/** Body size limit: requests are a few hundred bytes; anything near this is not a real caller. */
const BODY_LIMIT = '16kb';
/** Session ids are 16 random bytes, base64url: anything else cannot exist. */
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
const E164 = /^\+[1-9]\d{6,14}$/;
const PRINTABLE = /^[^\p{Cc}]+$/u;
const LOCALE = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/;

const metadataSchema = z
  .record(z.string().min(1).max(64), z.string().max(256))
  .refine((m) => Object.keys(m).length <= 10, 'at most 10 keys');

/** Body of `POST /api/otp`. */
export const issueBodySchema = z
  .strictObject({
    to: z.string().min(3).max(254),
    channel: z.enum(['email', 'sms']),
    ttl: z.number().int().min(30).max(600).optional(),
    max_attempts: z.number().int().min(1).max(10).optional(),
    external_id: z.string().min(1).max(128).regex(PRINTABLE).optional(),
    metadata: metadataSchema.optional(),
    end_user_ip: z.union([z.ipv4(), z.ipv6()]).optional(),
    app_name: z.string().min(1).max(64).regex(PRINTABLE).optional(),
    locale: z.string().max(35).regex(LOCALE).optional(),
  })
  .superRefine((body, ctx) => {
    if (body.channel === 'email' && !z.email().safeParse(body.to).success) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be an email address' });
    }
    if (body.channel === 'sms' && !E164.test(body.to)) {
      ctx.addIssue({
        code: 'custom',
        path: ['to'],
        message: 'must be an E.164 number: + and 7 to 15 digits',
      });
    }
  });

/** Body of `POST /api/otp/{id}/verify`. */
export const verifyBodySchema = z.strictObject({
  code: z.string().min(1).max(32),
  end_user_ip: z.union([z.ipv4(), z.ipv6()]).optional(),
});

const parseJsonBody = bodyParser({ enableTypes: ['json'], jsonLimit: BODY_LIMIT, encoding: 'utf-8' });

/** Reads and validates a JSON body: 415 for another type, 413 past 16 KiB, 400 for the rest. */
async function readJson<T>(ctx: Context, schema: ZodType<T>): Promise<T> {
  if (ctx.is('application/json') !== 'application/json') {
    throw new TollgateError(
      415,
      'unsupported_media_type',
      'Send a JSON body (Content-Type: application/json).',
    );
  }
  await readBody(ctx, parseJsonBody);
  const parsed = schema.safeParse((ctx.request as { body?: unknown }).body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message,
    );
    throw new InvalidRequest(`Invalid request body: ${problems.join('; ')}.`);
  }
  return parsed.data;
}

/** The API's view of a session: snake_case, ISO dates, the address masked. */
export function sessionView(s: OtpSession) {
  return {
    id: s.id,
    status: s.status,
    channel: s.channel,
    to: s.toMasked,
    created_at: new Date(s.createdAt).toISOString(),
    expires_at: new Date(s.expiresAt).toISOString(),
    attempts_left: Math.max(0, s.maxAttempts - s.attempts),
    sends: s.sends,
    external_id: s.externalId ?? null,
    metadata: s.metadata ?? {},
  };
}

// One body for "no such id" and "another client's id", so ids of other clients cannot be probed.
const notFound = () => new NotFound('No OTP with this id.');

type Limiter = RateLimiterMemory | RateLimiterRedis;

/** Verify outcomes that were (or follow) a wrong code. */
const WRONG = new Set(['pending', 'max_attempts_reached']);

/** Creates the router; mount it with `app.use(router.routes())` behind the error handler. */
export function createOtpApiRouter(options: OtpApiOptions): Router<ApiState> {
  const { otp, logger } = options;
  const auth = otpApiAuth(options.clients);
  const make = (name: string, points: number): Limiter => {
    const opts: IRateLimiterOptions = { points, duration: 3600 };
    return options.redis
      ? new RateLimiterRedis({
          ...opts,
          storeClient: options.redis,
          keyPrefix: `${options.keyPrefix}rl:${name}`,
        })
      : new RateLimiterMemory({ ...opts, keyPrefix: name });
  };
  const limiters = {
    address: make('otp-address', options.limits.per_address),
    ip: make('otp-ip', options.limits.per_ip),
    client: make('otp-client', options.limits.per_client),
    wrongCodes: make('otp-wrong-ip', options.limits.wrong_codes_per_ip ?? 50),
  };

  /** Seconds until `key` may be used again, or 0 when this call is within the limit. */
  async function consume(limiter: Limiter, key: string): Promise<number> {
    try {
      await limiter.consume(key);
      return 0;
    } catch (res: unknown) {
      // rate-limiter-flexible rejects with a RateLimiterRes when over the limit, with an Error on
      // a store failure (which must fail closed: the error handler turns an outage into a 503).
      if (res instanceof Error) throw res;
      return Math.max(1, Math.ceil((res as RateLimiterRes).msBeforeNext / 1000));
    }
  }

  /** 429 with Retry-After when any wait is due. */
  function refuseIfWaiting(ctx: Context, client: ApiClient, waits: number[], message: string) {
    const retryAfter = Math.max(0, ...waits);
    if (retryAfter === 0) return;
    logger.info(
      { event: 'otp.rate_limited', client_id: client.clientId, retry_after: retryAfter },
      'rate limited',
    );
    ctx.set('Retry-After', String(retryAfter));
    throw new RateLimited(retryAfter, `${message} Try again in ${retryAfter} seconds.`);
  }

  /**
   * Takes one code from each quota. Returns the refund for a code nobody could receive: the
   * address and the end user did nothing wrong, so they get theirs back; the client's quota
   * stays spent, as it guards the delivery channel itself.
   */
  async function enforceLimits(ctx: Context, client: ApiClient, to: string, ip: string | undefined) {
    const address = otp.hashAddress(to);
    const waits = await Promise.all([
      consume(limiters.client, client.clientId),
      consume(limiters.address, address),
      ip === undefined ? 0 : consume(limiters.ip, ip),
    ]);
    refuseIfWaiting(ctx, client, waits, 'Too many codes requested.');
    return async () => {
      await limiters.address.reward(address, 1);
      if (ip !== undefined) await limiters.ip.reward(ip, 1);
    };
  }

  const sessionId = (ctx: { params: Record<string, string | undefined> }) => {
    const id = ctx.params.id ?? '';
    if (!SESSION_ID.test(id)) throw notFound();
    return id;
  };

  const router = new Router<ApiState>();

  router.get('/api/openapi.json', (ctx) => {
    ctx.body = openApiDocument;
  });

  router.post('/api/otp', auth, async (ctx) => {
    const client = ctx.state.otpClient;
    const body = await readJson(ctx, issueBodySchema);
    if (!otp.channels.includes(body.channel)) {
      throw new InvalidRequest(`The channel "${body.channel}" is not available on this server.`);
    }
    const refund = await enforceLimits(ctx, client, body.to, body.end_user_ip);
    const { session, delivery } = await otp.issue({
      owner: client.owner,
      channel: body.channel,
      to: body.to,
      purpose: 'verification',
      appName: body.app_name ?? client.name,
      clientId: client.clientId,
      ...(body.locale === undefined ? {} : { locale: body.locale }),
      ...(body.ttl === undefined ? {} : { ttl: body.ttl }),
      ...(body.max_attempts === undefined ? {} : { maxAttempts: body.max_attempts }),
      ...(body.external_id === undefined ? {} : { externalId: body.external_id }),
      ...(body.metadata === undefined ? {} : { metadata: body.metadata }),
    });
    const fields = {
      id: session.id,
      client_id: client.clientId,
      channel: session.channel,
      to: session.toMasked,
    };
    if (!delivery.ok) {
      // Nobody can receive this code: close the session so it cannot linger as "pending".
      await otp.cancel(client.owner, session.id);
      await refund();
      logger.warn({ event: 'otp.delivery_failed', ...fields, reason: delivery.error }, 'otp delivery failed');
      throw new DeliveryFailed(`The code could not be delivered (${delivery.error}).`);
    }
    logger.info({ event: 'otp.issued', ...fields, expires_at: session.expiresAt }, 'otp issued');
    ctx.set('Cache-Control', 'no-store');
    ctx.status = 201;
    ctx.body = sessionView(session);
  });

  router.post('/api/otp/:id/verify', auth, async (ctx) => {
    const client = ctx.state.otpClient;
    const id = sessionId(ctx);
    const { code, end_user_ip: ip } = await readJson(ctx, verifyBodySchema);
    // Wrong codes per end user across sessions: one session's cap alone lets a user who opens
    // many sessions guess on each. Checked before the code is, so a blocked IP learns nothing.
    if (ip !== undefined) {
      const left = await limiters.wrongCodes.get(ip);
      if (left && left.remainingPoints <= 0)
        refuseIfWaiting(
          ctx,
          client,
          [Math.max(1, Math.ceil(left.msBeforeNext / 1000))],
          'Too many wrong codes from this user.',
        );
    }
    const result = await otp.verify(client.owner, id, code);
    if (!result) throw notFound();
    if (ip !== undefined && !result.approved && WRONG.has(result.status))
      await consume(limiters.wrongCodes, ip);
    logger.info(
      {
        event: 'otp.verified',
        id,
        client_id: client.clientId,
        status: result.status,
        approved: result.approved,
      },
      'otp verified',
    );
    // "200 approved" must mean "this request approved it": a repeated verify (a double submit,
    // a replay) of a used code would otherwise read as a second success to a naive caller.
    if (result.status === 'approved' && !result.approved)
      throw new InvalidState('This OTP was already used.');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { id, status: result.status, attempts_left: result.attemptsLeft };
  });

  router.get('/api/otp/:id', auth, async (ctx) => {
    const session = await otp.get(ctx.state.otpClient.owner, sessionId(ctx));
    if (!session) throw notFound();
    ctx.set('Cache-Control', 'no-store');
    ctx.body = sessionView(session);
  });

  router.delete('/api/otp/:id', auth, async (ctx) => {
    const client = ctx.state.otpClient;
    const id = sessionId(ctx);
    const result = await otp.cancel(client.owner, id);
    if (!result) throw notFound();
    if (!result.ok) throw new InvalidState('This OTP is already approved; it cannot be canceled.');
    logger.info({ event: 'otp.canceled', id, client_id: client.clientId }, 'otp canceled');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { id, status: 'canceled' };
  });

  return router;
}
