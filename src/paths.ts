import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root, found by walking up from this file, so views resolve the same whether the
 * sources run directly or the compiled copy in dist/ does.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'views'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('tollgate: cannot find the package root (views/ folder)');
    dir = parent;
  }
  return dir;
}

/** Absolute path of the package root. */
export const PACKAGE_ROOT = findPackageRoot();
/** Absolute path of the EJS templates. */
export const VIEWS_DIR = join(PACKAGE_ROOT, 'views');
