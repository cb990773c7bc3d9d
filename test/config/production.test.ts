// examples/production.yaml is what the README's "On Redis" recipe runs (issue #16: the recipe
// used the demo's file and created demo / tollgate-demo in a real Redis). Given exactly the
// environment its header documents it passes `tollgate config check --strict`; it documents
// every variable it reads, and the README's recipe sets each of them.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { developmentDefaults } from '../../src/config/development.ts';
import { loadConfig } from '../../src/config/load.ts';
import { generateJwks } from '../../src/provider/keys.ts';
import { cleanEnv, ROOT, runTollgate } from '../helpers/cli.ts';

const FILE = 'examples/production.yaml';
const text = readFileSync(join(ROOT, FILE), 'utf8');

/** The variables the header documents: `#   NAME   what it is` lines. */
const documented = [...text.matchAll(/^# {3}([A-Z][A-Z0-9_]+) {2,}\S/gm)].map((m) => m[1] as string);

/** Every `${VAR}` outside comments that has no `:-default`: the file cannot load without it. */
const required = [
  ...new Set(
    text
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .flatMap((line) => [...line.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string)),
  ),
];

/** A real value for each documented variable, as the header says to make it. */
function documentedEnv(): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-production-'));
  const jwks = join(dir, 'jwks.json');
  writeFileSync(jwks, JSON.stringify(generateJwks()), { mode: 0o600 });
  const values: Record<string, string> = {
    TOLLGATE_ISSUER: 'https://id.example.com',
    TOLLGATE_REDIS_URL: 'redis://127.0.0.1:6379/0',
    TOLLGATE_JWKS_FILE: jwks,
    TOLLGATE_COOKIE_KEY: Buffer.alloc(48, 7).toString('base64'),
    TOLLGATE_MFA_KEY: Buffer.alloc(32, 8).toString('base64'),
    APP_CLIENT_SECRET: Buffer.alloc(32, 9).toString('base64'),
  };
  expect(Object.keys(values).sort()).toEqual([...documented].sort());
  return values;
}

describe('examples/production.yaml', () => {
  it('documents in its header exactly the variables it needs', () => {
    expect(documented.length).toBeGreaterThan(0);
    expect([...documented].sort()).toEqual([...required].sort());
  });

  it('passes tollgate config check --strict given the documented environment', async () => {
    const r = await runTollgate(['config', 'check', '--strict', '--config', FILE], {
      env: { ...cleanEnv(), ...documentedEnv() },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${FILE}: OK (issuer https://id.example.com, 1 client(s), redis)\n`);
    expect(r.code).toBe(0);
  });

  it('keeps no development default: Redis, keys from env and a file, no demo user, no file outbox', () => {
    const config = loadConfig(join(ROOT, FILE), documentedEnv());
    expect(developmentDefaults(config)).toEqual([]);
    expect(config.store.redis?.url).toBe('redis://127.0.0.1:6379/0');
    expect(config.accounts.demo_user).toBeUndefined();
    expect(config.delivery.email).toBeUndefined();
    expect(config.otp).toBeUndefined();
  });

  it('each variable left unset is a clear error naming it (exit 2), not a stack trace', async () => {
    for (const name of documented) {
      const env = { ...cleanEnv(), ...documentedEnv() };
      delete env[name];
      const r = await runTollgate(['config', 'check', '--strict', '--config', FILE], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`environment variable ${name} is not set`);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it("is what the README's Redis recipe runs, with every documented variable set", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### On Redis'));
    const recipe = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(recipe).toContain(FILE);
    expect(recipe).toContain('config check --strict');
    for (const name of documented) expect(recipe).toMatch(new RegExp(`^(export )?${name}=`, 'm'));
    expect(recipe).not.toContain('examples/tollgate.yaml');
  });
});
