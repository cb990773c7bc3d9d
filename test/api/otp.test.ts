import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisOtpStore } from '../../adapters/redis-otp.ts';
import { createOtpApiRouter, issueBodySchema } from '../../src/api/otp/router.ts';
import { clientSchema } from '../../src/config/schema.ts';
import type { CodeMessage, Delivery, DeliveryError } from '../../src/delivery/types.ts';
import { createLogger } from '../../src/log.ts';
import { createOtpService } from '../../src/otp/service.ts';
import { createRenderer } from '../../src/render.ts';
import { errorHandler } from '../../src/server/error-handler.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';

/* The OTP API end to end: real HTTP, real Redis, a capturing Delivery instead of SMTP/webhooks. */

const SECRETS = {
  svc: 'svc-secret-0123456789abcdef',
  other: 'other-secret-0123456789ab',
  noperm: 'noperm-secret-0123456789',
};
const clients = [
  { client_id: 'svc', client_name: 'Lenny', client_secret: SECRETS.svc, otp_api: true },
  { client_id: 'other', client_secret: SECRETS.other, otp_api: true },
  { client_id: 'noperm', client_secret: SECRETS.noperm },
].map((c) => clientSchema.parse({ ...c, grant_types: ['client_credentials'] }));

const messages: CodeMessage[] = [];
const failWith: { error?: DeliveryError } = {};
const capture: Delivery = {
  async send(message) {
    messages.push(message);
    return failWith.error
      ? { ok: false, error: failWith.error, attempts: 1 }
      : { ok: true, id: 'm', attempts: 1 };
  },
};
const logLines: string[] = [];
const clock = { t: Date.now() };

let redisServer: RedisServer;
let redis: Redis;
let server: Server;
let base: string;

beforeAll(async () => {
  redisServer = await startRedis();
  redis = new Redis(redisServer.url);
  const logger = createLogger(
    'info',
    new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  );
  const otp = createOtpService({
    store: createRedisOtpStore(redis, { keyPrefix: 'tg:' }),
    deliveries: { email: capture, sms: capture },
    hmacKey: randomBytes(32),
    ...{ digits: 6, ttl: 600, maxAttempts: 5, resendCooldown: 30, maxSends: 5 },
    now: () => clock.t,
  });
  const router = createOtpApiRouter({
    clients,
    otp,
    limits: { per_address: 3, per_ip: 4, per_client: 1000, wrong_codes_per_ip: 6 },
    redis,
    keyPrefix: 'tg:',
    logger,
  });
  const app = new Koa();
  app.use(errorHandler(createRenderer(), logger));
  app.use(router.routes());
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await redis?.quit();
  await redisServer?.stop();
});

type Json = Record<string, unknown>;
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const AS = { svc: basic('svc', SECRETS.svc), other: basic('other', SECRETS.other) };

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string; type?: string; auth?: string | null } = {},
) {
  const headers: Record<string, string> = {};
  const auth = opts.auth === undefined ? AS.svc : opts.auth;
  if (auth !== null) headers.authorization = auth;
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  if (payload !== undefined) headers['content-type'] = opts.type ?? 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as Json };
}

let n = 0;
const address = () => `user${++n}@example.com`;

/** Issues a code as `svc` and returns the session id and the code that was sent. */
async function issue(extra: Json = {}) {
  const res = await call('POST', '/api/otp', { body: { to: address(), channel: 'email', ...extra } });
  expect(res.status).toBe(201);
  return { id: String(res.body.id), code: messages.at(-1)?.code ?? '', body: res.body };
}
const verify = (id: string, code: string, auth = AS.svc) =>
  call('POST', `/api/otp/${id}/verify`, { body: { code }, auth });
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('OTP API', () => {
  it('issues, then approves the right code', async () => {
    const to = address();
    const res = await call('POST', '/api/otp', {
      body: { to, channel: 'email', external_id: 'order-7', metadata: { plan: 'pro' }, app_name: 'Lenny' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ status: 'pending', channel: 'email', to: 'u***@example.com' });
    expect(res.body).toMatchObject({ attempts_left: 5, external_id: 'order-7', metadata: { plan: 'pro' } });
    expect(Date.parse(String(res.body.expires_at)) - clock.t).toBe(600_000);
    expect(res.body).not.toHaveProperty('code');
    expect(messages.at(-1)).toMatchObject({ to, appName: 'Lenny', clientId: 'svc', purpose: 'verification' });
    const id = String(res.body.id);
    const code = messages.at(-1)?.code ?? '';
    expect(await verify(id, code)).toMatchObject({ status: 200, body: { id, status: 'approved' } });
    expect(await call('GET', `/api/otp/${id}`)).toMatchObject({ status: 200, body: { status: 'approved' } });
  });

  it('sends SMS to E.164 numbers', async () => {
    const res = await call('POST', '/api/otp', { body: { to: '+15551234567', channel: 'sms' } });
    expect(res).toMatchObject({ status: 201, body: { channel: 'sms', to: '+1******4567' } });
  });

  it('reaches every status: pending, max_attempts_reached, expired, canceled; approved only once', async () => {
    const a = await issue({ max_attempts: 2 });
    expect(await verify(a.id, wrong(a.code))).toMatchObject({
      body: { status: 'pending', attempts_left: 1 },
    });
    expect(await verify(a.id, wrong(a.code))).toMatchObject({ body: { status: 'max_attempts_reached' } });
    expect(await verify(a.id, a.code)).toMatchObject({
      status: 200,
      body: { status: 'max_attempts_reached' },
    });

    const b = await issue({ ttl: 60 });
    clock.t += 61_000;
    expect(await verify(b.id, b.code)).toMatchObject({
      status: 200,
      body: { status: 'expired', attempts_left: 5 },
    });
    expect(await call('GET', `/api/otp/${b.id}`)).toMatchObject({ body: { status: 'expired' } });

    const c = await issue();
    expect(await call('DELETE', `/api/otp/${c.id}`)).toMatchObject({
      status: 200,
      body: { id: c.id, status: 'canceled' },
    });
    expect(await verify(c.id, c.code)).toMatchObject({ status: 200, body: { status: 'canceled' } });
    expect(await call('DELETE', `/api/otp/${c.id}`)).toMatchObject({ status: 200 });

    const d = await issue();
    expect(await verify(d.id, d.code)).toMatchObject({ status: 200, body: { status: 'approved' } });
    expect(await verify(d.id, d.code)).toMatchObject({ status: 409, body: { error: 'invalid_state' } });
    expect(await call('DELETE', `/api/otp/${d.id}`)).toMatchObject({
      status: 409,
      body: { error: 'invalid_state' },
    });
    expect(await call('GET', `/api/otp/${d.id}`)).toMatchObject({ body: { status: 'approved' } });
  });

  it('authenticates with HTTP Basic only and requires otp_api', async () => {
    const body = { to: address(), channel: 'email' };
    for (const auth of [
      null,
      basic('svc', 'wrong-secret-0123456789'),
      basic('nobody', SECRETS.svc),
      'Bearer x',
    ]) {
      const res = await call('POST', '/api/otp', { body, auth });
      expect(res).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="tollgate"');
    }
    const viaBody = await call('POST', '/api/otp', {
      body: { ...body, client_id: 'svc', client_secret: SECRETS.svc },
      auth: null,
    });
    expect(viaBody.status).toBe(401);
    const denied = await call('POST', '/api/otp', { body, auth: basic('noperm', SECRETS.noperm) });
    expect(denied).toMatchObject({ status: 403, body: { error: 'insufficient_permission' } });
  });

  it("answers another client's id exactly like an unknown one, and burns nothing", async () => {
    const { id, code } = await issue();
    const unknown = randomBytes(16).toString('base64url');
    for (const [method, suffix] of [
      ['GET', ''],
      ['POST', '/verify'],
      ['DELETE', ''],
    ] as const) {
      const opts = method === 'POST' ? { body: { code } } : {};
      const theirs = await call(method, `/api/otp/${id}${suffix}`, { ...opts, auth: AS.other });
      const missing = await call(method, `/api/otp/${unknown}${suffix}`, opts);
      const malformed = await call(method, `/api/otp/not-an-id${suffix}`, opts);
      expect(theirs).toMatchObject({ status: 404, body: { error: 'not_found' } });
      expect(missing.body).toEqual(theirs.body);
      expect(malformed.body).toEqual(theirs.body);
    }
    expect(await call('GET', `/api/otp/${id}`)).toMatchObject({
      body: { status: 'pending', attempts_left: 5 },
    });
  });

  it('limits codes per address (any spelling) and per end-user IP, with Retry-After', async () => {
    const to = address();
    for (const spelling of [to, to.toUpperCase(), to.replace('user', 'User')]) {
      expect((await call('POST', '/api/otp', { body: { to: spelling, channel: 'email' } })).status).toBe(201);
    }
    const limited = await call('POST', '/api/otp', { body: { to, channel: 'email' } });
    expect(limited).toMatchObject({ status: 429, body: { error: 'rate_limited' } });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);

    const ip = '203.0.113.9';
    for (let i = 0; i < 4; i++) await issue({ end_user_ip: ip });
    const byIp = await call('POST', '/api/otp', {
      body: { to: address(), channel: 'email', end_user_ip: ip },
    });
    expect(byIp).toMatchObject({ status: 429, body: { error: 'rate_limited' } });
    expect(Number(byIp.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('answers bad input with a stable 4xx, never a 5xx', async () => {
    const ok = () => ({ to: address(), channel: 'email' });
    const cases: [string, Parameters<typeof call>[2], number, string][] = [
      ['broken JSON', { raw: '{"to":' }, 400, 'invalid_request'],
      ['a JSON array', { raw: '[1,2]' }, 400, 'invalid_request'],
      ['JSON null', { raw: 'null' }, 400, 'invalid_request'],
      [
        'a form',
        { raw: 'to=a@b.co&channel=email', type: 'application/x-www-form-urlencoded' },
        415,
        'unsupported_media_type',
      ],
      ['text/plain', { raw: JSON.stringify(ok()), type: 'text/plain' }, 415, 'unsupported_media_type'],
      ['no body', {}, 415, 'unsupported_media_type'],
      ['a huge body', { body: { ...ok(), external_id: 'x'.repeat(20_000) } }, 413, 'request_too_large'],
      ['an unknown field', { body: { ...ok(), sendmail: true } }, 400, 'invalid_request'],
      ['a bad email', { body: { to: 'not-an-email', channel: 'email' } }, 400, 'invalid_request'],
      ['a non-E.164 number', { body: { to: '555-1234', channel: 'sms' } }, 400, 'invalid_request'],
      ['an email over sms', { body: { to: 'a@example.com', channel: 'sms' } }, 400, 'invalid_request'],
      ['an unknown channel', { body: { to: 'a@example.com', channel: 'fax' } }, 400, 'invalid_request'],
      ['a ttl too long', { body: { ...ok(), ttl: 3600 } }, 400, 'invalid_request'],
      ['a string ttl', { body: { ...ok(), ttl: '60' } }, 400, 'invalid_request'],
      [
        '11 metadata keys',
        {
          body: {
            ...ok(),
            metadata: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v'])),
          },
        },
        400,
        'invalid_request',
      ],
      [
        'a long metadata value',
        { body: { ...ok(), metadata: { k: 'v'.repeat(257) } } },
        400,
        'invalid_request',
      ],
      ['a non-string metadata value', { body: { ...ok(), metadata: { k: 1 } } }, 400, 'invalid_request'],
      ['a bad end_user_ip', { body: { ...ok(), end_user_ip: 'localhost' } }, 400, 'invalid_request'],
    ];
    for (const [name, opts, status, error] of cases) {
      const res = await call('POST', '/api/otp', opts);
      expect({ name, status: res.status, error: res.body.error }).toEqual({ name, status, error });
    }
    const { id } = await issue();
    for (const body of [{}, { code: 123456 }, { code: '1'.repeat(33) }, { code: '123456', extra: 1 }]) {
      const res = await call('POST', `/api/otp/${id}/verify`, { body });
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    expect(await call('GET', `/api/otp/${id}`)).toMatchObject({ body: { attempts_left: 5 } });
  });

  it('reports a failed delivery as 502 delivery_failed and cancels the session', async () => {
    failWith.error = 'timeout';
    try {
      const res = await call('POST', '/api/otp', { body: { to: address(), channel: 'email' } });
      expect(res).toMatchObject({ status: 502, body: { error: 'delivery_failed' } });
    } finally {
      failWith.error = undefined;
    }
    const line = logLines.map((l) => JSON.parse(l) as Json).find((l) => l.event === 'otp.delivery_failed');
    expect(line).toMatchObject({ reason: 'timeout', client_id: 'svc' });
    expect(await call('GET', `/api/otp/${String(line?.id)}`)).toMatchObject({ body: { status: 'canceled' } });
  });

  it('gives a code that could not be delivered back to the address and IP quotas', async () => {
    const to = address();
    const ip = '203.0.113.20';
    failWith.error = 'timeout';
    try {
      // More failed sends than either quota holds: none of them is counted against the user.
      for (let i = 0; i < 5; i++) {
        const res = await call('POST', '/api/otp', { body: { to, channel: 'email', end_user_ip: ip } });
        expect(res).toMatchObject({ status: 502, body: { error: 'delivery_failed' } });
      }
    } finally {
      failWith.error = undefined;
    }
    for (let i = 0; i < 3; i++) {
      const res = await call('POST', '/api/otp', { body: { to, channel: 'email', end_user_ip: ip } });
      expect(res.status).toBe(201);
    }
    const over = await call('POST', '/api/otp', { body: { to, channel: 'email', end_user_ip: ip } });
    expect(over).toMatchObject({ status: 429, body: { error: 'rate_limited' } });
  });

  it('limits wrong codes per end-user IP across sessions, before the code is checked', async () => {
    const ip = '203.0.113.30';
    const guess = (id: string, code: string) =>
      call('POST', `/api/otp/${id}/verify`, { body: { code, end_user_ip: ip } });
    // Three sessions, two wrong codes each: within every session's own cap of 5.
    const sessions = [await issue(), await issue(), await issue()];
    for (const { id, code } of sessions) {
      for (let i = 0; i < 2; i++) expect((await guess(id, wrong(code))).status).toBe(200);
    }
    // A fourth session, its right code: refused unchecked, and the session is still pending.
    const last = await issue();
    const refused = await guess(last.id, last.code);
    expect(refused).toMatchObject({ status: 429, body: { error: 'rate_limited' } });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await call('GET', `/api/otp/${last.id}`)).toMatchObject({
      body: { status: 'pending', attempts_left: 5 },
    });
    // Another user (no IP, or another IP) is not affected.
    expect(await verify(last.id, last.code)).toMatchObject({ status: 200, body: { status: 'approved' } });
  });

  it('serves an OpenAPI 3.1 document without authentication, matching the routes and schemas', async () => {
    const res = await call('GET', '/api/openapi.json', { auth: null });
    expect(res.status).toBe(200);
    const doc = res.body as { openapi: string; paths: Record<string, Json>; components: Json };
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m} ${p}`),
    );
    expect(operations.sort()).toEqual(
      ['post /api/otp', 'post /api/otp/{id}/verify', 'get /api/otp/{id}', 'delete /api/otp/{id}'].sort(),
    );
    const issueSchema = (doc.components.schemas as Record<string, { properties: Json }>).IssueRequest;
    expect(Object.keys(issueSchema?.properties ?? {}).sort()).toEqual(
      Object.keys(issueBodySchema.shape).sort(),
    );
    expect(doc.components.securitySchemes).toMatchObject({ clientBasic: { type: 'http', scheme: 'basic' } });
  });

  it('logs issued, verified and canceled events, never a code or a full address', async () => {
    const events = logLines.map((l) => (JSON.parse(l) as Json).event);
    for (const event of ['otp.issued', 'otp.verified', 'otp.canceled']) expect(events).toContain(event);
    const log = logLines.join('\n');
    for (const m of messages) {
      expect(log).not.toContain(m.to);
      expect(log).not.toMatch(new RegExp(`(^|[^A-Za-z0-9_-])${m.code}($|[^A-Za-z0-9_-])`));
    }
  });
});
