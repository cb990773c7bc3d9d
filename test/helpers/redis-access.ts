// How the multi-process Redis helpers (redis-cluster.ts, redis-sentinel.ts) secure their servers
// and reach them: an ACL user instead of the default one, TLS only, and one command on a
// connection of its own.
import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { TestCertificates } from './tls.ts';

/** An ACL user every client must sign in as (the default user is off), and/or TLS only. */
export interface RedisAccess {
  auth?: { username: string; password: string };
  tls?: TestCertificates;
}

/** Options of a test's direct connection to one process (no retries: a failure is an answer). */
export function accessOptions(access: RedisAccess): RedisOptions {
  return {
    host: '127.0.0.1',
    lazyConnect: true,
    retryStrategy: () => null,
    ...(access.auth ?? {}),
    ...(access.tls ? { tls: { ca: readFileSync(access.tls.ca) } } : {}),
  };
}

/** One command to the process on `port`, on a connection of its own; rejects when it fails. */
export async function askRedis(port: number, access: RedisAccess, ...command: string[]): Promise<unknown> {
  const client = new Redis({ ...accessOptions(access), port });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.call(command[0] as string, ...command.slice(1));
  } finally {
    client.disconnect();
  }
}

/**
 * redis-server arguments for `access` on `port`: the ACL user (default user off), TLS on `port`
 * with no plain port, replication over TLS, and with `cluster` the cluster bus too.
 */
export function accessServerArgs(port: number, access: RedisAccess, options: { cluster?: boolean } = {}) {
  const { auth, tls } = access;
  return [
    ...(auth
      ? ['--user', 'default', 'off', '--user', auth.username, 'on', `>${auth.password}`, '~*', '&*', '+@all']
      : []),
    ...(tls
      ? [
          ...['--port', '0', '--tls-port', String(port), '--tls-replication', 'yes'],
          ...(options.cluster ? ['--tls-cluster', 'yes'] : []),
          ...['--tls-cert-file', tls.cert, '--tls-key-file', tls.key, '--tls-ca-cert-file', tls.ca],
          ...['--tls-auth-clients', 'no'],
        ]
      : []),
  ];
}

/** How a replica signs in to its master as the ACL user. */
export const replicationAuthArgs = (access: RedisAccess): string[] =>
  access.auth ? ['--masteruser', access.auth.username, '--masterauth', access.auth.password] : [];
