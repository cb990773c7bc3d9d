// How many times one full MFA login waits for Redis: the commands of a login counted by the round
// trip they wait in. Commands sent while others are in flight share a round trip (a pipeline, or
// writes sent together); each new wait is one more. test/e2e/round-trips.test.ts pins the count,
// and `npm run bench` prints it (test/bench/run.ts).
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { enrolTotp, totpAt } from '../faults/helpers.ts';
import { Browser } from './browser.ts';
import { APP_SECRET, addUser, RP_CALLBACK, type RunningTollgate, startTollgate } from './tollgate.ts';

type Command = {
  name: string;
  args: unknown[];
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
};

/**
 * Runs `fn` counting the round trips of `client`; returns them, each as `step: command key ...`
 * (`fn` names the step it is at with `step`). A command counts as answered when its reply is
 * read (not when code awaiting it runs next), so a command sent because of a reply starts the
 * next round trip even when other replies of the same read are still to be handled.
 */
export async function countRoundTrips(
  client: Redis,
  fn: (step: (name: string) => void) => Promise<void>,
): Promise<string[]> {
  const trips: string[] = [];
  let inflight = 0;
  let current = '';
  const original = client.sendCommand.bind(client);
  client.sendCommand = ((command: Command, ...rest: unknown[]) => {
    if (inflight === 0) trips.push(`${current}:`);
    const key = command.name.startsWith('eval') ? command.args[2] : command.args[0];
    trips[trips.length - 1] += ` ${command.name} ${String(key ?? '').slice(0, 30)}`;
    inflight++;
    let settled = false;
    const settle = () => {
      if (!settled) inflight--;
      settled = true;
    };
    const { resolve, reject } = command;
    command.resolve = (value) => {
      settle();
      resolve(value);
    };
    command.reject = (err) => {
      settle();
      reject(err);
    };
    return original(command as never, ...(rest as []));
  }) as Redis['sendCommand'];
  try {
    await fn((name) => {
      current = name;
    });
  } finally {
    client.sendCommand = original;
  }
  return trips;
}

/** Round trips per step (`authorize`, `password`, `totp`, `token`), in the order the steps ran. */
export function tripsPerStep(trips: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const trip of trips) {
    const step = trip.slice(0, trip.indexOf(':'));
    out.set(step, (out.get(step) ?? 0) + 1);
  }
  return out;
}

const PASSWORD = 'a long enough password';
const CLIENT = 'mfa-app';

/** tollgate on `redisUrl` with TOTP required for the client the counted logins use. */
export function startRoundTripTollgate(redisUrl: string): Promise<RunningTollgate> {
  return startTollgate({
    redisUrl,
    overrides: {
      mfa: {
        factors: ['totp', 'recovery'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
      clients: [
        {
          client_id: CLIENT,
          client_secret: APP_SECRET,
          redirect_uris: [RP_CALLBACK],
          first_party: true,
          mfa: { policy: 'required', factors: ['totp'] },
        },
      ],
    },
  });
}

/** authorize -> password, as a browser does; returns the second-factor page it lands on. */
export async function passwordStep(
  tg: RunningTollgate,
  username: string,
  step: (name: string) => void = () => {},
) {
  const config = await oidc.discovery(
    new URL(tg.url),
    CLIENT,
    undefined,
    oidc.ClientSecretBasic(APP_SECRET),
    { execute: [oidc.allowInsecureRequests] },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
  });
  const browser = new Browser();
  step('authorize');
  const page = await browser.get(url.href, RP_CALLBACK);
  step('password');
  const challenge = await browser.submit(page, { username, password: PASSWORD }, RP_CALLBACK);
  if (!challenge.body.includes('name="code"'))
    throw new Error(`no code asked: ${challenge.status} ${challenge.url}`);
  return { config, verifier, browser, challenge };
}

/** authorize -> password -> TOTP -> code -> token with PKCE, as a browser and its app do. */
async function login(tg: RunningTollgate, username: string, key: string, step: (name: string) => void) {
  const { config, verifier, browser, challenge } = await passwordStep(tg, username, step);
  step('totp');
  const done = await browser.submit(challenge, { code: totpAt(key) }, RP_CALLBACK);
  if (!done.url.startsWith(RP_CALLBACK)) throw new Error(`login did not finish: ${done.status} ${done.url}`);
  step('token');
  await oidc.authorizationCodeGrant(config, new URL(done.url), {
    pkceCodeVerifier: verifier,
    expectedState: 'st',
  });
}

/** A user with TOTP set up, for {@link passwordStep}. */
export async function totpUser(tg: RunningTollgate, who: string) {
  const username = `${who}-${randomBytes(4).toString('hex')}`;
  const { key } = await enrolTotp(tg, await addUser(tg, username, PASSWORD));
  return { username, key };
}

/**
 * The round trips of one full MFA login on `tg` (from {@link startRoundTripTollgate}), after a
 * warm-up login that loads the Lua scripts (a process's first login sends each body once more).
 */
export async function mfaLoginRoundTrips(tg: RunningTollgate): Promise<string[]> {
  const warm = await totpUser(tg, 'warm');
  await login(tg, warm.username, warm.key, () => {});
  const { username, key } = await totpUser(tg, 'rita');
  return countRoundTrips(tg.tollgate.store.redis as Redis, (step) => login(tg, username, key, step));
}
