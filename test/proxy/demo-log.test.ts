// The demo's console (examples/demo-log.ts): readable lines instead of JSON, each outbox file
// announced with the instructions whatever the level, and a bad LOG_LEVEL as a clear error.
import { describe, expect, it } from 'vitest';
import { createDemoLogger, formatLogLine } from '../../examples/demo-log.ts';
import { ConfigError } from '../../src/errors.ts';

/** A stream that keeps what is written. */
function sink() {
  const lines: string[] = [];
  return { lines, write: (s: string) => lines.push(s), text: () => lines.join('') };
}

describe('demo console', () => {
  it('formats a pino line as time, level, message (event) and the other fields', () => {
    const time = new Date(2025, 0, 31, 9, 41, 7).getTime();
    const line = JSON.stringify({
      level: 40,
      time,
      pid: 1,
      hostname: 'h',
      name: 'tollgate',
      event: 'login.failed',
      msg: 'sign-in failed',
      username: 'demo',
      ip: '127.0.0.1',
      groups: ['a b'],
    });
    expect(formatLogLine(line)).toBe(
      '09:41:07 WARN  sign-in failed (login.failed)  username=demo ip=127.0.0.1 groups=["a b"]\n',
    );
    expect(formatLogLine(line, true)).toContain('\x1b[33mWARN \x1b[0m');
    expect(formatLogLine('not json\n')).toBe('not json\n');
  });

  it('shows records from the level up, and announces each outbox file on stdout at any level', async () => {
    const out = sink();
    const log = sink();
    const logger = createDemoLogger('warn', out, log);
    logger.info({ event: 'login.succeeded', username: 'demo' }, 'signed in');
    logger.info(
      {
        event: 'delivery.outbox',
        channel: 'email',
        to: 'd***@example.com',
        purpose: 'login',
        file: '/x/1.eml',
      },
      'code message written',
    );
    logger.warn({ event: 'keys.ephemeral' }, 'NO jwks.file');
    expect(out.text()).toBe('\n  Email code for d***@example.com (login): open /x/1.eml\n\n');
    expect(log.lines).toHaveLength(1);
    expect(log.text()).toMatch(/^\d\d:\d\d:\d\d WARN {2}NO jwks\.file \(keys\.ephemeral\)\n$/);

    const quiet = sink();
    createDemoLogger('silent', out, quiet).error('boom');
    expect(quiet.lines).toEqual([]);
  });

  it('an unknown LOG_LEVEL is a ConfigError naming the levels', () => {
    expect(() => createDemoLogger('loud', sink(), sink())).toThrow(ConfigError);
    expect(() => createDemoLogger('loud', sink(), sink())).toThrow(/LOG_LEVEL: one of .*warn.*, got "loud"/);
  });
});
