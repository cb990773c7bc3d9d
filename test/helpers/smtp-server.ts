import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A throwaway SMTP server on loopback that keeps what it receives, parsed. */
export interface TestSmtpServer {
  port: number;
  /** Every message received so far, oldest first. */
  messages: ParsedMail[];
  /**
   * The next message not yet returned by an earlier call (a cursor over `messages`), waiting
   * for it to arrive if needed.
   * @param timeoutMs @default 5000
   */
  waitForMessage(timeoutMs?: number): Promise<ParsedMail>;
  stop(): Promise<void>;
}

/** Options of {@link startSmtp}. */
export interface StartSmtpOptions {
  /** Reply code for every RCPT TO (e.g. 550 unknown user, 450 try later); omitted = accept. */
  failWith?: number;
  /** Delay before the greeting of each connection, in ms. @default 0 */
  delayMs?: number;
  /** Offer STARTTLS (self-signed certificate of smtp-server). @default false */
  starttls?: boolean;
}

/** Starts an SMTP server on 127.0.0.1 and a free port; any AUTH is optional and accepted. */
export async function startSmtp(options: StartSmtpOptions = {}): Promise<TestSmtpServer> {
  const messages: ParsedMail[] = [];
  const waiters: Array<() => void> = [];
  let cursor = 0;

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: options.starttls ? [] : ['STARTTLS'],
    logger: false,
    // Tests end with stop(); don't let a lingering client hold the server for 30 s.
    closeTimeout: 200,
    onAuth(_auth, _session, callback) {
      callback(null, { user: 'test' });
    },
    onConnect(_session, callback) {
      // A deliberately slow server (for timeout tests), not a wait.
      if (options.delayMs) setTimeout(() => callback(), options.delayMs);
      else callback();
    },
    onRcptTo(_address, _session, callback) {
      if (options.failWith === undefined) return callback();
      const text = options.failWith >= 500 ? 'Mailbox unavailable' : 'Try again later';
      callback(Object.assign(new Error(text), { responseCode: options.failWith }));
    },
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((mail) => {
          messages.push(mail);
          for (const wake of waiters.splice(0)) wake();
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    port,
    messages,
    async waitForMessage(timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (cursor >= messages.length) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no SMTP message within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          // The bound on waiting for the message event below.
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      const mail = messages[cursor++];
      if (!mail) throw new Error('unreachable: cursor past messages');
      return mail;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
