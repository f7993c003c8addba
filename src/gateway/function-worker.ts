// A local Lambda function in its own worker thread: its own environment variables (process.env
// is per worker), its module loaded once, and a hang, even a busy loop, that costs one invocation
// and a fresh sandbox rather than the gateway. `reload()` starts a new sandbox (for --watch).
import { Worker } from 'node:worker_threads';
import type { Invocation, LambdaContext, LambdaHandler } from './invoke.js';
import { LOCAL_API } from './events.js';

export interface FunctionWorkerOptions {
  readonly name: string;
  /** An absolute path to the module. */
  readonly file: string;
  readonly exportName: string;
  /** The function's own variables, on top of the gateway's environment (as a Lambda console sets them). */
  readonly environment: Readonly<Record<string, string>>;
  readonly log?: (entry: Record<string, unknown>) => void;
}

export interface FunctionWorker {
  /** A handler for the gateway: it runs the function in the worker within the context's deadline. */
  readonly handler: LambdaHandler;
  /** Resolves once the module has loaded, or rejects with why it cannot (a start-up error). */
  ready(): Promise<void>;
  /** A fresh sandbox: the module is imported again. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

class FunctionError extends Error {}

interface Sandbox {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  readonly pending: Map<number, (outcome: Invocation) => void>;
  /** Deadline (ms since the epoch) of each pending invocation. */
  readonly deadlines: Map<number, number>;
}

export function startFunctionWorker(options: FunctionWorkerOptions): FunctionWorker {
  let nextId = 1;
  let closed = false;
  const env = {
    ...process.env,
    AWS_LAMBDA_FUNCTION_NAME: options.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
    AWS_REGION: LOCAL_API.region,
    AWS_DEFAULT_REGION: LOCAL_API.region,
    ...options.environment,
  };

  const spawn = (): Sandbox => {
    const worker = new Worker(new URL('./function-worker-main.js', import.meta.url), {
      workerData: { file: options.file, exportName: options.exportName, functionName: options.name, region: LOCAL_API.region, account: LOCAL_API.account },
      env,
    });
    const pending = new Map<number, (outcome: Invocation) => void>();
    const deadlines = new Map<number, number>();
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: { kind: string; id?: number; outcome?: Invocation; message?: string }) => {
        if (m.kind === 'ready') resolve();
        else if (m.kind === 'init-error') reject(new FunctionError(`${options.name}: cannot load ${options.file}: ${m.message}`));
        else if (m.kind === 'done') {
          pending.get(m.id!)?.(m.outcome!);
          pending.delete(m.id!);
          deadlines.delete(m.id!);
        }
      });
      // An uncaught exception in the worker (e.g. thrown from a timer) ends that sandbox, not the gateway.
      worker.on('error', (error) => {
        reject(new FunctionError(`${options.name}: ${error.message}`));
        for (const settle of pending.values()) settle({ kind: 'error', message: error.message });
        pending.clear();
        options.log?.({ event: 'function_crashed', function: options.name, message: error.message });
        if (!closed && sandbox.worker === worker) sandbox = spawn();
      });
    });
    ready.catch(() => {});
    return { worker, ready, pending, deadlines };
  };

  let sandbox = spawn();

  /** A sandbox still busy past an invocation's deadline is hung (a busy loop, say): start a new one. */
  const replaceIfHung = (): void => {
    const now = Date.now();
    if (closed || ![...sandbox.deadlines.values()].some((d) => d <= now)) return;
    const hung = sandbox;
    options.log?.({ event: 'function_timeout', function: options.name, message: `${options.name} timed out: a new sandbox is started` });
    sandbox = spawn();
    for (const settle of hung.pending.values()) settle({ kind: 'timeout' });
    void hung.worker.terminate();
  };

  const handler = ((event: unknown, context: LambdaContext) =>
    new Promise((resolve, reject) => {
      replaceIfHung();
      const current = sandbox;
      const id = nextId++;
      const timeoutMs = context.getRemainingTimeInMillis();
      current.deadlines.set(id, Date.now() + timeoutMs);
      // Past the deadline the gateway has answered already; the hung sandbox is replaced.
      const timer = setTimeout(() => {
        if (current.pending.has(id) && sandbox === current) replaceIfHung();
      }, timeoutMs + 20);
      current.pending.set(id, (outcome) => {
        clearTimeout(timer);
        if (outcome.kind === 'result') resolve(outcome.value);
        else if (outcome.kind === 'error') reject(new FunctionError(outcome.message));
        // A timeout inside the worker: leave the gateway's own deadline to answer.
      });
      current.ready.then(
        () => current.worker.postMessage({ id, event, requestId: context.awsRequestId, timeoutMs }),
        (error: Error) => {
          clearTimeout(timer);
          current.pending.delete(id);
          current.deadlines.delete(id);
          reject(error);
        },
      );
    })) as unknown as LambdaHandler;

  return {
    handler,
    ready: () => sandbox.ready,
    reload: async () => {
      const old = sandbox;
      sandbox = spawn();
      await old.worker.terminate();
      await sandbox.ready;
    },
    close: async () => {
      closed = true;
      await sandbox.worker.terminate();
    },
  };
}
