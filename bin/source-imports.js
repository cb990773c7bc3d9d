// Inside the repository, points imports of tollgate by its package name (`tollgate`,
// `tollgate/adapters/*`, as the auth-proxy imports it) at the TypeScript sources instead of the
// compiled dist/, the way tsconfig.json's `paths` and vitest.config.ts's aliases do; Node >= 22.18
// strips the types. Loaded by bin/tollgate-proxy.js and by `node --import ./bin/source-imports.js`
// (npm start), so the demo runs the sources as they are, with no build step.
import { readFileSync } from 'node:fs';
import module from 'node:module';

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
