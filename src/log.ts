import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * JSON logger. Fields that could ever hold a secret are redacted by path as a second line of
 * defence: code never passes secrets to the logger in the first place.
 */
export function createLogger(level = 'info', destination?: pino.DestinationStream): Logger {
  return pino(
    {
      name: 'tollgate',
      level,
      redact: {
        paths: [
          'password',
          '*.password',
          'secret',
          '*.secret',
          'client_secret',
          '*.client_secret',
          'code',
          '*.code',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
