import { execFileSync } from 'node:child_process';

/**
 * TOTP codes for tests that stay valid for the whole request that carries them, on a machine of
 * any speed: a code is generated only when at least {@link MARGIN_MS} of its time step remain,
 * so the server (window +/- 1) can never see it two steps late.
 */

/** TOTP period (the default every test uses), in ms. */
export const STEP_MS = 30_000;
/** Least time left in the current step for a code generated now. */
export const MARGIN_MS = 3_000;

/** The TOTP time step at `ms`. */
export const stepAt = (ms: number) => Math.floor(ms / STEP_MS);

/**
 * The current time step, once at least {@link MARGIN_MS} of it remain (else the next one, after
 * waiting for it). A code for this step, or for one step either side, is accepted by a server
 * with window 1 until the step after next begins: at least 3 s, whatever runs beside the test.
 */
export async function stableStep(): Promise<number> {
  const left = STEP_MS - (Date.now() % STEP_MS);
  // Waits for the wall clock itself: the server under test reads the real time, so there is no
  // event to wait on, only the step boundary.
  if (left < MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, left + 20));
  return stepAt(Date.now());
}

/** The code of a base32 key for time step `step`, from the independent `oathtool`. */
export function oathtoolAt(base32: string, step: number): string {
  return execFileSync('oathtool', ['--totp', '-b', '-N', `@${step * (STEP_MS / 1000)}`, base32], {
    encoding: 'utf8',
  }).trim();
}

/** A user's authenticator app: codes for time steps not used yet (each is accepted once). */
export class Authenticator {
  /** Time steps whose code was handed out. */
  readonly used = new Set<number>();
  readonly key: string;
  constructor(key: string) {
    this.key = key;
  }

  /** A code for an unused step in now-1..now+1, valid for at least 3 s more. */
  async code(): Promise<string> {
    const now = await stableStep();
    for (const step of [now, now + 1, now - 1]) {
      if (!this.used.has(step)) {
        this.used.add(step);
        return oathtoolAt(this.key, step);
      }
    }
    throw new Error('no unused time step in the window');
  }
}
