#!/usr/bin/env node
// The auth-proxy command. Installed as a dependency it runs the compiled copy in dist/. Inside
// the repository it runs the TypeScript sources (Node >= 22.18 strips types); the proxy imports
// tollgate by its package name only, so those imports are pointed at the sources too, the way
// tsconfig.json's `paths` and vitest.config.ts's aliases do.
import { existsSync, readFileSync } from 'node:fs';
import module from 'node:module';

const insideNodeModules = import.meta.url.includes('/node_modules/');
const compiled = new URL('../dist/examples/auth-proxy/main.js', import.meta.url);
const useCompiled = insideNodeModules && existsSync(compiled);
if (!useCompiled) {
  const root = new URL('../', import.meta.url);
  const { name, exports } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
  module.registerHooks({
    resolve(specifier, context, next) {
      if (specifier === name || specifier.startsWith(`${name}/`)) {
        const target = exports[`.${specifier.slice(name.length)}`]?.default;
        if (typeof target === 'string' && target.startsWith('./dist/')) {
          const source = new URL(target.slice('./dist/'.length).replace(/\.js$/, '.ts'), root);
          return next(source.href, context);
        }
      }
      return next(specifier, context);
    },
  });
}
const main = useCompiled ? compiled : new URL('../examples/auth-proxy/main.ts', import.meta.url);
const { runProxyCli } = await import(main.href);
const code = await runProxyCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
if (code !== undefined) process.exitCode = code;
