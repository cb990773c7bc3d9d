// Upstream routing of the reverse proxy: exact or wildcard host, longest path prefix on a
// segment boundary.
import { describe, expect, it } from 'vitest';
import { routeUpstream } from '../../examples/auth-proxy/upstreams.ts';

const upstreams = [
  { host: 'app.example.org', url: 'http://127.0.0.1:1' },
  { host: 'app.example.org', path_prefix: '/api', url: 'http://127.0.0.1:2' },
  { host: 'app.example.org', path_prefix: '/api/v2/', url: 'http://127.0.0.1:3' },
  { host: '*.example.org', url: 'http://127.0.0.1:4' },
];

describe('reverse proxy routing', () => {
  it.each([
    ['app.example.org', '/', 1],
    ['app.example.org', '/api', 2],
    ['app.example.org', '/api/things', 2],
    ['app.example.org', '/apiary', 1],
    ['app.example.org', '/api/v2', 3],
    ['app.example.org', '/api/v2/x', 3],
    ['other.example.org', '/api', 4],
    ['a.b.example.org', '/', 4],
  ])('%s %s -> upstream %i', (host, path, n) => {
    expect(routeUpstream(upstreams, host, path)?.url).toBe(`http://127.0.0.1:${n}`);
  });

  it.each([
    ['example.org', '/'],
    ['evil-example.org', '/'],
    ['app.example.org.evil.test', '/'],
  ])('%s %s -> no upstream', (host, path) => {
    expect(routeUpstream(upstreams, host, path)).toBeUndefined();
  });
});
