// Loads a function's handler as the declared Node.js runtime does (see lambda-runtime.ts):
// aws-lambda-ric 3.x (nodejs20.x, nodejs22.x) require()s CommonJS files, so `exports.default` is
// the export `default`; 4.x (nodejs24.x) import()s every file, so a CommonJS module's `default`
// is its whole module.exports. Lambda's handler form tries MODULE, .js, .mjs, .cjs in its order.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  handlerLabel,
  hasCallbackContract,
  RuntimeError,
  type HandlerName,
  type NodeRuntime,
} from './lambda-runtime.js';

const requireModule = createRequire(import.meta.url);

/** Whether the nearest package.json above `dir` says "type": "module" (a node_modules folder stops the search). */
function typeModule(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (d.endsWith('/node_modules')) return false;
    const pkg = join(d, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: unknown }).type === 'module';
      } catch {
        return false;
      }
    }
    if (dirname(d) === d) return false;
  }
}

type How = 'require' | 'import';

/** The files the runtime tries, in its order, and how it loads each. */
function candidates(name: HandlerName, runtime: NodeRuntime): { path: string; how: How }[] {
  if (!hasCallbackContract(runtime)) {
    const exts = name.kind === 'file' ? [''] : ['', '.js', '.mjs', '.cjs'];
    return exts.map((ext) => ({ path: name.module + ext, how: 'import' }));
  }
  const esm = typeModule(dirname(name.module));
  if (name.kind === 'file') {
    const ext = extname(name.module);
    return [
      { path: name.module, how: ext === '.mjs' || (ext === '.js' && esm) ? 'import' : 'require' },
    ];
  }
  return [
    { path: name.module, how: 'require' },
    { path: `${name.module}.js`, how: esm ? 'import' : 'require' },
    { path: `${name.module}.mjs`, how: 'import' },
    { path: `${name.module}.cjs`, how: 'require' },
  ];
}

async function loadModule(name: HandlerName, runtime: NodeRuntime): Promise<unknown> {
  const found = candidates(name, runtime).find(
    (c) => existsSync(c.path) && (name.kind === 'file' || statSync(c.path).isFile()),
  );
  if (!found)
    throw new RuntimeError(
      'Runtime.ImportModuleError',
      `Error: Cannot find module '${name.module}'${name.kind === 'lambda' ? ' (tried .js, .mjs, .cjs)' : ''}`,
    );
  try {
    return found.how === 'require'
      ? requireModule(found.path)
      : await import(pathToFileURL(found.path).href);
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new RuntimeError(
        'Runtime.UserCodeSyntaxError',
        `${String(error)} (in ${found.path}${found.how === 'require' ? ', loaded as CommonJS' : ''})`,
      );
    throw error;
  }
}

/** The handler function, or a RuntimeError as the runtime reports it at init. */
export async function loadHandler(
  name: HandlerName,
  runtime: NodeRuntime,
): Promise<(...args: never[]) => unknown> {
  const mod = await loadModule(name, runtime);
  const handler = name.exportPath.reduce<unknown>(
    (value, key) =>
      value === null || value === undefined ? undefined : (value as Record<string, unknown>)[key],
    mod,
  );
  if (handler === undefined || handler === null)
    throw new RuntimeError(
      'Runtime.HandlerNotFound',
      `${handlerLabel(name)} is undefined or not exported`,
    );
  if (typeof handler !== 'function')
    throw new RuntimeError('Runtime.HandlerNotFound', `${handlerLabel(name)} is not a function`);
  return handler as (...args: never[]) => unknown;
}

/** An init error in one line: `Runtime.X: message`. */
export const initErrorLine = (error: unknown): string =>
  error instanceof RuntimeError
    ? `${error.errorType}: ${error.message}`
    : error instanceof Error
      ? `${error.name}: ${error.message.split('\n')[0]}`
      : String(error);
