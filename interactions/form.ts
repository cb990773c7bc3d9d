import { bodyParser } from '@koa/bodyparser';
import { InvalidRequest, TollgateError } from '../src/errors.ts';
import { readBody } from '../src/server/read-body.ts';
import type { InteractionContext, Step } from './context.ts';

const parse = bodyParser({ enableTypes: ['form'], formLimit: '16kb', encoding: 'utf-8' });

/** Parses an urlencoded form (max 16 KiB) into `ctx.state.form`; anything else is refused. */
export const parseForm: Step = async (ctx, next) => {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw new TollgateError(415, 'unsupported_media_type', 'This page only accepts form submissions.');
  }
  await readBody(ctx, parse);
  const body = (ctx.request as { body?: unknown }).body;
  ctx.state.form = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  await next();
};

/**
 * Reads one form field as a string. A repeated field (an array) is refused rather than
 * silently picking one copy; a missing field is `undefined`. Any page's context whose form
 * {@link parseForm} read will do (the interactions', the account page's).
 */
export function field(
  ctx: Pick<InteractionContext, 'state'> | { state: { form: Record<string, unknown> } },
  name: string,
  maxLength = 1024,
): string | undefined {
  const value = ctx.state.form[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidRequest(`The field "${name}" was sent more than once.`);
  if (value.length > maxLength) throw new InvalidRequest(`The field "${name}" is too long.`);
  return value;
}
