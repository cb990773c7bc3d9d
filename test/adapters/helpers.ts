import type { AdapterPayload } from 'oidc-provider';

/** A minimal token payload (client `c1`, iat 1, exp 2), with `extra` merged over it. */
export const token = (extra: AdapterPayload = {}): AdapterPayload => ({
  iat: 1,
  exp: 2,
  clientId: 'c1',
  ...extra,
});
