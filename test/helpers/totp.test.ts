// The TOTP helper of the tests never hands out a code that can expire on the way to the server.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Authenticator, oathtoolAt, STEP_MS, stableStep } from './totp.ts';

const KEY = 'JBSWY3DPEHPK3PXP';
const STEP = 60_000_000;

afterEach(() => {
  vi.useRealTimers();
});

describe('TOTP codes for tests', () => {
  it('waits for the next step when fewer than 3 s of this one remain, and not otherwise', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] });
    vi.setSystemTime(STEP * STEP_MS + 27_500);
    const late = stableStep();
    await vi.advanceTimersByTimeAsync(2_600);
    expect(await late).toBe(STEP + 1);

    vi.setSystemTime(STEP * STEP_MS + 26_000);
    expect(await stableStep()).toBe(STEP);
  });

  it('hands out each step of the window once, the previous one only with time left in this one', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] });
    vi.setSystemTime(STEP * STEP_MS + 28_000);
    const authenticator = new Authenticator(KEY);
    const first = authenticator.code();
    await vi.advanceTimersByTimeAsync(2_100);
    expect(await first).toBe(oathtoolAt(KEY, STEP + 1));
    expect(await authenticator.code()).toBe(oathtoolAt(KEY, STEP + 2));
    expect(await authenticator.code()).toBe(oathtoolAt(KEY, STEP));
    await expect(authenticator.code()).rejects.toThrow(/no unused time step/);
  });

  it('computes the codes oathtool and RFC 6238 agree on', () => {
    // RFC 6238 App. B, SHA1, T = 59 s (step 1), last 6 of 94287082.
    const rfcKey = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
    expect(oathtoolAt(rfcKey, 1)).toBe('287082');
  });
});
