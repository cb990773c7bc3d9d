#!/usr/bin/env node
// The auth-proxy command. Installed as a dependency it runs the compiled copy in dist/. Inside
// the repository it runs the TypeScript sources (Node >= 22.18 strips types); the proxy imports
// tollgate by its package name only, so source-imports.js points those imports at the sources too.
import { existsSync } from 'node:fs';

const insideNodeModules = import.meta.url.includes('/node_modules/');
const compiled = new URL('../dist/examples/auth-proxy/main.js', import.meta.url);
const useCompiled = insideNodeModules && existsSync(compiled);
if (!useCompiled) await import('./source-imports.js');
const main = useCompiled ? compiled : new URL('../examples/auth-proxy/main.ts', import.meta.url);
const { runProxyCli } = await import(main.href);
const code = await runProxyCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
if (code !== undefined) process.exitCode = code;
