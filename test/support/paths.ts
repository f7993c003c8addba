// Where the repository is, found from this file whether the tests run from TypeScript or from
// their compiled copies in .test-build/: the first folder upwards holding Tollgate's package.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'tollgate'
    )
      return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('the tollgate repository root was not found above the tests');
    dir = up;
  }
}

export const ROOT = findRoot();
/** The public JOSE vectors, beside the repository (../shared). */
export const VECTORS_DIR = join(ROOT, '..', 'shared', 'vectors');
export const repoPath = (...parts: string[]): string => join(ROOT, ...parts);
