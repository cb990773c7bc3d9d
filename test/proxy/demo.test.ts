// The one-command demo as a new user runs it (`npm start`): it prints one URL; opening it
// leads to tollgate's sign-in, a password shows the gated whoami app with the user's identity and
// a verified assertion; /admin steps up to a second factor (issue #16: the README promised the
// step-up, the demo user could not reach it); the console shows readable lines, and each email
// code's outbox file is printed on stdout; SIGTERM stops everything cleanly.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { freePort } from '../helpers/redis-server.ts';

let demo: ChildProcess;
let stdout = '';
let stderr = '';
let url: string;
let tollgatePort: number;

process.once('exit', () => demo?.kill('SIGKILL'));

/** Resolves with the URL the demo prints, or rejects with everything it wrote. */
async function printedUrl(child: ChildProcess, timeoutMs = 30_000): Promise<string> {
  return await new Promise((resolve, reject) => {
    // The bound on waiting for the printed URL (the event): a demo that never prints fails.
    const timer = setTimeout(
      () => reject(new Error(`no URL printed after ${timeoutMs} ms:\n${stdout}\n${stderr}`)),
      timeoutMs,
    );
    const check = () => {
      const match = /Open (http:\/\/\S+)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the demo exited with ${code} before printing a URL:\n${stdout}\n${stderr}`));
    });
  });
}

beforeAll(async () => {
  tollgatePort = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TOLLGATE_PORT: String(tollgatePort),
    PROXY_PORT: String(await freePort()),
    WHOAMI_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
  };
  // The demo as shipped: embedded store, issuer derived from the port.
  delete env.TOLLGATE_ISSUER;
  delete env.TOLLGATE_REDIS_URL;
  // As `npm start` runs it: the proxy's `tollgate` imports resolve to the sources, no dist/ needed.
  demo = spawn(process.execPath, ['--import', './bin/source-imports.js', 'examples/demo.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  demo.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  url = await printedUrl(demo);
});

afterAll(() => {
  if (demo && demo.exitCode === null && demo.signalCode === null) demo.kill('SIGKILL');
});

describe('examples/demo.ts', () => {
  const browser = new Browser();

  it('prints exactly one URL to open: the proxy', () => {
    // Logs go to stderr; stdout is for the person starting the demo.
    expect(stdout.match(/https?:\/\/\S+/g)).toEqual([url]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  it('sends the visitor to tollgate to sign in; a password is enough for the app', async () => {
    const login = await browser.get(url);
    expect(login.status).toBe(200);
    expect(login.url.startsWith(`http://localhost:${tollgatePort}/`)).toBe(true);
    expect(login.body).toContain('name="password"');

    // The proxy's client has MFA optional: a user without a factor signs in with the password.
    const app = await browser.submit(login, { username: 'demo', password: 'tollgate-demo' });
    expect(app.status).toBe(200);
    expect(app.url).toBe(url);
    expect(app.body).toContain('<h1>whoami</h1>');
    expect(app.body).toContain('Assertion verified');
    expect(app.body).toContain('demo@example.com');
    expect(app.body).toContain('urn:tollgate:acr:1fa');
  });

  it('/admin steps up: the demo user (in admins) sets up an authenticator app and gets in with 2fa', async () => {
    const admin = `${url}admin`;
    const enrol = await browser.get(admin);
    expect(enrol.url.startsWith(`http://localhost:${tollgatePort}/`)).toBe(true);
    // Only the missing factor is asked: no password field, the TOTP set-up page.
    expect(enrol.body).not.toContain('name="password"');
    const key = (/<code id="totp-key"[^>]*>([^<]+)<\/code>/.exec(enrol.body)?.[1] ?? '').replace(/\s+/g, '');
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    const codes = await browser.submit(enrol, {
      code: execFileSync('oathtool', ['--totp', '-b', key], { encoding: 'utf8' }).trim(),
    });
    expect(codes.body).toContain('Save your recovery codes');
    const page = await browser.submit(codes, { confirm: '1' });
    expect(page.status).toBe(200);
    expect(page.url).toBe(admin);
    expect(page.body).toContain('<h1>whoami</h1>');
    expect(page.body).toContain('Assertion verified');
    expect(page.body).toContain('urn:tollgate:acr:2fa');
    expect(page.body).toContain('admins');
  });

  it("prints each email code's outbox file on stdout, where the demo user reads", async () => {
    const res = await fetch(`http://localhost:${tollgatePort}/api/otp`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('demo-service:demo-service-secret-change-me').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ to: 'reader@example.com', channel: 'email' }),
    });
    expect(res.status).toBe(201);
    // The event: the line the outbox delivery prints, bounded by the poll below.
    const deadline = Date.now() + 10_000;
    let file: string | undefined;
    while (!file && Date.now() < deadline) {
      file = /Email code for r\*+@example\.com \(verification\): open (\S+\.eml)\n/.exec(stdout)?.[1];
      if (!file) await new Promise((r) => setTimeout(r, 50));
    }
    expect(file, stdout).toBeDefined();
    expect(existsSync(file as string)).toBe(true);
  });

  it('logs readable lines, not JSON, on its console', () => {
    // The start-up warnings, one line each: time, level, message, event.
    expect(stderr).toMatch(/^\d\d:\d\d:\d\d WARN {2}EMBEDDED IN-MEMORY STORE: .* \(store\.embedded\)$/m);
    expect(stderr).toMatch(
      /^\d\d:\d\d:\d\d WARN {2}demo user created \(accounts\.demo_user_created\) {2}username=demo$/m,
    );
    expect(stderr.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
    expect(stderr).not.toContain('tollgate-demo');
  });

  it('stops on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    demo.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
