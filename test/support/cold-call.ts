// One cold start of a built Lambda module in a fresh process, as Lambda runs it: import the
// module, answer one event. A module-loader hook records every file the process loads, so a test
// can say which of the bundle's files a cold call needed and how many bytes they hold.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawn } from './child.js';

export interface ColdCall {
  /** The handler's answer, or the error it threw (its message). */
  readonly answer: { result?: unknown; error?: string };
  /** The files under `dir` the process loaded, relative to it, in load order. */
  readonly loaded: readonly string[];
  /** Their total size in bytes. */
  readonly bytes: number;
  /** Node's own modules the import and the call loaded (process.moduleLoadList), e.g. perf_hooks. */
  readonly builtins: readonly string[];
  readonly stderr: string;
}

// Runs in the loader's own thread: appends each file URL loaded to the file LOADED_LOG names.
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.LOADED_LOG, url + '\\n');
  return next(url, context);
}
`;

const MAIN = `import { register } from 'node:module';
register(process.env.HOOKS_URL);
const event = JSON.parse(process.env.EVENT);
const before = new Set(process.moduleLoadList);
const { handler } = await import(process.env.BUNDLE_URL);
let answer;
try { answer = { result: await handler(event) }; }
catch (error) { answer = { error: String(error?.message ?? error) }; }
answer.builtins = process.moduleLoadList
  .filter((m) => !before.has(m) && m.startsWith('NativeModule '))
  .map((m) => m.slice('NativeModule '.length));
process.stdout.write('\\n' + JSON.stringify(answer) + '\\n', () => process.exit(0));
`;

/** Loads `bundle` (a file in `dir`) in a fresh process with this environment and answers `event`. */
export async function coldCall(
  bundle: string,
  dir: string,
  env: Record<string, string>,
  event: unknown,
): Promise<ColdCall> {
  const work = mkdtempSync(join(tmpdir(), 'tollgate-cold-'));
  try {
    writeFileSync(join(work, 'hooks.mjs'), HOOKS);
    writeFileSync(join(work, 'main.mjs'), MAIN);
    const log = join(work, 'loaded.txt');
    writeFileSync(log, '');
    const child = spawn(process.execPath, [join(work, 'main.mjs')], {
      env: {
        PATH: process.env.PATH ?? '',
        ...env,
        LOADED_LOG: log,
        HOOKS_URL: pathToFileURL(join(work, 'hooks.mjs')).href,
        BUNDLE_URL: pathToFileURL(bundle).href,
        EVENT: JSON.stringify(event),
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    await new Promise((resolve) => child.on('close', resolve));
    // The answer is the last line but the metric lines the bundle writes as the process exits.
    const last =
      stdout
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('{"_aws":'))
        .at(-1) ?? '';
    const { builtins = [], ...answer } = last.startsWith('{')
      ? (JSON.parse(last) as ColdCall['answer'] & { builtins?: string[] })
      : { error: `no answer: ${stderr}` };
    const loaded = readFileSync(log, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((url) => relative(dir, fileURLToPath(url)))
      .filter((path) => !path.startsWith('..'));
    const bytes = loaded.reduce((n, path) => n + statSync(join(dir, path)).size, 0);
    return { answer, loaded, bytes, builtins, stderr };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
