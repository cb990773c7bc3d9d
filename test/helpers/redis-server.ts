import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A throwaway redis-server for one test file. */
export interface RedisServer {
  /** Loopback port it listens on; kept across restarts. */
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** Working directory (AOF files); kept across restarts. */
  dir: string;
  /** Graceful shutdown (SIGTERM); resolves once the process is gone. `restart()` still works. */
  stop(): Promise<void>;
  /** Crash it (SIGKILL), as a lost server or host would; resolves once the process is gone. */
  kill(): Promise<void>;
  /** Stops it if running, then starts it again on the same port and directory. */
  restart(): Promise<void>;
  /**
   * Freezes the process (SIGSTOP), as a hung host would: connections stay open and nothing
   * answers, replication acknowledgements included. Resolves once the signal is sent.
   */
  pause(): Promise<void>;
  /** Lets a paused process run again (SIGCONT). */
  resume(): Promise<void>;
}

/** Options for {@link startRedis}. */
export interface StartRedisOptions {
  /** Enable the append-only file, so data survives `stop()`/`kill()` + `restart()`. @default false */
  appendonly?: boolean;
  /** Working directory; when omitted, a fresh temporary one, removed when this process ends. */
  dir?: string;
  /** More redis-server arguments (`--cluster-enabled yes`, `--replicaof ...`). @default none */
  args?: string[];
  /** Listen on this port instead of a free one. */
  port?: number;
  /** The binary's arguments are a config file first (`redis-server FILE --sentinel`). */
  configFile?: string;
  /**
   * True once the server answers. @default a raw PING answered +PONG on `port` (a server behind
   * TLS or without the default user needs a probe of its own)
   */
  ready?: (port: number) => Promise<boolean>;
}

const NOT_FOUND =
  'redis-server not found: install it with `apt-get install -y redis-server` (the test suite needs a real Redis)';

const READY_TIMEOUT_MS = 10_000;

/*
 * redis-server runs under a tiny Node watchdog that holds the read end of a pipe from this
 * process. Vitest ends workers with SIGTERM/SIGKILL, where no 'exit' handler runs; the pipe
 * closes anyway, and the watchdog then SIGKILLs redis-server, so no server outlives its tests.
 * The watchdog exits with redis-server, so its exit event stands for the server's.
 */
const WATCHDOG = `
const { spawn } = require('node:child_process');
const [bin, ...args] = process.argv.slice(1);
const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'] });
const alive = () => child.exitCode === null && child.signalCode === null;
// A paused (SIGSTOP) server acts on SIGTERM only once it runs again: continue it after the signal.
const end = (signal) => { if (alive()) { child.kill(signal); child.kill('SIGCONT'); } };
const freeze = (signal, done) => { if (alive()) child.kill(signal); process.stdout.write('\\ntollgate-watchdog: ' + done + '\\n'); };
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  if (d.includes('pause')) freeze('SIGSTOP', 'paused');
  if (d.includes('resume')) freeze('SIGCONT', 'resumed');
  if (d.includes('term')) end('SIGTERM');
  if (d.includes('kill')) end('SIGKILL');
});
process.stdin.on('end', () => end('SIGKILL'));
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => end('SIGKILL'));
child.on('error', (e) => { console.error(String(e)); process.exit(127); });
child.on('exit', (code) => process.exit(code ?? 1));
`;

const running = new Set<ChildProcess>();
const ownDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Only synchronous work runs here; the watchdogs turn SIGTERM into SIGKILL of their server.
  const cleanup = () => {
    for (const proc of running) proc.kill('SIGTERM');
    for (const dir of ownDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // a server being killed may still write into it; a leftover temp dir is harmless
      }
    }
  };
  process.once('exit', cleanup);
  // Vitest ends its workers with SIGTERM, which skips 'exit': clean up, then die of the signal.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      cleanup();
      process.kill(process.pid, signal);
    });
  }
}

/** The path of a Redis binary (`redis-server`, `redis-cli`); throws how to install it when missing. */
export function findRedisBinary(name: 'redis-server' | 'redis-cli'): string {
  const candidates = [
    `/usr/bin/${name}`,
    ...(process.env.PATH ?? '').split(delimiter).map((d) => join(d, name)),
  ];
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here; try the next one
    }
  }
  throw new Error(
    name === 'redis-server' ? NOT_FOUND : NOT_FOUND.replace('redis-server not found', `${name} not found`),
  );
}

/** A loopback port nobody listens on right now, never one the OS hands to `listen(0)`. */
export async function freePort(): Promise<number> {
  // Below the kernel's ephemeral range (ip_local_port_range, 32768-60999 by default): a port
  // handed out here is bound a moment later by a child process (redis-server, nginx, Caddy),
  // and in that gap a `listen(0)` elsewhere (a whoami, a callback server) could be given the
  // same ephemeral port and answer in its place. Ports picked here never come from that pool.
  for (let tries = 0; tries < 50; tries += 1) {
    const port = PORT_RANGE.low + Math.floor(Math.random() * (PORT_RANGE.high - PORT_RANGE.low));
    if (handedOut.has(port)) continue;
    if (await bindable(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free loopback port in ${PORT_RANGE.low}-${PORT_RANGE.high} after 50 tries`);
}

/** Where {@link freePort} picks from: below the ephemeral range, above the well-known ports. */
const PORT_RANGE = { low: 20_000, high: 32_000 };
/** Ports this process has handed out: never twice, even once their server stopped. */
const handedOut = new Set<number>();

/** True when a loopback listener can be bound on the port now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** One raw PING; true on `+PONG` (a server still loading its AOF answers `-LOADING`). */
async function pingOnce(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    // A bound, not a wait: a server that accepts but does not answer yet counts as not ready.
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function exited(proc: ChildProcess): boolean {
  return proc.exitCode !== null || proc.signalCode !== null;
}

/**
 * Starts redis-server on a free loopback port with snapshots off, and resolves once it answers
 * PING. Throws when redis-server is not installed: the suite never silently skips Redis tests.
 */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServer> {
  const bin = findRedisBinary('redis-server');
  installExitHook();
  const port = opts.port ?? (await freePort());
  let dir = opts.dir;
  if (dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), 'tollgate-redis-'));
    ownDirs.add(dir);
  }
  const args = [
    ...(opts.configFile ? [opts.configFile] : []),
    ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--dir', dir, '--daemonize', 'no'],
    ...['--appendonly', opts.appendonly ? 'yes' : 'no'],
    // With the default `everysec`, a busy disk makes Redis postpone the AOF write while replies
    // still go out, so a SIGKILL can lose acknowledged writes (seen under load: a refresh token
    // issued just before the kill). Tests that assert durability need `always`.
    ...(opts.appendonly ? ['--appendfsync', 'always'] : []),
    ...(opts.args ?? []),
  ];
  let proc: ChildProcess | undefined;
  let log = '';

  async function launch(): Promise<void> {
    log = '';
    const child = spawn(process.execPath, ['-e', WATCHDOG, bin, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    proc = child;
    running.add(child);
    child.once('exit', () => running.delete(child));
    // A write racing the watchdog's exit fails with EPIPE; the exit itself is what we wait for.
    child.stdin?.on('error', () => {});
    const collect = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-8000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (exited(child)) break;
      if (await (opts.ready ?? pingOnce)(port)) return;
      // Bounded poll (READY_TIMEOUT_MS): redis-server prints nothing we could wait on reliably.
      await new Promise((r) => setTimeout(r, 50));
    }
    await halt('kill');
    throw new Error(`redis-server on port ${port} did not answer PING:\n${log}`);
  }

  async function halt(how: 'term' | 'kill'): Promise<void> {
    const child = proc;
    if (child === undefined || exited(child)) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin?.write(`${how}\n`);
    await gone;
    child.stdin?.destroy();
  }

  /** Sends `command` to the watchdog and resolves once it says `done`. */
  async function signal(command: 'pause' | 'resume', done: string): Promise<void> {
    const child = proc;
    if (child === undefined || exited(child)) throw new Error(`redis-server on port ${port} is not running`);
    const said = new Promise<void>((resolve) => {
      let seen = '';
      const listen = (chunk: Buffer) => {
        seen += chunk.toString('utf8');
        if (!seen.includes(`tollgate-watchdog: ${done}`)) return;
        child.stdout?.off('data', listen);
        resolve();
      };
      child.stdout?.on('data', listen);
    });
    child.stdin?.write(`${command}\n`);
    await said;
  }

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    stop: () => halt('term'),
    kill: () => halt('kill'),
    async restart() {
      await halt('term');
      await launch();
    },
    pause: () => signal('pause', 'paused'),
    resume: () => signal('resume', 'resumed'),
  };
}
