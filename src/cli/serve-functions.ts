// `tollgate serve`, step three: the API's functions, each in its own worker (a Node sandbox or a
// Python process), reloaded on change with --watch.
import { watch, type FSWatcher } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { startFunctionWorker, type FunctionWorker } from '../gateway/function-worker.js';
import type { LambdaHandler } from '../gateway/invoke.js';
import { functionSpec, type FunctionSetting } from './serve-settings.js';
import type { TemplateServe } from './serve-template.js';

type Log = (entry: Record<string, unknown>) => void;

export interface FunctionPool {
  /** Each function's handler, by name. */
  handlers(): Map<string, LambdaHandler>;
  /** Reloads a function when its file changes (editors write in several steps: once they are done). */
  watch(): void;
  close(): Promise<void>;
}

/** The template's functions, the config file's, then --function (which wins). */
export function functionSpecs(
  fromTemplate: TemplateServe | undefined,
  declared: Readonly<Record<string, FunctionSetting>>,
  flags: readonly string[],
): Map<string, FunctionSetting> {
  const specs = new Map<string, FunctionSetting>([
    ...(fromTemplate?.functions ?? []),
    ...Object.entries(declared),
  ]);
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0)
      throw new UsageError(
        `--function must be NAME=PATH[#EXPORT] or NAME=MODULE.EXPORT, got ${JSON.stringify(flag)}`,
      );
    const name = flag.slice(0, eq);
    try {
      // A function the config file declares keeps its runtime, memory and environment.
      specs.set(name, functionSpec(flag.slice(eq + 1), process.cwd(), specs.get(name) ?? {}));
    } catch (error) {
      throw new UsageError(`--function ${flag}: ${(error as Error).message}`);
    }
  }
  return specs;
}

/** Starts every function and waits for each to load; a start-up error stops those started. */
export async function startFunctions(
  specs: ReadonlyMap<string, FunctionSetting>,
  options: { readonly python: string | undefined; readonly log: Log },
  err: (line: string) => void,
): Promise<FunctionPool> {
  const workers = new Map<string, FunctionWorker>();
  const watchers: FSWatcher[] = [];
  const pool: FunctionPool = {
    handlers: () => new Map([...workers].map(([name, w]) => [name, w.handler])),
    watch: () => {
      for (const [name, spec] of specs)
        watchers.push(watchFunction(name, spec.file, workers.get(name)!, options.log));
    },
    close: async () => {
      for (const w of watchers) w.close();
      await Promise.all([...workers.values()].map((w) => w.close()));
    },
  };
  try {
    for (const [name, spec] of specs) {
      const worker = startFunctionWorker({
        name,
        handler: spec.handler,
        ...(spec.runtime !== undefined ? { runtime: spec.runtime } : {}),
        ...(options.python ? { python: options.python } : {}),
        memoryMb: spec.memoryMb,
        ...(spec.timeoutSeconds !== undefined ? { timeoutMs: spec.timeoutSeconds * 1000 } : {}),
        environment: spec.environment,
        log: options.log,
      });
      workers.set(name, worker);
      await worker.ready();
      for (const warning of worker.warnings())
        err(`tollgate: function ${name} (${spec.runtime ?? 'python'}): ${warning}`);
    }
  } catch (error) {
    await pool.close();
    throw new UsageError((error as Error).message);
  }
  return pool;
}

function watchFunction(name: string, file: string, worker: FunctionWorker, log: Log): FSWatcher {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return watch(file, () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      worker.reload().then(
        () => log({ event: 'function_reloaded', function: name, file }),
        (error: Error) =>
          log({ event: 'function_reload_failed', function: name, message: error.message }),
      );
    }, 100);
  });
}

/**
 * A handler for each template function whose runtime is not run locally (unless the config file
 * or --function gives it code): every invocation fails, as an invocation error that API Gateway
 * answers 502 (proxy) or 500 (authorizer), and the log says why.
 */
export function addNotRunFunctions(
  functions: Map<string, LambdaHandler>,
  notRun: ReadonlyMap<string, string> | undefined,
  log: Log,
): void {
  for (const [name, reason] of notRun ?? []) {
    if (functions.has(name)) continue;
    const handler = (): Promise<never> => {
      log({ event: 'function_not_run', function: name, message: reason });
      return Promise.reject(new Error(reason));
    };
    functions.set(name, handler as unknown as LambdaHandler);
  }
}
