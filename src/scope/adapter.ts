import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { AccountIndexedAdapter } from '../../adapters/account-index.ts';
import { batchWrite, forgetRead, inRequestScope, readAhead, sharedRead } from './request-scope.ts';

/*
 * oidc-provider's storage as one request sees it (src/scope/request-scope.ts), over any adapter:
 *
 * - find, findByUid and findByUserCode are shared per request; a write to a model drops that
 *   model's shared reads (revocation drops them all).
 * - A record found says what the request reads next, and those reads start at once, in the
 *   round trip of the ones still under way: a token or code is followed by its grant and, when
 *   it ends with its session, by that session (the token, userinfo and introspection endpoints
 *   check both); `readAhead` adds the caller's own (the account, its credentials).
 * - upsert is batched: sent at once, awaited with the request's other writes before the
 *   response leaves. oidc-provider's saves of one step (Grant, code, Session at the resume;
 *   access and refresh token at the token endpoint) then share one round trip. consume and
 *   destroy stay awaited where they are made: they end a code or a session; so do the saves of
 *   replay markers (ReplayDetection).
 *
 * A response written straight to `ctx.res` leaves before the batched writes are done: in a
 * request scope, use `interactionResult` and a Koa redirect (interactions/context.ts
 * `finishInteraction`), not oidc-provider's `interactionFinished`.
 *
 * Outside a request scope it is the adapter it wraps.
 */

/** Models whose records name a grant that oidc-provider loads right after them. */
const GRANT_SOURCES: ReadonlySet<string> = new Set([
  'AuthorizationCode',
  'RefreshToken',
  'AccessToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/**
 * Models whose saves stay awaited where they are made: a replay marker (DPoP proofs, client
 * assertions) is security state, written before the request goes on.
 */
const AWAITED_SAVES: ReadonlySet<string> = new Set(['ReplayDetection']);

/** Options of {@link requestScopedAdapter}. */
export interface RequestScopedAdapterOptions {
  /**
   * Called with each record found, and how (`id`: find, `uid`: findByUid, `userCode`:
   * findByUserCode): start the reads it implies (`readAhead`). @default none
   */
  readAhead?: (model: string, payload: AdapterPayload, by: FoundBy) => void;
}

/** Which lookup found a record. */
export type FoundBy = 'id' | 'uid' | 'userCode';

/** What a lookup gives: the record, or nothing. */
type Found = AdapterPayload | undefined;

let adapters = 0;

/** `Inner` with the request's reads shared and read ahead, and its saves batched. */
export function requestScopedAdapter(
  Inner: AccountIndexedAdapter,
  options: RequestScopedAdapterOptions = {},
): AccountIndexedAdapter {
  const ns = `oidc#${++adapters}:`;
  const copy = (read: Promise<Found>) => read.then((p) => (p ? structuredClone(p) : undefined));

  return class RequestScopedAdapter implements Adapter {
    static listByAccount(accountId: string) {
      return Inner.listByAccount(accountId);
    }

    readonly #model: string;
    readonly #inner: Adapter;
    readonly #prefix: string;

    constructor(model: string) {
      this.#model = model;
      this.#inner = new Inner(model);
      this.#prefix = `${ns}${model}:`;
    }

    find(id: string) {
      return copy(sharedRead(`${this.#prefix}id:${id}`, () => this.#found(this.#inner.find(id), 'id')));
    }

    findByUid(uid: string) {
      return copy(
        sharedRead(`${this.#prefix}uid:${uid}`, () => this.#found(this.#inner.findByUid(uid), 'uid')),
      );
    }

    findByUserCode(userCode: string) {
      return copy(
        sharedRead(`${this.#prefix}userCode:${userCode}`, () =>
          this.#found(this.#inner.findByUserCode(userCode), 'userCode'),
        ),
      );
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      forgetRead(this.#prefix, { prefix: true });
      const save = this.#inner.upsert(id, payload, expiresIn);
      await (AWAITED_SAVES.has(this.#model) ? save : batchWrite(save));
    }

    async consume(id: string) {
      forgetRead(this.#prefix, { prefix: true });
      await this.#inner.consume(id);
    }

    async destroy(id: string) {
      forgetRead(this.#prefix, { prefix: true });
      await this.#inner.destroy(id);
    }

    async revokeByGrantId(grantId: string) {
      forgetRead(ns, { prefix: true });
      await this.#inner.revokeByGrantId(grantId);
    }

    /** Passes a found record on, starting the reads it implies. */
    async #found(read: ReturnType<Adapter['find']>, by: FoundBy): Promise<Found> {
      const payload = ((await read) as Found) ?? undefined;
      if (!payload) return undefined;
      if (GRANT_SOURCES.has(this.#model)) {
        const { grantId, sessionUid, expiresWithSession } = payload;
        if (typeof grantId === 'string') readAhead(() => new RequestScopedAdapter('Grant').find(grantId));
        if (expiresWithSession && typeof sessionUid === 'string')
          readAhead(() => new RequestScopedAdapter('Session').findByUid(sessionUid));
      }
      if (inRequestScope()) options.readAhead?.(this.#model, payload, by);
      return payload;
    }
  };
}
