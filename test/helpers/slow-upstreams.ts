// Upstreams that misbehave on loopback, for the proxy's timeouts: a port whose connections are
// never accepted (connect hangs), a server that accepts and never answers, and one that sends
// its headers and first chunk and then falls silent.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface SlowUpstream {
  url: string;
  /** Requests received. */
  readonly requests: number;
  /** Requests whose connection the other side (the proxy) closed. */
  readonly abandoned: number;
  close(): Promise<void>;
}

/** Resolves true when a TCP connection to the port completes within `ms`. */
async function connects(port: number, ms: number, keep: Socket[]): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  keep.push(socket);
  socket.on('error', () => {});
  const timer = new Promise<boolean>((r) => setTimeout(() => r(false), ms));
  return Promise.race([once(socket, 'connect').then(() => true), timer]);
}

/**
 * A listening port that never completes a connection: a stopped child process (SIGSTOP) listens
 * with a backlog of 1, and two connections fill its accept queue. The kernel then drops every
 * further SYN, so a connect hangs (no refusal, no answer), as behind a black-holing firewall.
 */
export async function blackHole(): Promise<SlowUpstream> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-e',
      `const s = require('node:net').createServer();
       s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(s.address().port));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
  const port = Number(line.toString().trim());
  child.kill('SIGSTOP');
  const fillers: Socket[] = [];
  // Fill the accept queue until a connection no longer completes (2 on Linux, a few at most).
  for (let i = 0; i < 8 && (await connects(port, 300, fillers)); i++);
  return {
    url: `http://127.0.0.1:${port}`,
    requests: 0,
    abandoned: 0,
    async close() {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    },
  };
}

async function serve(server: Server, state = { requests: 0, abandoned: 0 }): Promise<SlowUpstream> {
  // Upgraded sockets are not the server's to close any more: track every one.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get abandoned() {
      return state.abandoned;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Accepts connections and requests (WebSocket upgrades too) and never writes a byte. */
export function silentUpstream(): Promise<SlowUpstream> {
  const state = { requests: 0, abandoned: 0 };
  const server = createServer((_req, res) => {
    state.requests++;
    res.once('close', () => state.abandoned++);
  });
  server.on('upgrade', () => {});
  return serve(server, state);
}

/** Sends 200, its headers and a first chunk, then nothing more (the body stalls). */
export function stallingUpstream(): Promise<SlowUpstream> {
  return serve(
    createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first chunk\n');
    }),
  );
}
