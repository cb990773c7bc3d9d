/** Exit codes of the `tollgate` command. */
export const EXIT = {
  ok: 0,
  /** The operation was refused: account exists, not found, weak password. */
  failed: 1,
  /** Wrong arguments or an invalid configuration. */
  usage: 2,
  /** The store (Redis) could not be reached. */
  unavailable: 3,
  /**
   * The change was made, but a relying party was not told: a back-channel logout failed (its
   * client is named on stderr). Running the command again does not resend it.
   */
  partial: 4,
} as const;

/** An error that ends the command with a message and an exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failed) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * Writes one audit line to stderr: JSON with a stable `event` field, like the server's log
 * lines, plus the time. Never pass a secret here.
 */
export function audit(io: CliIo, event: string, fields: Record<string, unknown>): void {
  io.stderr.write(`${JSON.stringify({ event, ...fields, at: new Date().toISOString() })}\n`);
}

/** Where a command writes: injectable so tests can run commands in-process. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/**
 * Reads a password: the first line of stdin when piped, or typed at a prompt with no echo on
 * a terminal. Passwords never come from arguments, which other users can see in `ps`.
 */
export async function readPassword(io: CliIo, prompt = 'Password: '): Promise<string> {
  const stdin = io.stdin as NodeJS.ReadStream;
  if (stdin.isTTY && typeof stdin.setRawMode === 'function') {
    io.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    const password = await new Promise<string>((resolve, reject) => {
      let typed = '';
      const onData = (chunk: Buffer) => {
        for (const ch of chunk.toString('utf8')) {
          if (ch === '\r' || ch === '\n') return done(typed);
          if (ch === '\u0003') return fail(new CliError('aborted', EXIT.failed));
          if (ch === '\u007f') typed = typed.slice(0, -1);
          else typed += ch;
        }
      };
      const cleanup = () => {
        stdin.off('data', onData);
        stdin.setRawMode(false);
        stdin.pause();
        io.stderr.write('\n');
      };
      const done = (v: string) => {
        cleanup();
        resolve(v);
      };
      const fail = (e: Error) => {
        cleanup();
        reject(e);
      };
      stdin.on('data', onData);
    });
    return password;
  }
  let text = '';
  for await (const chunk of io.stdin) {
    text += chunk.toString();
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}
