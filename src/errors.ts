/**
 * Every error tollgate raises on purpose. Each carries an HTTP `status`, a stable OAuth-style
 * `error` code callers can switch on, a human `description`, and `expose` (whether the
 * description may be shown to the end-user). One handler (src/server/error-handler.ts)
 * turns them into an HTML page or JSON.
 */

/** Stable error codes of tollgate's own endpoints. */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_csrf_token'
  | 'request_too_large'
  | 'unsupported_media_type'
  | 'interaction_not_found'
  | 'invalid_credentials'
  | 'not_found'
  | 'service_unavailable'
  | 'server_error'
  | 'invalid_client'
  | 'insufficient_permission'
  | 'rate_limited'
  | 'delivery_failed'
  | 'invalid_state';

/** Base class: thrown anywhere, rendered in one place. */
export class TollgateError extends Error {
  readonly status: number;
  readonly error: ErrorCode;
  readonly description: string;
  readonly expose: boolean;

  constructor(
    status: number,
    error: ErrorCode,
    description: string,
    options?: { cause?: unknown; expose?: boolean },
  ) {
    super(description, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = status;
    this.error = error;
    this.description = description;
    this.expose = options?.expose ?? status < 500;
  }
}

/** A form or query that cannot be understood. */
export class InvalidRequest extends TollgateError {
  constructor(description = 'The request could not be understood.', cause?: unknown) {
    super(400, 'invalid_request', description, { cause });
  }
}

/** The CSRF token of a form POST is missing or wrong. */
export class InvalidCsrfToken extends TollgateError {
  constructor() {
    super(
      403,
      'invalid_csrf_token',
      'This form has expired or was not sent from this site. Please start again.',
    );
  }
}

/** The login interaction is unknown, expired, or belongs to another browser. */
export class InteractionNotFound extends TollgateError {
  constructor(cause?: unknown) {
    super(
      400,
      'interaction_not_found',
      'This sign-in request has expired or is no longer valid. Please start again.',
      {
        cause,
      },
    );
  }
}

/** A required backing service (Redis) does not answer: fail closed. */
export class ServiceUnavailable extends TollgateError {
  constructor(cause?: unknown) {
    super(
      503,
      'service_unavailable',
      'The service is temporarily unavailable. Please try again in a moment.',
      {
        cause,
        expose: true,
      },
    );
  }
}

/** The configuration file is invalid; `problems` names each bad field and why. */
export class ConfigError extends Error {
  readonly source: string;
  readonly problems: string[];

  constructor(source: string, problems: string[]) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.source = source;
    this.problems = problems;
  }
}

/** Errors raised by the account store (duplicate username, unknown account). */
export class AccountError extends Error {
  readonly code: 'account_exists' | 'account_not_found' | 'weak_password' | 'invalid_username';

  constructor(code: AccountError['code'], message: string) {
    super(message);
    this.name = 'AccountError';
    this.code = code;
  }
}

/** Unknown id, or one the caller may not see: both answer the same, so ids cannot be probed. */
export class NotFound extends TollgateError {
  constructor(description = 'Not found.') {
    super(404, 'not_found', description);
  }
}

/** API client authentication failed (unknown client, wrong secret, no credentials). */
export class InvalidClient extends TollgateError {
  constructor(description = 'Client authentication failed.') {
    super(401, 'invalid_client', description);
  }
}

/** The client authenticated but may not use this API. */
export class InsufficientPermission extends TollgateError {
  constructor(description = 'This client may not use this API.') {
    super(403, 'insufficient_permission', description);
  }
}

/** Too many requests; `retryAfter` (seconds) goes into the `Retry-After` header. */
export class RateLimited extends TollgateError {
  readonly retryAfter: number;

  constructor(retryAfter: number, description = 'Too many requests. Try again later.') {
    super(429, 'rate_limited', description);
    this.retryAfter = retryAfter;
  }
}

/**
 * The Redis store under a key prefix is in a key layout this code does not write
 * (adapters/redis-layout.ts): `newer` needs a newer tollgate, `older` needs
 * `tollgate store migrate --apply` first. Starting on it would lose or corrupt data.
 */
export class StoreLayoutError extends Error {
  readonly code: 'layout_newer' | 'layout_older';
  /** The layout found in the store. */
  readonly found: number;
  constructor(code: StoreLayoutError['code'], found: number, message: string) {
    super(message);
    this.name = 'StoreLayoutError';
    this.code = code;
    this.found = found;
  }
}

/** A code could not be delivered (email/SMS transport failed); the caller may try again. */
export class DeliveryFailed extends TollgateError {
  constructor(description = 'The code could not be delivered.') {
    // 502: an upstream (SMTP server, SMS webhook) failed, not the request; the text is safe to show.
    super(502, 'delivery_failed', description, { expose: true });
  }
}

/** The resource is in a state that does not allow this operation (e.g. cancelling an approved OTP). */
export class InvalidState extends TollgateError {
  constructor(description = 'This operation is not possible in the current state.') {
    super(409, 'invalid_state', description);
  }
}
