import type Provider from 'oidc-provider';
import type { Step } from './context.ts';

/** The user cancelled: the client receives `access_denied`. */
export function abort(provider: Provider): Step {
  return async (ctx) => {
    // koa-router answers HEAD on GET routes; a HEAD (link prefetch, scanners) must change nothing.
    if (ctx.method !== 'GET') {
      ctx.status = 405;
      ctx.set('Allow', 'GET');
      return;
    }
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
    ctx.respond = false;
  };
}
