import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProxyConfig } from '../../examples/auth-proxy/config.ts';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts';
import { until } from '../helpers/until.ts';
import { minimalProxyYaml, proxyProcesses } from './store-processes.ts';

const PREFIX = 'proxy:';
const SECRET = 'cookie-secret-0123456789abcdef0123456789';
const nowS = () => Math.floor(Date.now() / 1000);

let cluster: RedisCluster;
const processes = proxyProcesses({ prefix: PREFIX, secret: SECRET });
const proxyProcess = () => processes.open({ cluster: { nodes: cluster.nodes } });

beforeAll(async () => {
  cluster = await startRedisCluster();
});

afterAll(async () => {
  await processes.close();
  await cluster?.stop();
});

describe('auth-proxy on a Redis Cluster', () => {
  it('takes the cluster block as session.store, and only one of url, sentinel or cluster', () => {
    const minimal = minimalProxyYaml;
    const nodes = `[${cluster.nodes.map((n) => `{ host: ${n.host}, port: ${n.port} }`).join(', ')}]`;
    expect(parseProxyConfig(minimal(`{ cluster: { nodes: ${nodes} }, tls: false }`)).session.store).toEqual({
      cluster: { nodes: cluster.nodes },
      tls: false,
    });
    expect(parseProxyConfig(minimal('redis://127.0.0.1:6379')).session.store).toBe('redis://127.0.0.1:6379');
    expect(() => parseProxyConfig(minimal(`{ url: "redis://a", cluster: { nodes: ${nodes} } }`))).toThrow(
      /set one of url, sentinel or cluster/,
    );
  });

  it('keeps sessions, and a sign-out in one process reaches the other at once', async () => {
    const [a, b] = await Promise.all([proxyProcess(), proxyProcess()]);
    await until(() => a.cache.ready && b.cache.ready, 'both processes subscribed');
    const tickets = await Promise.all(
      Array.from({ length: 20 }, (_v, i) =>
        a.sessions.create({
          identity: { sub: `u${i}`, username: `user${i}`, groups: [], amr: ['pwd'] },
          sid: `sid-${i}`,
          access_token: 'access',
          refresh_token: 'refresh',
          expires_at: nowS() + 3600,
        }),
      ),
    );
    for (const { ticket } of tickets) expect((await b.sessions.load(ticket))?.sid).toMatch(/^sid-/);
    const first = tickets[0]?.ticket as string;
    await a.sessions.destroy(first);
    await until(async () => (await b.sessions.load(first)) === undefined, 'b sees the sign-out');
    expect((await b.sessions.load(tickets[1]?.ticket as string))?.sid).toBe('sid-1');
  });
});
