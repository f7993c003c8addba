// A local Lambda function in its own sandbox. Node.js: a worker thread with its own environment
// variables (process.env is per worker), its module loaded once as its declared runtime loads it,
// its heap limited to its memorySize, and a hang, even a busy loop, or running out of memory, that
// costs one invocation and a fresh sandbox rather than the gateway. Python: a process of its own
// (python-worker.ts). `reload()` starts a new sandbox (for --watch).
import { Worker } from 'node:worker_threads';
import type { Invocation, LambdaContext, LambdaHandler } from './invoke.js';
import { LOCAL_API } from './events.js';
import {
  DEFAULT_MEMORY_MB,
  DEFAULT_RUNTIME,
  type HandlerName,
  type NodeRuntime,
} from './lambda-runtime.js';
import { startPythonWorker } from './python-worker.js';
import {
  FunctionError,
  lambdaEnvironment,
  settleCall,
  withFunctionTimeout,
  type FunctionWorker,
  type FunctionWorkerOptions,
} from './sandbox.js';

export type { FunctionWorker, FunctionWorkerOptions } from './sandbox.js';

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

interface WorkerMessage {
  readonly kind: string;
  readonly id?: number;
  readonly outcome?: Invocation;
  readonly message?: string;
  readonly warnings?: string[];
}

/** Starts the function's sandbox: a Python process for a Python handler, a worker thread otherwise. */
export function startFunctionWorker(options: FunctionWorkerOptions): FunctionWorker {
  const handler = options.handler;
  const worker =
    handler?.kind === 'python'
      ? startPythonWorker({ ...options, handler })
      : new NodeWorker(options, handler);
  return options.timeoutMs === undefined
    ? worker
    : withFunctionTimeout(worker, options.timeoutMs, options.name, options.log);
}

class NodeWorker implements FunctionWorker {
  readonly handler: LambdaHandler;
  private readonly runtime: NodeRuntime;
  private readonly memoryMb: number;
  private readonly name: HandlerName;
  private readonly env: Record<string, string | undefined>;
  private readonly pingTimeoutMs: number;
  private found: string[] = [];
  private sandbox: Sandbox;
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly options: FunctionWorkerOptions,
    handler: HandlerName | undefined,
  ) {
    this.pingTimeoutMs = options.pingTimeoutMs ?? 250;
    this.runtime = (options.runtime as NodeRuntime | undefined) ?? DEFAULT_RUNTIME;
    this.memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
    this.name = handler ?? {
      kind: 'file',
      module: options.file!,
      exportPath: [options.exportName ?? 'handler'],
    };
    this.env = lambdaEnvironment(options.name, this.runtime, this.memoryMb, options.environment);
    this.sandbox = this.spawn();
    this.handler = ((event: unknown, context: LambdaContext) =>
      this.checkHung(this.sandbox).then(() =>
        this.run(event, context),
      )) as unknown as LambdaHandler;
  }

  ready(): Promise<void> {
    return this.sandbox.ready;
  }

  warnings(): readonly string[] {
    return this.found;
  }

  async reload(): Promise<void> {
    const old = this.sandbox;
    this.sandbox = this.spawn();
    old.retired = true;
    if (old.pending.size === 0) this.stop(old);
    await this.sandbox.ready;
  }

  async close(): Promise<void> {
    this.closed = true;
    const box = this.sandbox;
    box.stopped = true;
    this.fail(box, 'the gateway is stopping');
    await box.worker.terminate();
  }

  private stop(box: Sandbox): void {
    if (box.stopped) return;
    box.stopped = true;
    void box.worker.terminate();
  }

  /** Settles every invocation the sandbox still has with an error (it crashed, exited or was replaced). */
  private fail(box: Sandbox, message: string): void {
    for (const p of box.pending.values()) p.settle({ kind: 'error', message });
    box.pending.clear();
  }

  private spawn(): Sandbox {
    const worker = new Worker(new URL('./function-worker-main.js', import.meta.url), {
      workerData: {
        name: this.name,
        runtime: this.runtime,
        memoryMb: this.memoryMb,
        functionName: this.options.name,
        region: LOCAL_API.region,
        account: LOCAL_API.account,
      },
      env: this.env,
      // Lambda's memorySize bounds the function's heap (Buffers outside the heap are not counted).
      resourceLimits: {
        maxOldGenerationSizeMb: this.memoryMb,
        maxYoungGenerationSizeMb: Math.min(32, Math.max(8, this.memoryMb / 8)),
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
    worker.on('message', (m: WorkerMessage) => this.message(box, m, markReady, markFailed));
    this.watchEnd(box, markFailed);
    return box;
  }

  private message(
    box: Sandbox,
    m: WorkerMessage,
    markReady: () => void,
    markFailed: (error: Error) => void,
  ): void {
    const name = this.options.name;
    if (m.kind === 'ready') {
      this.found = m.warnings ?? [];
      markReady();
    } else if (m.kind === 'init-error')
      markFailed(new FunctionError(`${name}: cannot load ${this.name.module}: ${m.message}`));
    else if (m.kind === 'warning')
      this.options.log?.({
        event: 'function_runtime_warning',
        function: name,
        runtime: this.runtime,
        message: m.message,
      });
    else if (m.kind === 'pong') for (const pong of box.pongs.splice(0)) pong();
    else if (m.kind === 'done') {
      box.pending.get(m.id!)?.settle(m.outcome!);
      box.pending.delete(m.id!);
      if (box.retired && box.pending.size === 0) this.stop(box);
    }
  }

  /** An uncaught exception (say, thrown from a timer) or process.exit() ends this sandbox, not the gateway. */
  private watchEnd(box: Sandbox, markFailed: (error: Error) => void): void {
    const crashed = (message: string): void => {
      markFailed(new FunctionError(`${this.options.name}: ${message}`));
      if (box.stopped) return;
      box.stopped = true;
      this.fail(box, message);
      this.options.log?.({ event: 'function_crashed', function: this.options.name, message });
      if (!this.closed && this.sandbox === box) this.sandbox = this.spawn();
    };
    box.worker.on('error', (error: NodeJS.ErrnoException) =>
      crashed(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `Runtime.OutOfMemory: Runtime exited with error: the function used more than its memorySize (${this.memoryMb} MB)`
          : error.message,
      ),
    );
    box.worker.on('exit', (code) => crashed(`the function's sandbox exited (code ${code})`));
  }

  /** Whether the sandbox answers a ping in time: a busy loop cannot. */
  private responsive(box: Sandbox): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), this.pingTimeoutMs);
      box.pongs.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
      box.worker.postMessage({ kind: 'ping' });
    });
  }

  /** A sandbox still running an invocation past its deadline is replaced if it no longer answers. */
  private async checkHung(box: Sandbox): Promise<void> {
    // Within 100 ms of a deadline counts: the gateway may have answered and sent the next request already.
    const soon = Date.now() + 100;
    if (this.closed || box.stopped || ![...box.pending.values()].some((p) => p.deadline <= soon))
      return;
    if (await this.responsive(box)) return;
    if (this.closed || box.stopped) return;
    this.options.log?.({
      event: 'function_timeout',
      function: this.options.name,
      message: `${this.options.name} does not answer past its deadline: a new sandbox is started`,
    });
    if (box === this.sandbox) this.sandbox = this.spawn();
    this.fail(box, 'the sandbox was restarted after a timeout');
    this.stop(box);
  }

  /** One invocation in the current sandbox, settled by its answer (a timeout is the gateway's to answer). */
  private run(event: unknown, context: LambdaContext): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const current = this.sandbox;
      const id = this.nextId++;
      const timeoutMs = context.getRemainingTimeInMillis();
      const timer = setTimeout(() => void this.checkHung(current), timeoutMs + 20);
      const settle = settleCall(resolve, reject);
      current.pending.set(id, {
        deadline: Date.now() + timeoutMs,
        settle: (outcome) => {
          clearTimeout(timer);
          settle(outcome);
        },
      });
      current.ready.then(
        () => current.worker.postMessage({ id, event, requestId: context.awsRequestId, timeoutMs }),
        (error: Error) => {
          clearTimeout(timer);
          current.pending.delete(id);
          reject(error);
        },
      );
    });
  }
}
