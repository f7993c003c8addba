// A temporary folder per test file, used as TOLLGATE_HOME (the development key and provider state
// live there), restored and removed after the file's tests.
import { after, before } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Registers before/after hooks; `onDir` receives the folder once it exists. */
export function useTempHome(prefix: string, onDir: (dir: string) => void): void {
  let dir: string | undefined;
  const savedHome = process.env.TOLLGATE_HOME;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    process.env.TOLLGATE_HOME = join(dir, '.tollgate');
    onDir(dir);
  });
  after(() => {
    if (savedHome === undefined) delete process.env.TOLLGATE_HOME;
    else process.env.TOLLGATE_HOME = savedHome;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
}

/** Writes `text` to `name` in the folder `dir()` gives, and returns its path. */
export const fileIn =
  (dir: () => string) =>
  (name: string, text: string): string => {
    const path = join(dir(), name);
    writeFileSync(path, text);
    return path;
  };
