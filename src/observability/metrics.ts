import type { Context, Middleware } from 'koa';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Logger } from '../log.ts';

/**
 * Prometheus metrics. Most counters come from the audit events the code already logs
 * (`login.succeeded`, `mfa.failed`, `lockout`, `delivery.failed`, `otp.issued`, ...): one
 * source of truth, so a metric can never disagree with the audit log.
 */
export interface Metrics {
  registry: Registry;
  /** Counts one audit event (the object logged with an `event` field). */
  recordEvent(fields: Record<string, unknown>): void;
  /** Times every HTTP request by route. */
  httpMiddleware(): Middleware;
  /** `GET /metrics` in the Prometheus text format. */
  handler(): Middleware;
}

const LABELS = ['event', 'factor', 'channel', 'reason'] as const;

/**
 * Events whose `reason` stays in the audit log only. A password failure's reason (unknown user,
 * wrong password, disabled) would tell anyone who can scrape which usernames exist and which
 * disabled accounts' passwords were right: as a label, every such failure reads the same. A
 * password reset's (sent, unknown user, no verified address) likewise.
 */
const AUDIT_ONLY_REASON = new Set(['login.failed', 'password.reset_requested']);

/** Label values come from our own code, but stay bounded: anything unexpected becomes "other". */
function label(value: unknown): string {
  return typeof value === 'string' && /^[a-z0-9_.:-]{1,40}$/i.test(value)
    ? value
    : value === undefined
      ? ''
      : 'other';
}

/** Route label without ids, so cardinality stays fixed (`/interaction/:uid/mfa/totp` → `/interaction/:uid/mfa`). */
function routeOf(ctx: Context): string {
  const parts = ctx.path.split('/').filter(Boolean);
  const [first, , third] = parts;
  if (first === 'interaction') return third ? `/interaction/:uid/${third}` : '/interaction/:uid';
  if (first === 'api') return parts.length > 2 ? '/api/otp/:id' : '/api/otp';
  if (first === 'auth' && parts.length > 1) return '/auth/:uid';
  return first ? `/${first}` : '/';
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'tollgate_' });
  const events = new Counter({
    name: 'tollgate_events_total',
    help: 'Audit events by name: logins, MFA results, lockouts, enrolments, deliveries, OTP API calls, Redis errors.',
    labelNames: LABELS,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'tollgate_http_request_duration_seconds',
    help: 'HTTP request latency by route, method and status.',
    labelNames: ['route', 'method', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  return {
    registry,
    recordEvent(fields) {
      if (typeof fields.event !== 'string') return;
      events.inc({
        event: label(fields.event),
        factor: label(fields.factor),
        channel: label(fields.channel),
        reason: AUDIT_ONLY_REASON.has(fields.event) ? '' : label(fields.reason),
      });
    },
    httpMiddleware() {
      return async (ctx, next) => {
        const end = duration.startTimer();
        try {
          await next();
        } finally {
          end({ route: routeOf(ctx), method: ctx.method, status: String(ctx.status) });
        }
      };
    },
    handler() {
      return async (ctx, next) => {
        if (ctx.path !== '/metrics' || ctx.method !== 'GET') return next();
        ctx.set('Cache-Control', 'no-store');
        ctx.type = registry.contentType;
        ctx.body = await registry.metrics();
      };
    },
  };
}

/**
 * The logger, with every event-carrying log line also counted. A Proxy rather than a pino hook,
 * so any logger (a team's own, a silent one in tests) can be wrapped after it was created.
 */
export function withEventMetrics(logger: Logger, metrics: Metrics): Logger {
  const counted = new Set(['info', 'warn', 'error', 'fatal']);
  return new Proxy(logger, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || !counted.has(prop) || typeof value !== 'function') return value;
      return (first: unknown, ...rest: unknown[]) => {
        if (first && typeof first === 'object') metrics.recordEvent(first as Record<string, unknown>);
        return (value as (...a: unknown[]) => unknown).call(target, first, ...rest);
      };
    },
  });
}
