import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM files of a throwaway CA and a server certificate it signed (localhost, 127.0.0.1). */
export interface TestCertificates {
  ca: string;
  cert: string;
  key: string;
}

/**
 * Makes a CA and a server certificate for `localhost` and `127.0.0.1` with the `openssl` command,
 * in a fresh temporary folder. Throws how to install it when openssl is missing.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-tls-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') {
        throw new Error(
          'openssl not found: install it with `apt-get install -y openssl` (the TLS tests need it)',
        );
      }
      throw err;
    }
  };
  const subject = (cn: string) => ['-subj', `/CN=${cn}`];
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    ...subject('tollgate test CA'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    ...subject('localhost'),
  );
  writeFileSync(at('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl(
    ...['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial'],
    ...['-out', 'server.crt', '-days', '2', '-extfile', 'ext.cnf'],
  );
  return { ca: at('ca.crt'), cert: at('server.crt'), key: at('server.key') };
}
