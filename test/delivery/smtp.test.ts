import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveries } from '../../src/delivery/index.ts';
import { maskAddress } from '../../src/delivery/mask.ts';
import { createOutboxDelivery } from '../../src/delivery/outbox.ts';
import { createSmtpDelivery, type SmtpConfig } from '../../src/delivery/smtp.ts';
import type { CodeMessage } from '../../src/delivery/types.ts';
import { createLogger } from '../../src/log.ts';
import { freePort } from '../helpers/redis-server.ts';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp-server.ts';

const CODE = '428913';

function capture() {
  const lines: string[] = [];
  const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

let logs = capture();
afterEach(() => {
  // pino adds time/pid/hostname, whose digits could contain any 6-digit string by chance.
  for (const line of logs.lines) {
    const { time: _t, pid: _p, hostname: _h, ...rest } = JSON.parse(line) as Record<string, unknown>;
    expect(JSON.stringify(rest)).not.toContain(CODE);
  }
  logs = capture();
});

function message(overrides: Partial<CodeMessage> = {}): CodeMessage {
  return {
    channel: 'email',
    to: 'alice@example.com',
    code: CODE,
    purpose: 'login',
    appName: 'Test App',
    clientId: 'app',
    locale: 'en',
    expiresAt: new Date(Date.now() + 600_000),
    reference: 'otp_ref1',
    ...overrides,
  };
}

function smtpConfig(port: number, extra: Partial<SmtpConfig> = {}): SmtpConfig {
  return {
    host: '127.0.0.1',
    port,
    security: 'none',
    from: 'tollgate <no-reply@example.test>',
    timeout_ms: 5000,
    allow_invalid_certificates: false,
    ...extra,
  };
}

describe('maskAddress', () => {
  it('keeps the first letter and domain of an email, and the country code and last 4 digits of a phone', () => {
    expect(maskAddress('alice@example.com')).toBe('a***@example.com');
    expect(maskAddress('+15551234567')).toBe('+1******4567');
    expect(maskAddress('@example.com')).toBe('***@example.com');
    expect(maskAddress('12345')).toBe('*****');
  });
});

describe('SMTP delivery', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtp();
  });
  afterAll(() => smtp.stop());

  it('sends the code in text and HTML with subject, sender, expiry and app name', async () => {
    const delivery = createSmtpDelivery(smtpConfig(smtp.port), logs.logger);
    const result = await delivery.send(message());
    expect(result).toMatchObject({ ok: true, attempts: 1 });

    const mail = await smtp.waitForMessage();
    expect(mail.subject).toBe('Your sign-in code for Test App');
    expect(mail.from?.value[0]?.address).toBe('no-reply@example.test');
    const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
    expect(to?.value[0]?.address).toBe('alice@example.com');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.text).toContain(CODE);
    expect(mail.text).toContain('expires in 10 minutes');
    expect(mail.text).toContain('Test App');
    expect(mail.text).toContain('If you did not ask for this, ignore this email');
    expect(mail.html).toContain(CODE);
    expect(mail.html).toContain('10 minutes');
    expect(mail.html).not.toMatch(/<img|https?:\/\//);

    const sent = logs.lines.map((l) => JSON.parse(l)).find((l) => l.event === 'delivery.sent');
    expect(sent).toMatchObject({ channel: 'email', to: 'a***@example.com' });
  });

  it('words the message for the purpose and escapes the app name in HTML', async () => {
    const delivery = createSmtpDelivery(smtpConfig(smtp.port), logs.logger);
    const expiresAt = new Date(Date.now() + 90_000);
    const appName = 'Tom & <Jerry>';
    expect((await delivery.send(message({ purpose: 'enrolment', appName, expiresAt }))).ok).toBe(true);
    const mail = await smtp.waitForMessage();
    expect(mail.subject).toBe('Confirm this address for Tom & <Jerry>');
    expect(mail.text).toContain('confirm this address');
    expect(mail.text).toContain('expires in 1 minute.');
    expect(mail.html).toContain('Tom &amp; &lt;Jerry&gt;');
    expect(mail.html).not.toContain('<Jerry>');

    expect((await delivery.send(message({ purpose: 'verification' }))).ok).toBe(true);
    expect((await smtp.waitForMessage()).subject).toBe('Your verification code for Test App');
  });

  it('maps a 5xx reply to rejected, with the address masked in the log', async () => {
    const failing = await startSmtp({ failWith: 550 });
    try {
      const result = await createSmtpDelivery(smtpConfig(failing.port), logs.logger).send(message());
      expect(result).toEqual({ ok: false, error: 'rejected', attempts: 1 });
      const failed = logs.lines.map((l) => JSON.parse(l)).find((l) => l.event === 'delivery.failed');
      expect(failed).toMatchObject({ error: 'rejected', smtp_status: 550, to: 'a***@example.com' });
      expect(logs.lines.join('\n')).not.toContain('alice@example.com');
    } finally {
      await failing.stop();
    }
  });

  it('maps a refused connection to unreachable', async () => {
    const port = await freePort();
    const result = await createSmtpDelivery(smtpConfig(port), logs.logger).send(message());
    expect(result).toEqual({ ok: false, error: 'unreachable', attempts: 1 });
  });

  it('gives up on a server that never greets after timeout_ms', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const started = Date.now();
      const result = await createSmtpDelivery(smtpConfig(port, { timeout_ms: 300 }), logs.logger).send(
        message(),
      );
      expect(result).toEqual({ ok: false, error: 'timeout', attempts: 1 });
      // It waited for the timeout, and not much more (the silent server would wait forever).
      expect(Date.now() - started).toBeGreaterThanOrEqual(300 - 5);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('upgrades with STARTTLS, and refuses a self-signed certificate unless allowed', async () => {
    const tls = await startSmtp({ starttls: true });
    try {
      const strict = createSmtpDelivery(smtpConfig(tls.port, { security: 'starttls' }), logs.logger);
      expect(await strict.send(message())).toMatchObject({ ok: false, error: 'unreachable' });
      const lax = createSmtpDelivery(
        smtpConfig(tls.port, { security: 'starttls', allow_invalid_certificates: true }),
        logs.logger,
      );
      expect(await lax.send(message())).toMatchObject({ ok: true });
      expect((await tls.waitForMessage()).text).toContain(CODE);
    } finally {
      await tls.stop();
    }
  });

  it('requires STARTTLS when security is starttls, rather than sending in the clear', async () => {
    const plain = await startSmtp();
    try {
      const delivery = createSmtpDelivery(
        smtpConfig(plain.port, { security: 'starttls', allow_invalid_certificates: true }),
        logs.logger,
      );
      expect(await delivery.send(message())).toMatchObject({ ok: false });
      expect(plain.messages).toHaveLength(0);
    } finally {
      await plain.stop();
    }
  });
});

describe('outbox delivery', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tollgate-outbox-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes an .eml and a .json (0600) and logs the path, not the code', async () => {
    const outbox = join(dir, 'nested', 'outbox');
    const result = await createOutboxDelivery(outbox, logs.logger).send(message());
    expect(result).toMatchObject({ ok: true, attempts: 1 });

    const files = (await readdir(outbox)).sort();
    expect(files).toHaveLength(2);
    const json = files.find((f) => f.endsWith('.json')) ?? '';
    const eml = files.find((f) => f.endsWith('.eml')) ?? '';
    expect(json).toMatch(/^\d{4}-\d\d-\d\dT[\d-]+Z_otp_ref1_[0-9a-f]+\.json$/);
    expect(eml.replace(/\.eml$/, '')).toBe(json.replace(/\.json$/, ''));

    const record = JSON.parse(await readFile(join(outbox, json), 'utf8'));
    expect(record).toMatchObject({
      to: 'alice@example.com',
      subject: 'Your sign-in code for Test App',
      code: CODE,
    });
    expect(record.text).toContain(CODE);
    expect(record.html).toContain(CODE);
    expect(Date.parse(record.created)).not.toBeNaN();

    const raw = await readFile(join(outbox, eml), 'utf8');
    expect(raw).toMatch(/^From: .*\r\nTo: alice@example.com\r\nSubject: Your sign-in code for Test App\r\n/);
    expect(raw).toContain(CODE);
    for (const f of files) expect((await stat(join(outbox, f))).mode & 0o777).toBe(0o600);

    const line = logs.lines.map((l) => JSON.parse(l)).find((l) => l.event === 'delivery.outbox');
    expect(line).toMatchObject({ file: join(outbox, eml), to: 'a***@example.com' });
  });

  it('keeps every message when the same session sends twice at once', async () => {
    const outbox = join(dir, 'twice');
    const delivery = createOutboxDelivery(outbox, logs.logger, { now: () => 1_700_000_000_000 });
    await Promise.all([delivery.send(message()), delivery.send(message())]);
    expect(await readdir(outbox)).toHaveLength(4);
  });
});

describe('createDeliveries', () => {
  it('falls back to the dev outbox with a loud warning when email is not configured', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tollgate-dev-outbox-'));
    try {
      const deliveries = createDeliveries({ email: undefined, sms: undefined }, logs.logger, {
        outboxDir: dir,
      });
      expect(deliveries.sms).toBeUndefined();
      expect(await deliveries.email?.send(message())).toMatchObject({ ok: true });
      const warning = logs.lines.map((l) => JSON.parse(l)).find((l) => l.event === 'delivery.dev_outbox');
      expect(warning).toMatchObject({ level: 40, dir });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('has no email delivery without configuration or default, and builds SMTP and SMS webhooks', () => {
    expect(createDeliveries({ email: undefined, sms: undefined }, logs.logger, {}).email).toBeUndefined();
    const webhook = {
      url: 'http://127.0.0.1:9/hook',
      secret: `whsec_${'A'.repeat(32)}`,
      timeout_ms: 5000,
      max_retries: 4,
    };
    const deliveries = createDeliveries({ email: { smtp: smtpConfig(25) }, sms: { webhook } }, logs.logger, {
      outboxDir: '/nonexistent',
    });
    expect(deliveries.email).toBeDefined();
    expect(deliveries.sms).toBeDefined();
    expect(logs.lines.join('\n')).not.toContain('delivery.dev_outbox');
  });
});
