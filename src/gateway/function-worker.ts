// A local Lambda function in its own worker thread: its own environment variables (process.env
// is per worker), its module loaded once as its declared runtime loads it, its heap limited to its
// memorySize, and a hang, even a busy loop, or running out of memory, that costs one invocation and
// a fresh sandbox rather than the gateway. `reload()` starts a new sandbox (for --watch).
import { Worker } from 'node:worker_threads';
import type { Invocation, LambdaContext, LambdaHandler } from './invoke.js';
import { LOCAL_API } from './events.js';
import {
  DEFAULT_MEMORY_MB,
  DEFAULT_RUNTIME,
  type HandlerName,
  type NodeRuntime,
} from './lambda-runtime.js';

export interface FunctionWorkerOptions {
  readonly name: string;
  /** An absolute path to the module, with `exportName`; or `handler`, a parsed handler name. */
  readonly file?: string;
  readonly exportName?: string;
  readonly handler?: HandlerName;
  /** Default nodejs22.x. */
  readonly runtime?: NodeRuntime;
  /** The function's memorySize in MB (default 128): the sandbox's heap limit. */
  readonly memoryMb?: number;
  /** The function's own variables, on top of the gateway's environment (as a Lambda console sets them). */
  readonly environment: Readonly<Record<string, string>>;
  readonly log?: (entry: Record<string, unknown>) => void;
  /** How long a sandbox past an invocation's deadline has to answer a ping before it is replaced. */
  readonly pingTimeoutMs?: number;
}

export interface FunctionWorker {
  /** A handler for the gateway: it runs the function in the worker within the context's deadline. */
  readonly handler: LambdaHandler;
  /** Resolves once the module has loaded, or rejects with why it cannot (a start-up error). */
  ready(): Promise<void>;
  /** What the runtime check found at load: handlers a newer runtime would refuse. */
  warnings(): readonly string[];
  /** A fresh sandbox for new invocations; the old one finishes those it has, then stops. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

class FunctionError extends Error {}

interface Pending {
  readonly settle: (outcome: Invocation) => void;
  readonly deadline: number;
}

interface Sandbox {
  readonly worker: Worker;
  readonly ready: Promise<void>;
  readonly pending: Map<number, Pending>;
  /** Set once the sandbox takes no new invocations; it stops when its last one is settled. */
  retired: boolean;
  /** Set once the sandbox was stopped on purpose (its exit is not a crash). */
  stopped: boolean;
  pongs: (() => void)[];
}

export function startFunctionWorker(options: FunctionWorkerOptions): FunctionWorker {
  let nextId = 1;
  let closed = false;
  const pingTimeoutMs = options.pingTimeoutMs ?? 250;
  const runtime = options.runtime ?? DEFAULT_RUNTIME;
  const memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
  const handlerName: HandlerName = options.handler ?? {
    kind: 'file',
    module: options.file!,
    exportPath: [options.exportName ?? 'handler'],
  };
  let warnings: string[] = [];
  const env = {
    ...process.env,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: options.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${options.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    AWS_REGION: LOCAL_API.region,
    AWS_DEFAULT_REGION: LOCAL_API.region,
    ...options.environment,
  };

  const stop = (box: Sandbox): void => {
    if (box.stopped) return;
    box.stopped = true;
    void box.worker.terminate();
  };

  /** Settles every invocation the sandbox still has with an error (it crashed, exited or was replaced). */
  const fail = (box: Sandbox, message: string): void => {
    for (const p of box.pending.values()) p.settle({ kind: 'error', message });
    box.pending.clear();
  };

  const spawn = (): Sandbox => {
    const worker = new Worker(new URL('./function-worker-main.js', import.meta.url), {
      workerData: {
        name: handlerName,
        runtime,
        memoryMb,
        functionName: options.name,
        region: LOCAL_API.region,
        account: LOCAL_API.account,
      },
      env,
      // Lambda's memorySize bounds the function's heap (Buffers outside the heap are not counted).
      resourceLimits: {
        maxOldGenerationSizeMb: memoryMb,
        maxYoungGenerationSizeMb: Math.min(32, Math.max(8, memoryMb / 8)),
      },
    });
    let markReady!: () => void;
    let markFailed!: (error: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    ready.catch(() => {});
    const box: Sandbox = {
      worker,
      ready,
      pending: new Map(),
      retired: false,
      stopped: false,
      pongs: [],
    };
    worker.on(
      'message',
      (m: {
        kind: string;
        id?: number;
        outcome?: Invocation;
        message?: string;
        warnings?: string[];
      }) => {
        if (m.kind === 'ready') {
          warnings = m.warnings ?? [];
          markReady();
        } else if (m.kind === 'init-error')
          markFailed(
            new FunctionError(`${options.name}: cannot load ${handlerName.module}: ${m.message}`),
          );
        else if (m.kind === 'warning')
          options.log?.({
            event: 'function_runtime_warning',
            function: options.name,
            runtime,
            message: m.message,
          });
        else if (m.kind === 'pong') for (const pong of box.pongs.splice(0)) pong();
        else if (m.kind === 'done') {
          box.pending.get(m.id!)?.settle(m.outcome!);
          box.pending.delete(m.id!);
          if (box.retired && box.pending.size === 0) stop(box);
        }
      },
    );
    // An uncaught exception (say, thrown from a timer) or process.exit() ends this sandbox, not the gateway.
    const crashed = (message: string): void => {
      markFailed(new FunctionError(`${options.name}: ${message}`));
      if (box.stopped) return;
      box.stopped = true;
      fail(box, message);
      options.log?.({ event: 'function_crashed', function: options.name, message });
      if (!closed && sandbox === box) sandbox = spawn();
    };
    worker.on('error', (error: NodeJS.ErrnoException) =>
      crashed(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `Runtime.OutOfMemory: Runtime exited with error: the function used more than its memorySize (${memoryMb} MB)`
          : error.message,
      ),
    );
    worker.on('exit', (code) => crashed(`the function's sandbox exited (code ${code})`));
    return box;
  };

  let sandbox = spawn();

  /** Whether the sandbox answers a ping in time: a busy loop cannot. */
  const responsive = (box: Sandbox): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), pingTimeoutMs);
      box.pongs.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
      box.worker.postMessage({ kind: 'ping' });
    });

  /** A sandbox still running an invocation past its deadline is replaced if it no longer answers. */
  const checkHung = async (box: Sandbox): Promise<void> => {
    // Within 100 ms of a deadline counts: the gateway may have answered and sent the next request already.
    const soon = Date.now() + 100;
    if (closed || box.stopped || ![...box.pending.values()].some((p) => p.deadline <= soon)) return;
    if (await responsive(box)) return;
    if (closed || box.stopped) return;
    options.log?.({
      event: 'function_timeout',
      function: options.name,
      message: `${options.name} does not answer past its deadline: a new sandbox is started`,
    });
    if (box === sandbox) sandbox = spawn();
    fail(box, 'the sandbox was restarted after a timeout');
    stop(box);
  };

  const handler = ((event: unknown, context: LambdaContext) =>
    checkHung(sandbox).then(
      () =>
        new Promise((resolve, reject) => {
          const current = sandbox;
          const id = nextId++;
          const timeoutMs = context.getRemainingTimeInMillis();
          const timer = setTimeout(() => void checkHung(current), timeoutMs + 20);
          current.pending.set(id, {
            deadline: Date.now() + timeoutMs,
            settle: (outcome) => {
              clearTimeout(timer);
              if (outcome.kind === 'result') resolve(outcome.value);
              else if (outcome.kind === 'error') reject(new FunctionError(outcome.message));
              // A timeout inside the worker: the gateway's own deadline answers.
            },
          });
          current.ready.then(
            () =>
              current.worker.postMessage({ id, event, requestId: context.awsRequestId, timeoutMs }),
            (error: Error) => {
              clearTimeout(timer);
              current.pending.delete(id);
              reject(error);
            },
          );
        }),
    )) as unknown as LambdaHandler;

  return {
    handler,
    ready: () => sandbox.ready,
    warnings: () => warnings,
    reload: async () => {
      const old = sandbox;
      sandbox = spawn();
      old.retired = true;
      if (old.pending.size === 0) stop(old);
      await sandbox.ready;
    },
    close: async () => {
      closed = true;
      const box = sandbox;
      box.stopped = true;
      fail(box, 'the gateway is stopping');
      await box.worker.terminate();
    },
  };
}
