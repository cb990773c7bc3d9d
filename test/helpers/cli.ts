import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Runs the real `tollgate` command (and other programs) as child processes, for CLI tests. */

/** The repository root: commands run from there, as a user of the repo would. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * A bound for a hung command (it is killed, and the test fails), not a speed check: a CPU-starved
 * machine takes several seconds just to start Node and load the sources.
 */
const COMMAND_TIMEOUT_MS = 40_000;

/** What one command did. */
export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The parent's environment without any TOLLGATE_* variable, so the test's own settings win. */
export function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TOLLGATE_')));
}

/** Runs `command args` from the repository root with `stdin` piped in. */
export async function runCommand(
  command: string,
  args: string[],
  opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  const started = Date.now();
  const child = spawn(command, args, { cwd: ROOT, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  // A command that does not read stdin may exit before we finish writing: ignore EPIPE.
  child.stdin.on('error', () => {});
  child.stdin.end(opts.stdin ?? '');
  // The bound on waiting for the exit event: a hung command is killed and fails its test.
  const timer = setTimeout(() => child.kill('SIGKILL'), COMMAND_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c) => resolve(c));
  });
  clearTimeout(timer);
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** Runs `node bin/tollgate.js ...args` on the Node running the tests. */
export function runTollgate(
  args: string[],
  opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return runCommand(process.execPath, ['bin/tollgate.js', ...args], opts);
}

/**
 * Runs the package's `bin` the way an install runs it: through the `node_modules/.bin/tollgate`
 * symlink npm creates, executed by its shebang with this Node first on PATH. Not through npx:
 * npm's own start (loading its config and the project's dependency tree) took longer than
 * COMMAND_TIMEOUT_MS under load, and it tests npm, not the bin.
 */
export function runLinkedBin(args: string[], opts: { stdin?: string; env?: NodeJS.ProcessEnv } = {}) {
  const bin = linkedBin();
  const env = opts.env ?? cleanEnv();
  return runCommand(bin, args, {
    ...opts,
    env: { ...env, PATH: [dirname(process.execPath), env.PATH ?? ''].join(delimiter) },
  });
}

let linked: string | undefined;

/** A folder laid out as npm installs this package: `node_modules/{tollgate,.bin/tollgate}`. */
function linkedBin(): string {
  if (linked) return linked;
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    bin: Record<string, string>;
  };
  const root = mkdtempSync(join(tmpdir(), 'tollgate-bin-'));
  mkdirSync(join(root, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(ROOT, join(root, 'node_modules', pkg.name), 'dir');
  const target = pkg.bin.tollgate;
  if (!target) throw new Error('package.json has no bin.tollgate');
  linked = join(root, 'node_modules', '.bin', 'tollgate');
  symlinkSync(join('..', pkg.name, target), linked);
  return linked;
}
