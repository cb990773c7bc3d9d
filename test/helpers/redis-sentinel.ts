import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { accessServerArgs, askRedis, type RedisAccess, replicationAuthArgs } from './redis-access.ts';
import { freePort, type RedisServer, startRedis } from './redis-server.ts';

/** A throwaway Sentinel group on loopback ports: a master, its replica and three sentinels. */
export interface RedisSentinelGroup {
  /** The master group's name, as `store.redis.sentinel.name` names it. */
  name: string;
  master: RedisServer;
  replica: RedisServer;
  sentinels: RedisServer[];
  /** `{ host, port }` of the sentinels: the `store.redis.sentinel.nodes` of a configuration. */
  nodes: { host: string; port: number }[];
  /** The port of the master the sentinels name now. */
  masterPort(): Promise<number>;
  /** Resolves once the replica has every write the master took so far (`WAIT 1`). */
  synced(): Promise<void>;
  /** Stops every process. */
  stop(): Promise<void>;
}

/**
 * Options for {@link startRedisSentinel}. `auth`: an ACL user every client must sign in as, on the
 * data nodes and the sentinels alike (the replica and the sentinels use it too); `tls`: TLS only,
 * on every process, replication and the sentinels' own connections included.
 */
export interface StartSentinelOptions extends RedisAccess {
  /** @default "tollgate" */
  name?: string;
  /** Milliseconds without an answer before the sentinels call the master down. @default 1000 */
  downAfterMs?: number;
}

const READY_TIMEOUT_MS = 30_000;

/** True once the process on `port` answers PING as `opts` connects. */
async function answers(port: number, opts: StartSentinelOptions): Promise<boolean> {
  return (await askRedis(port, opts, 'PING').catch(() => undefined)) === 'PONG';
}

/**
 * Starts a master, a replica of it and three sentinels (`redis-server FILE --sentinel`, quorum
 * 2) watching it, and resolves once every sentinel knows the master, its replica and the other
 * two sentinels: from then on a dead master is failed over within a few seconds. Throws when
 * redis-server is missing: the suite never silently skips Sentinel tests.
 */
export async function startRedisSentinel(opts: StartSentinelOptions = {}): Promise<RedisSentinelGroup> {
  const name = opts.name ?? 'tollgate';
  const started: RedisServer[] = [];
  const custom = opts.auth || opts.tls ? { ready: (port: number) => answers(port, opts) } : {};
  const server = async (args: string[], extra: { configFile?: string } = {}) => {
    const port = await freePort();
    const s = await startRedis({
      port,
      args: [...accessServerArgs(port, opts), ...args],
      ...custom,
      ...extra,
    });
    started.push(s);
    return s;
  };
  const replicaAuth = replicationAuthArgs(opts);
  try {
    // No 5 s pause before the replica's first sync (Redis 7's diskless default).
    const master = await server(['--repl-diskless-sync-delay', '0', ...replicaAuth]);
    const replica = await server(['--replicaof', '127.0.0.1', String(master.port), ...replicaAuth]);
    const sentinels = await Promise.all(
      Array.from({ length: 3 }, async () => {
        // Sentinels rewrite their configuration file as they learn: each gets its own.
        const dir = mkdtempSync(join(tmpdir(), 'tollgate-sentinel-'));
        const file = join(dir, 'sentinel.conf');
        writeFileSync(
          file,
          [
            `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
            `sentinel down-after-milliseconds ${name} ${opts.downAfterMs ?? 1000}`,
            `sentinel failover-timeout ${name} 10000`,
            `sentinel parallel-syncs ${name} 1`,
            ...(opts.auth
              ? [
                  `sentinel auth-user ${name} ${opts.auth.username}`,
                  `sentinel auth-pass ${name} ${opts.auth.password}`,
                ]
              : []),
            '',
          ].join('\n'),
        );
        return server(['--sentinel'], { configFile: file });
      }),
    );
    // Bounded poll: the sentinels find the replica and each other through the master (hello
    // messages every 2 s).
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const views = await Promise.all(
        sentinels.map(async (s) => {
          try {
            const replicas = (await askRedis(s.port, opts, 'SENTINEL', 'REPLICAS', name)) as unknown[];
            const peers = (await askRedis(s.port, opts, 'SENTINEL', 'SENTINELS', name)) as unknown[];
            // The replica counts once its link is up (its first sync is done).
            const linked = (replicas as string[][]).some((r) =>
              r.join(' ').includes('master-link-status ok'),
            );
            return linked && peers.length >= 2;
          } catch {
            return false;
          }
        }),
      );
      if (views.every(Boolean)) break;
      if (Date.now() > deadline)
        throw new Error(`sentinels did not discover ${name} within ${READY_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      name,
      master,
      replica,
      sentinels,
      nodes: sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      async masterPort() {
        const [, port] = (await askRedis(
          sentinels[0]?.port ?? 0,
          opts,
          'SENTINEL',
          'GET-MASTER-ADDR-BY-NAME',
          name,
        )) as string[];
        return Number(port);
      },
      async synced() {
        const acked = Number(await askRedis(master.port, opts, 'WAIT', '1', String(READY_TIMEOUT_MS)));
        if (acked < 1) throw new Error("the replica did not acknowledge the master's writes");
      },
      async stop() {
        await Promise.all(started.map((s) => s.stop()));
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.kill()));
    throw err;
  }
}
