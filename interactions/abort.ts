import { finishInteraction, type Step } from './context.ts';

/** The user cancelled: the client receives `access_denied`. */
export function abort(): Step {
  return async (ctx) => {
    // koa-router answers HEAD on GET routes; a HEAD (link prefetch, scanners) must change nothing.
    if (ctx.method !== 'GET') {
      ctx.status = 405;
      ctx.set('Allow', 'GET');
      return;
    }
    await finishInteraction(
      ctx,
      { error: 'access_denied', error_description: 'End-User aborted interaction' },
      { mergeWithLastSubmission: false },
    );
  };
}
