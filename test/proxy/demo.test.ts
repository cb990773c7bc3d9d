// The one-command demo as a new user runs it: `node examples/demo.ts` prints one URL; opening it
// leads to tollgate's sign-in, signing in shows the gated whoami app with the user's identity and
// a verified assertion; SIGTERM stops everything cleanly.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
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
  demo = spawn(process.execPath, ['examples/demo.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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

  it('sends the visitor to tollgate to sign in, then shows whoami with their identity', async () => {
    const login = await browser.get(url);
    expect(login.status).toBe(200);
    expect(login.url.startsWith(`http://localhost:${tollgatePort}/`)).toBe(true);
    expect(login.body).toContain('name="password"');

    // The demo's proxy client requires MFA: enrol TOTP with a code from oathtool, save the codes.
    const enrol = await browser.submit(login, { username: 'demo', password: 'tollgate-demo' });
    const key = (/<code id="totp-key"[^>]*>([^<]+)<\/code>/.exec(enrol.body)?.[1] ?? '').replace(/\s+/g, '');
    expect(key).toMatch(/^[A-Z2-7]{32}$/);
    const codes = await browser.submit(enrol, {
      code: execFileSync('oathtool', ['--totp', '-b', key], { encoding: 'utf8' }).trim(),
    });
    expect(codes.body).toContain('Save your recovery codes');
    const app = await browser.submit(codes, { confirm: '1' });
    expect(app.status).toBe(200);
    expect(app.url).toBe(url);
    expect(app.body).toContain('<h1>whoami</h1>');
    expect(app.body).toContain('Assertion verified');
    expect(app.body).toContain('demo@example.com');
  });

  it('stops on SIGTERM and exits 0', async () => {
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    demo.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
