import { hash, verify } from '@node-rs/argon2';
import type { Argon2Config } from '../config/schema.ts';

/** Hashes and verifies passwords with argon2id at the configured cost. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** False for a wrong password or an unparseable hash; never throws for those. */
  verify(passwordHash: string, password: string): Promise<boolean>;
  /** Spends one verify's worth of time, so an unknown username costs what a known one does. */
  dummyVerify(password: string): Promise<void>;
}

/** @param cost argon2id parameters; the defaults are OWASP's minimum (19456 KiB, t=2, p=1). */
export function createPasswordHasher(
  cost: Argon2Config = { memory_cost: 19456, time_cost: 2, parallelism: 1 },
): PasswordHasher {
  // @node-rs/argon2 defaults to argon2id; the algorithm is left implicit because its enum is a
  // `const enum`, which type stripping cannot inline.
  const options = { memoryCost: cost.memory_cost, timeCost: cost.time_cost, parallelism: cost.parallelism };
  let dummy: Promise<string> | undefined;

  return {
    hash: (password) => hash(password, options),
    async verify(passwordHash, password) {
      try {
        return await verify(passwordHash, password);
      } catch {
        return false;
      }
    },
    async dummyVerify(password) {
      dummy ??= hash('tollgate-dummy-password', options);
      await verify(await dummy, password).catch(() => false);
    },
  };
}
