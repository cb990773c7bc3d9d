import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../log.ts';

/*
 * Audit lines for what oidc-provider does on its own endpoints, from the events it emits:
 *
 *   end_session.success                 -> logout.succeeded
 *   backchannel.success / .error        -> logout.backchannel_sent / logout.backchannel_failed
 *   {access,refresh}_token.destroyed,
 *   client_credentials.destroyed        -> token.revoked (only on the revocation endpoint)
 *   revocation.error                    -> token.revocation_failed
 *
 * oidc-provider has no `revocation.success`: the revocation endpoint answers 200 whether or not
 * it found a token, so a token's `destroyed` event during that request is what says one was
 * revoked. Lines carry ids (account, client), never a token, a sid or a secret.
 */

/**
 * Why an outgoing request (a back-channel logout) failed, for logs and the CLI: the error's
 * message and its network cause (`connect ECONNREFUSED ...`), never a response body.
 */
export function failureReason(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && !err.message.includes(cause) ? `${err.message}: ${cause}` : err.message;
}

/** The parts of a token model instance the revocation line reads. */
interface TokenModel {
  kind: string;
  clientId?: string;
  accountId?: string;
}

/** `AccessToken` -> `access_token`, as OAuth names token types. */
const tokenType = (kind: string) => kind.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase();

/**
 * Logs sign-outs, back-channel logout deliveries and token revocations of `provider` as audit
 * events (see the table above). `createTollgate` wires it; a hand-built Provider can too.
 */
export function auditProviderEvents(provider: Provider, logger: Pick<Logger, 'info' | 'warn'>): void {
  provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
    const { session, client, params } = ctx.oidc;
    logger.info(
      {
        event: 'logout.succeeded',
        account: session?.accountId,
        client: client?.clientId,
        // "Yes, sign me out" ends the whole session; "No" only the asking client's part of it.
        everywhere: params?.logout === 'yes',
        ip: ctx.ip,
      },
      'signed out',
    );
  });

  provider.on('backchannel.success', (_ctx, client, accountId: string) => {
    logger.info(
      { event: 'logout.backchannel_sent', client: client.clientId, account: accountId },
      'back-channel logout delivered',
    );
  });

  provider.on('backchannel.error', (_ctx, err: unknown, client, accountId: string) => {
    logger.warn(
      {
        event: 'logout.backchannel_failed',
        client: client.clientId,
        account: accountId,
        error: failureReason(err),
      },
      `back-channel logout to ${client.clientId} failed: it may keep its session until it next refreshes or introspects a token`,
    );
  });

  const revoked = (token: TokenModel) => {
    const ctx = Provider.ctx;
    if (ctx?.oidc?.route !== 'revocation') return;
    logger.info(
      {
        event: 'token.revoked',
        client: ctx.oidc.client?.clientId,
        token_type: tokenType(token.kind),
        account: token.accountId,
        ip: ctx.ip,
      },
      'token revoked',
    );
  };
  provider.on('access_token.destroyed', revoked);
  provider.on('refresh_token.destroyed', revoked);
  provider.on('client_credentials.destroyed', revoked);

  provider.on('revocation.error', (ctx: KoaContextWithOIDC, err: { error?: string }) => {
    logger.info(
      {
        event: 'token.revocation_failed',
        client: ctx.oidc?.client?.clientId,
        reason: err.error ?? 'server_error',
        ip: ctx.ip,
      },
      'token revocation refused',
    );
  });
}
