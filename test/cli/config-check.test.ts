// `tollgate config check` lists every development default left in a file and `--strict` fails
// on them (issue #16: the README's Redis recipe used the demo's file and created demo /
// tollgate-demo in a real Redis). The shipped example is the demo's configuration, so it must
// fail --strict naming each default; examples/production.yaml passes (production.test.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateJwks } from '../../src/provider/keys.ts';
import { cleanEnv, runTollgate } from '../helpers/cli.ts';

/** Every development default of examples/tollgate.yaml, by the field the check names. */
const EXAMPLE_DEFAULTS = [
  'store.redis',
  'accounts.demo_user',
  'cookies.keys.0',
  'mfa.encryption_keys.0.key',
  'otp.hmac_key',
  'jwks.file',
  'delivery.email',
  'clients.0.client_secret',
  'clients.2.client_secret',
  'clients.3.client_secret',
  'clients.4.client_secret',
];

/** The `  - field: message` lines of the output, by field. */
const listed = (text: string) => [...text.matchAll(/^ {2}- ([\w.]+): /gm)].map((m) => m[1]);

describe('tollgate config check on the demo configuration (examples/tollgate.yaml)', () => {
  it('--strict fails with exit 1 and lists each development default', async () => {
    const r = await runTollgate(['config', 'check', '--strict', '--config', 'examples/tollgate.yaml'], {
      env: cleanEnv(),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(
      `tollgate: examples/tollgate.yaml is valid but keeps ${EXAMPLE_DEFAULTS.length} development default(s), refused by --strict:`,
    );
    expect(listed(r.stderr)).toEqual(EXAMPLE_DEFAULTS);
    expect(r.stderr).toContain('accounts.demo_user: creates the account "demo"');
    expect(r.stderr).not.toContain('tollgate-demo');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('without --strict: valid (exit 0), with the same list as warnings on stderr', async () => {
    const r = await runTollgate(['config', 'check', '--config', 'examples/tollgate.yaml'], {
      env: cleanEnv(),
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'examples/tollgate.yaml: OK (issuer http://localhost:3000, 5 client(s), embedded memory store)\n',
    );
    expect(r.stderr).toContain(
      `tollgate: warning: ${EXAMPLE_DEFAULTS.length} development default(s) in examples/tollgate.yaml`,
    );
    expect(listed(r.stderr)).toEqual(EXAMPLE_DEFAULTS);
  });

  it('the same file with every secret and Redis from the environment keeps the demo user and the outbox', async () => {
    const jwks = join(mkdtempSync(join(tmpdir(), 'tollgate-check-')), 'jwks.json');
    writeFileSync(jwks, JSON.stringify(generateJwks()), { mode: 0o600 });
    const r = await runTollgate(['config', 'check', '--strict', '--config', 'examples/tollgate.yaml'], {
      env: {
        ...cleanEnv(),
        TOLLGATE_REDIS_URL: 'redis://127.0.0.1:6379/0',
        TOLLGATE_JWKS_FILE: jwks,
        TOLLGATE_COOKIE_KEY: 'k'.repeat(48),
        TOLLGATE_MFA_KEY: Buffer.alloc(32, 1).toString('base64'),
        TOLLGATE_OTP_KEY: Buffer.alloc(32, 2).toString('base64'),
        DEMO_APP_SECRET: 's'.repeat(32),
        DEMO_API_SECRET: 's'.repeat(32),
        PROXY_CLIENT_SECRET: 's'.repeat(32),
        DEMO_SERVICE_SECRET: 's'.repeat(32),
      },
    });
    expect(listed(r.stderr)).toEqual(['accounts.demo_user', 'delivery.email']);
    expect(r.code).toBe(1);
  });

  it('a misspelt option is a usage error (exit 2), not a stack trace', async () => {
    const r = await runTollgate(['config', 'check', '--strcit'], { env: cleanEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--strcit'");
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
