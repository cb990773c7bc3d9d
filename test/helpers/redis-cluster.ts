import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { accessServerArgs, askRedis, type RedisAccess, replicationAuthArgs } from './redis-access.ts';
import { findRedisBinary, freePort, type RedisServer, startRedis } from './redis-server.ts';

const run = promisify(execFile);

/** A throwaway Redis Cluster on loopback ports, for one test file. */
export interface RedisCluster {
  /** Every node, masters first as created (each master's replica follows the masters). */
  servers: RedisServer[];
  /** `{ host, port }` of every node: the `store.redis.cluster.nodes` of a configuration. */
  nodes: { host: string; port: number }[];
  /** Runs redis-cli against the first node; resolves with its output. */
  cli(...args: string[]): Promise<string>;
  /**
   * Moves `slots` hash slots from the master that holds the most to another master
   * (`redis-cli --cluster reshard`), while clients keep working. Resolves when the move is done.
   */
  reshard(slots: number): Promise<void>;
  /** Each node's port and role as the cluster sees it now (`fail` once it is marked down). */
  roles(): Promise<{ port: number; role: 'master' | 'replica'; failed: boolean }[]>;
  /** Stops every node. */
  stop(): Promise<void>;
}

/** Options for {@link startRedisCluster}; `auth`/`tls` secure every node, replication and the bus too. */
export interface StartClusterOptions extends RedisAccess {
  /** @default 3 */
  masters?: number;
  /** Replicas per master. @default 1 */
  replicas?: number;
}

const READY_TIMEOUT_MS = 30_000;

/** One command to one node on a connection of its own; the error's text when it fails. */
async function askNode(port: number, opts: StartClusterOptions, ...command: string[]): Promise<string> {
  try {
    return String(await askRedis(port, opts, ...command));
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

/** redis-cli arguments for the ACL user and TLS of `opts`. */
function cliArgsFor(opts: StartClusterOptions): string[] {
  return [
    ...(opts.auth ? ['--user', opts.auth.username, '--pass', opts.auth.password, '--no-auth-warning'] : []),
    ...(opts.tls ? ['--tls', '--cacert', opts.tls.ca] : []),
  ];
}

/**
 * Starts `masters` x (1 + `replicas`) redis-server processes with `--cluster-enabled yes`, joins
 * them with `redis-cli --cluster create ... --cluster-replicas N --cluster-yes`, and resolves once
 * every node reports `cluster_state:ok` and knows every other. Throws when redis-server or
 * redis-cli is missing: the suite never silently skips Cluster tests. Start one per test file:
 * it takes a few seconds.
 */
export async function startRedisCluster(opts: StartClusterOptions = {}): Promise<RedisCluster> {
  const cli = findRedisBinary('redis-cli');
  const masters = opts.masters ?? 3;
  const replicas = opts.replicas ?? 1;
  const count = masters * (1 + replicas);
  const servers: RedisServer[] = [];
  try {
    const probe = async (port: number) => (await askNode(port, opts, 'PING')) === 'PONG';
    const started = await Promise.all(
      Array.from({ length: count }, async () => {
        const port = await freePort();
        return startRedis({
          port,
          args: [
            ...['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
            // The bus port is picked like the others (port + 10000 could be anyone's).
            ...['--cluster-port', String(await freePort())],
            // Failure detection within 2 s, for the tests that stop a node.
            ...['--cluster-node-timeout', '2000'],
            // A replica syncs at once, not after Redis 7's 5 s wait for more replicas to join.
            ...['--repl-diskless-sync-delay', '0'],
            ...accessServerArgs(port, opts, { cluster: true }),
            ...replicationAuthArgs(opts),
          ],
          ...(opts.auth || opts.tls ? { ready: probe } : {}),
        });
      }),
    );
    servers.push(...started);
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    const cliArgs = cliArgsFor(opts);
    await run(
      cli,
      [
        ...cliArgs,
        '--cluster',
        'create',
        ...addresses,
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      {
        timeout: READY_TIMEOUT_MS,
      },
    );
    // Bounded poll: every node must see the whole cluster as served before a test starts.
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      const infos = await Promise.all(servers.map((s) => askNode(s.port, opts, 'CLUSTER', 'INFO')));
      // Every replica has its master's data too: one that never synced refuses to take over when
      // its master stops (its data is "too old"), and the cluster would stay down.
      const replication = await Promise.all(servers.map((s) => askNode(s.port, opts, 'INFO', 'replication')));
      const ready =
        infos.every(
          (info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${count}`),
        ) && replication.every((r) => r.includes('role:master') || r.includes('master_link_status:up'));
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`redis cluster did not become ready:\n${infos.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const first = servers[0] as RedisServer;
    const cluster: RedisCluster = {
      servers,
      nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
      async cli(...args) {
        const { stdout } = await run(cli, [...cliArgs, '-p', String(first.port), ...args], {
          timeout: READY_TIMEOUT_MS,
        });
        return stdout;
      },
      async reshard(slots) {
        const nodes = await cluster.cli('CLUSTER', 'NODES');
        const owners = nodes
          .split('\n')
          .filter((line) => line.includes('master') && !line.includes('fail'))
          .map((line) => {
            const fields = line.split(' ');
            const ranges = fields.slice(8).filter((r) => /^\d/.test(r));
            const owned = ranges.reduce((n, r) => {
              const [a, b] = r.split('-').map(Number);
              return n + ((b ?? a ?? 0) - (a ?? 0) + 1);
            }, 0);
            return { id: fields[0] as string, owned };
          })
          // A node seen as a master with no slots is a replica whose new role has not reached
          // this node's view yet (gossip lags on a busy machine): never a target.
          .filter((o) => o.owned > 0)
          .sort((x, y) => y.owned - x.owned);
        const from = owners[0];
        const to = owners[owners.length - 1];
        if (!from || !to || from === to) throw new Error(`no two masters to reshard between:\n${nodes}`);
        const at = `127.0.0.1:${first.port}`;
        const opts = { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 };
        // redis-cli refuses to reshard while the nodes' views of the cluster differ (a busy
        // machine spreads the gossip out) and can stop half-way when a MIGRATE times out under
        // load: wait for the views to agree, and after a stop let `--cluster fix` finish the
        // moved slots before the next try. Three tries, then the last error with its output.
        const agree = async () => {
          const deadline = Date.now() + READY_TIMEOUT_MS;
          for (;;) {
            try {
              await run(cli, [...cliArgs, '--cluster', 'check', at], opts);
              return;
            } catch (err) {
              if (Date.now() > deadline) throw err;
              await new Promise((r) => setTimeout(r, 200));
            }
          }
        };
        let last: unknown;
        for (let attempt = 0; attempt < 3; attempt++) {
          await agree();
          try {
            await run(
              cli,
              [
                ...cliArgs,
                ...['--cluster', 'reshard', at, '--cluster-from', from.id, '--cluster-to', to.id],
                ...['--cluster-slots', String(slots), '--cluster-yes'],
              ],
              opts,
            );
            return;
          } catch (err) {
            last = err;
            await run(cli, [...cliArgs, '--cluster', 'fix', at, '--cluster-yes'], opts).catch(() => {});
          }
        }
        const { stdout = '', stderr = '' } = last as { stdout?: string; stderr?: string };
        throw new Error(
          `reshard failed three times: ${String(last)}\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`,
        );
      },
      async roles() {
        const nodes = await cluster.cli('CLUSTER', 'NODES');
        return nodes
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => {
            const [, address = '', flags = ''] = line.split(' ');
            return {
              port: Number(address.split('@')[0]?.split(':')[1]),
              role: flags.includes('master') ? ('master' as const) : ('replica' as const),
              failed: flags.includes('fail'),
            };
          });
      },
      async stop() {
        await Promise.all(servers.map((s) => s.stop()));
      },
    };
    return cluster;
  } catch (err) {
    await Promise.all(servers.map((s) => s.kill()));
    throw err;
  }
}
