/**
 * The demo's console: readable lines instead of the JSON the server logs by default, and the
 * outbox file of each email code printed with the instructions, where the person trying the
 * demo looks. For the demo only; `npm run serve` and `tollgate serve` keep JSON lines, which
 * log collectors read.
 *
 *   09:41:07 WARN  EMBEDDED IN-MEMORY STORE: every session... (store.embedded)
 *   09:42:13 INFO  login.succeeded  username=demo client_id=proxy acr=urn:tollgate:acr:1fa
 */
import { type Logger, pino } from 'pino';
import { ConfigError } from '../src/errors.ts';
import { createLogger } from '../src/log.ts';

/** Where the demo writes: a stream with `write` (process.stdout / process.stderr, or a test's). */
export interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const COLOURS: Record<number, string> = { 40: '\x1b[33m', 50: '\x1b[31m', 60: '\x1b[31m' };

/** pino's fields every line has; the rest are shown as `key=value`. */
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'event']);

const show = (v: unknown) => (typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v));

/** One pino JSON line as `HH:MM:SS LEVEL message (event) key=value...`; other text unchanged. */
export function formatLogLine(line: string, colour = false): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof record.level === 'number' ? record.level : 30;
  const time = new Date(typeof record.time === 'number' ? record.time : Date.now())
    .toTimeString()
    .slice(0, 8);
  const name = (LEVEL_NAMES[level] ?? String(level)).padEnd(5);
  const tag = colour && COLOURS[level] ? `${COLOURS[level]}${name}\x1b[0m` : name;
  const event = typeof record.event === 'string' ? record.event : undefined;
  const msg = typeof record.msg === 'string' ? record.msg : '';
  const text = event && msg && msg !== event ? `${msg} (${event})` : msg || (event ?? '');
  const fields = Object.entries(record)
    .filter(([k, v]) => !HIDDEN.has(k) && v !== undefined)
    .map(([k, v]) => `${k}=${show(v)}`)
    .join(' ');
  return `${time} ${tag} ${text}${fields ? `  ${fields}` : ''}\n`;
}

/**
 * The demo's logger: records at `level` and above go to `log` as readable lines. Each email code
 * written to the outbox is also announced on `out` (with the instructions), whatever the level,
 * since that file is the only place the demo's codes can be read.
 */
export function createDemoLogger(level: string, out: Out, log: Out): Logger {
  // The threshold of what is shown; the logger itself records info too, for the outbox lines.
  const threshold = level === 'silent' ? Number.POSITIVE_INFINITY : pino.levels.values[level];
  if (threshold === undefined) {
    const known = [...Object.keys(pino.levels.values), 'silent'].join(', ');
    throw new ConfigError('LOG_LEVEL', [`LOG_LEVEL: one of ${known}, got ${JSON.stringify(level)}`]);
  }
  const recorded = Math.min(threshold, pino.levels.values.info ?? 30);
  const destination = {
    write(line: string) {
      let record: {
        level?: number;
        event?: string;
        channel?: string;
        to?: string;
        file?: string;
        purpose?: string;
      };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        log.write(line);
        return;
      }
      if (record.event === 'delivery.outbox' && record.file) {
        const what = record.channel === 'sms' ? 'SMS' : 'Email';
        out.write(
          `\n  ${what} code for ${record.to ?? 'you'} (${record.purpose ?? 'code'}): open ${record.file}\n\n`,
        );
      }
      if ((record.level ?? 30) >= threshold) log.write(formatLogLine(line, log.isTTY === true));
    },
  };
  return createLogger(pino.levels.labels[recorded] ?? 'info', destination);
}
