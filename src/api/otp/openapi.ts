/**
 * OpenAPI 3.1 description of the OTP API, served at `GET /api/openapi.json`. Written by hand as a
 * typed object so every field carries a description; test/api/otp.test.ts checks it against the
 * routes and the request schemas in ./router.ts so the two cannot drift apart.
 */

type JsonType = 'object' | 'string' | 'integer' | 'boolean' | 'array' | 'null';

/** JSON Schema (2020-12) as OpenAPI 3.1 uses it; only the keywords this document needs. */
export interface JsonSchema {
  type?: JsonType | readonly JsonType[];
  description?: string;
  format?: string;
  pattern?: string;
  enum?: readonly string[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxProperties?: number;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  required?: readonly string[];
  $ref?: string;
  examples?: readonly unknown[];
}

interface MediaType {
  schema: JsonSchema;
}
interface Response {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: Record<'application/json', MediaType>;
}
interface Operation {
  operationId: string;
  summary: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: 'path'; required: true; schema: JsonSchema; description: string }[];
  requestBody?: { required: true; content: Record<'application/json', MediaType> };
  responses: Record<string, Response | { $ref: string }>;
}

/** The parts of an OpenAPI 3.1 document this API uses. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  paths: Record<string, Partial<Record<'get' | 'post' | 'delete', Operation>>>;
  components: {
    securitySchemes: Record<string, { type: 'http'; scheme: 'basic'; description: string }>;
    schemas: Record<string, JsonSchema>;
    responses: Record<string, Response>;
  };
}

/** Stable `error` codes of the OTP API. */
export const OTP_API_ERRORS = [
  'invalid_request',
  'unsupported_media_type',
  'request_too_large',
  'invalid_client',
  'insufficient_permission',
  'not_found',
  'invalid_state',
  'rate_limited',
  'delivery_failed',
  'service_unavailable',
  'server_error',
] as const;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: JsonSchema) => ({ 'application/json': { schema } });
const errorResponse = (name: string) => ({ $ref: `#/components/responses/${name}` });
const basic = [{ clientBasic: [] }];
const idParam = {
  name: 'id',
  in: 'path' as const,
  required: true as const,
  description: 'Session id returned by `POST /api/otp`.',
  schema: { type: 'string' as const, pattern: '^[A-Za-z0-9_-]{22}$' },
};
const common = {
  '400': errorResponse('InvalidRequest'),
  '401': errorResponse('InvalidClient'),
  '403': errorResponse('InsufficientPermission'),
  '503': errorResponse('ServiceUnavailable'),
};
const error = (description: string): Response => ({ description, content: json(ref('Error')) });

/** The document served at `/api/openapi.json`. */
export const openApiDocument: OpenApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'tollgate OTP API',
    version: '1',
    description:
      'Send a one-time code to an email address or phone number and check the code the user types. ' +
      'For trusted services: clients with `otp_api: true`. Codes are never returned by the API; they ' +
      'go only to the address. Sessions belong to the client that created them; another client gets ' +
      '404 for them, exactly like an unknown id.',
  },
  paths: {
    '/api/otp': {
      post: {
        operationId: 'issueOtp',
        summary: 'Send a code',
        description:
          'Creates a session and sends its code. Rate limited per address, per end-user IP (when ' +
          '`end_user_ip` is given) and per client, per hour. `ttl` and `max_attempts` are capped by ' +
          'the server configuration; the response shows the values in force.',
        security: basic,
        requestBody: { required: true, content: json(ref('IssueRequest')) },
        responses: {
          '201': { description: 'Created and sent.', content: json(ref('Session')) },
          ...common,
          '413': errorResponse('RequestTooLarge'),
          '415': errorResponse('UnsupportedMediaType'),
          '429': errorResponse('RateLimited'),
          '502': error('`delivery_failed`: the code could not be sent; the session is canceled.'),
        },
      },
    },
    '/api/otp/{id}/verify': {
      post: {
        operationId: 'verifyOtp',
        summary: 'Check a code',
        description:
          'A wrong code uses one attempt; attempts are not reset. `approved` is answered to exactly ' +
          'one request per session, the one that approved it: any later verify of that session is ' +
          '409 `invalid_state`, so a repeated or replayed request never reads as a second success. ' +
          'Other final statuses are answered with 200 and the status. With `end_user_ip`, wrong ' +
          'codes are also counted per end user across sessions (`otp.api_limits.wrong_codes_per_ip` ' +
          'per hour); past it, 429 `rate_limited` before the code is checked.',
        security: basic,
        parameters: [idParam],
        requestBody: { required: true, content: json(ref('VerifyRequest')) },
        responses: {
          '200': { description: 'The status after this check.', content: json(ref('Verification')) },
          ...common,
          '404': errorResponse('NotFound'),
          '409': error('`invalid_state`: the session was already approved (the code is used).'),
          '413': errorResponse('RequestTooLarge'),
          '415': errorResponse('UnsupportedMediaType'),
        },
      },
    },
    '/api/otp/{id}': {
      get: {
        operationId: 'getOtp',
        summary: 'Read a session',
        security: basic,
        parameters: [idParam],
        responses: {
          '200': { description: 'The session.', content: json(ref('Session')) },
          ...common,
          '404': errorResponse('NotFound'),
        },
      },
      delete: {
        operationId: 'cancelOtp',
        summary: 'Cancel a session',
        description:
          'Any session that is not approved becomes `canceled` (repeating it is harmless). An ' +
          'approved session stays approved: 409 `invalid_state`.',
        security: basic,
        parameters: [idParam],
        responses: {
          '200': {
            description: 'Canceled.',
            content: json({
              type: 'object',
              required: ['id', 'status'],
              properties: { id: { type: 'string' }, status: { type: 'string', enum: ['canceled'] } },
            }),
          },
          ...common,
          '404': errorResponse('NotFound'),
          '409': error('`invalid_state`: the session is already approved.'),
        },
      },
    },
  },
  components: {
    securitySchemes: {
      clientBasic: {
        type: 'http',
        scheme: 'basic',
        description:
          'HTTP Basic with `client_id:client_secret` of a client that has `otp_api: true` (as `curl -u` ' +
          'sends it; not form-urlencoded). Credentials in the body or query are not accepted.',
      },
    },
    schemas: {
      IssueRequest: {
        type: 'object',
        additionalProperties: false,
        required: ['to', 'channel'],
        properties: {
          to: { type: 'string', description: 'Email address (email) or E.164 number (sms).', maxLength: 254 },
          channel: { type: 'string', enum: ['email', 'sms'] },
          ttl: { type: 'integer', minimum: 30, maximum: 600, description: 'Seconds the code lives.' },
          max_attempts: { type: 'integer', minimum: 1, maximum: 10, description: 'Wrong codes allowed.' },
          external_id: { type: 'string', minLength: 1, maxLength: 128, description: 'Your reference.' },
          metadata: {
            type: 'object',
            maxProperties: 10,
            additionalProperties: { type: 'string', maxLength: 256 },
            description: 'Returned as given; at most 10 keys (1-64 characters), values up to 256.',
          },
          end_user_ip: { type: 'string', description: 'IPv4 or IPv6 of your user, for the per-IP limit.' },
          app_name: {
            type: 'string',
            maxLength: 64,
            description: 'Named in the message. Default: client name.',
          },
          locale: { type: 'string', maxLength: 35, description: 'BCP 47 tag of the message. Default: en.' },
        },
      },
      VerifyRequest: {
        type: 'object',
        additionalProperties: false,
        required: ['code'],
        properties: {
          code: { type: 'string', minLength: 1, maxLength: 32, description: 'Spaces ignored.' },
          end_user_ip: {
            type: 'string',
            description: 'IPv4 or IPv6 of your user, for the per-IP limit of wrong codes.',
          },
        },
      },
      Status: {
        type: 'string',
        enum: ['pending', 'approved', 'expired', 'max_attempts_reached', 'canceled'],
      },
      Session: {
        type: 'object',
        required: ['id', 'status', 'channel', 'to', 'created_at', 'expires_at', 'attempts_left', 'sends'],
        properties: {
          id: { type: 'string' },
          status: ref('Status'),
          channel: { type: 'string', enum: ['email', 'sms'] },
          to: { type: 'string', description: 'Masked address, e.g. a***@example.com or +1******4567.' },
          created_at: { type: 'string', format: 'date-time' },
          expires_at: { type: 'string', format: 'date-time' },
          attempts_left: { type: 'integer', minimum: 0 },
          sends: { type: 'integer', minimum: 0, description: 'Codes sent so far.' },
          external_id: { type: ['string', 'null'], description: 'As given; null when not set.' },
          metadata: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
      Verification: {
        type: 'object',
        required: ['id', 'status', 'attempts_left'],
        properties: {
          id: { type: 'string' },
          status: ref('Status'),
          attempts_left: { type: 'integer', minimum: 0 },
        },
      },
      Error: {
        type: 'object',
        required: ['error', 'error_description'],
        properties: {
          error: { type: 'string', enum: OTP_API_ERRORS, description: 'Stable code to switch on.' },
          error_description: { type: 'string', description: 'Human-readable; may change.' },
        },
      },
    },
    responses: {
      InvalidRequest: error('`invalid_request`: bad JSON, unknown or invalid fields, unknown channel.'),
      InvalidClient: {
        description: '`invalid_client`: missing or wrong Basic credentials.',
        headers: {
          'WWW-Authenticate': { description: 'Basic realm="tollgate"', schema: { type: 'string' } },
        },
        content: json(ref('Error')),
      },
      InsufficientPermission: error('`insufficient_permission`: the client lacks `otp_api: true`.'),
      NotFound: error('`not_found`: no such session for this client.'),
      RequestTooLarge: error('`request_too_large`: the body is over 16 KiB.'),
      UnsupportedMediaType: error('`unsupported_media_type`: the body is not application/json.'),
      RateLimited: {
        description: '`rate_limited`: too many codes for this address, IP or client.',
        headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } },
        content: json(ref('Error')),
      },
      ServiceUnavailable: {
        description: '`service_unavailable`: the store is unreachable; retry.',
        headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } },
        content: json(ref('Error')),
      },
    },
  },
};
