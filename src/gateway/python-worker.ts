// A Python function in its own process (`python3 -u runtime/python/tollgate_bootstrap.py`), loaded
// once as Lambda's Python runtime loads it, one invocation at a time as a Lambda sandbox runs them.
// Invocations go in on fd 3 and answers come back on fd 4, a JSON document a line, so whatever the
// handler prints (stdout, stderr) is its log and never the protocol. A handler past its deadline,
// or one that exits (sys.exit, os._exit), costs its invocation and a fresh process, not the gateway.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';
import type { Invocation, LambdaContext, LambdaHandler } from './invoke.js';
import { DEFAULT_MEMORY_MB } from './lambda-runtime.js';
import {
  DEFAULT_PYTHON_RUNTIME,
  exitErrorMessage,
  initErrorText,
  versionWarning,
  type PythonHandler,
  type PythonRuntime,
} from './python-runtime.js';
import {
  eventSecrets,
  FunctionError,
  functionArn,
  lambdaEnvironment,
  lineSplitter,
  outputLogger,
  settleCall,
  type FunctionWorker,
  type FunctionWorkerOptions,
} from './sandbox.js';

/** Lambda's limit on a synchronous invocation's response: a longer answer line is refused, not buffered. */
const MAX_RESPONSE_CHARS = 6 * 1024 * 1024;
/** A process still busy this long past its invocation's deadline is killed (the gateway answered at the deadline). */
const KILL_GRACE_MS = 50;

/** The bridge, found from this module whether it runs from dist/ or a test build. */
function bootstrapPath(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'runtime', 'python', 'tollgate_bootstrap.py');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error('runtime/python/tollgate_bootstrap.py is missing');
  }
}

/** The interpreter: an explicit choice, TOLLGATE_PYTHON, or python3 on PATH. */
export const pythonInterpreter = (chosen?: string): string =>
  chosen || process.env.TOLLGATE_PYTHON?.trim() || 'python3';

interface Job {
  readonly id: number;
  readonly event: unknown;
  readonly requestId: string;
  readonly deadline: number;
  readonly timeoutMs: number;
  readonly secrets: readonly string[];
  readonly settle: (outcome: Invocation) => void;
}

interface Box {
  readonly child: ChildProcess;
  readonly requests: Writable;
  readonly ready: Promise<void>;
  job?: Job;
  /** The invocation answered last, whose output may still be arriving. */
  last?: Job;
  timer?: ReturnType<typeof setTimeout>;
  /** Takes no new invocation; stops once its current one is answered. */
  retired: boolean;
  /** Its process is gone or going: nothing more is sent to it. */
  stopped: boolean;
  /** The handler loaded: a process that ends later is replaced (one that never loaded is not retried until asked). */
  loaded: boolean;
  readonly exited: Promise<void>;
}

interface Answer {
  readonly id?: number;
  readonly kind?: string;
  readonly result?: string;
  readonly error?: { errorType: string; errorMessage: string };
  readonly version?: string;
}

export function startPythonWorker(
  options: FunctionWorkerOptions & { readonly handler: PythonHandler },
): FunctionWorker {
  return new PythonWorker(options);
}

class PythonWorker implements FunctionWorker {
  readonly handler: LambdaHandler;
  private readonly queue: Job[] = [];
  private readonly found: string[] = [];
  private readonly interpreter: string;
  private readonly env: Record<string, string | undefined>;
  private readonly write: ReturnType<typeof outputLogger>;
  private box: Box;
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: FunctionWorkerOptions & { handler: PythonHandler }) {
    this.interpreter = pythonInterpreter(options.python);
    const runtime = (options.runtime as PythonRuntime | undefined) ?? DEFAULT_PYTHON_RUNTIME;
    this.env = {
      ...lambdaEnvironment(
        options.name,
        runtime,
        options.memoryMb ?? DEFAULT_MEMORY_MB,
        options.environment,
      ),
      LAMBDA_TASK_ROOT: options.handler.root,
      _HANDLER: options.handler.label,
      TZ: ':UTC',
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
    };
    const memoryMb = options.memoryMb ?? DEFAULT_MEMORY_MB;
    if (memoryMb !== DEFAULT_MEMORY_MB)
      this.found.push(
        `memorySize ${memoryMb} is what context.memory_limit_in_mb says; a Python process's memory is not bounded locally`,
      );
    this.write = outputLogger(options.name, options.log);
    this.box = this.spawn();
    this.handler = ((event: unknown, context: LambdaContext) =>
      new Promise((resolve, reject) =>
        this.enqueue(event, context, settleCall(resolve, reject)),
      )) as unknown as LambdaHandler;
  }

  ready(): Promise<void> {
    return this.box.ready;
  }

  warnings(): readonly string[] {
    return this.found;
  }

  async reload(): Promise<void> {
    const old = this.box;
    this.box = this.spawn();
    old.retired = true;
    if (!old.job) this.stop(old);
    await this.box.ready;
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.settle({ kind: 'error', message: 'the gateway is stopping' });
    this.box.job?.settle({ kind: 'error', message: 'the gateway is stopping' });
    this.stop(this.box);
    await this.box.exited;
  }

  private spawn(): Box {
    const { root, module, function: fn } = this.options.handler;
    const child = spawn(this.interpreter, ['-u', bootstrapPath(), root, module, fn], {
      cwd: root,
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    });
    const requests = child.stdio[3] as Writable;
    const answers = child.stdio[4] as Readable;
    requests.on('error', () => {}); // EPIPE once the process is gone: its exit reports it.
    let exited!: () => void;
    const box: Box = {
      child,
      requests,
      ready: Promise.resolve(),
      retired: false,
      stopped: false,
      loaded: false,
      exited: new Promise((resolve) => (exited = resolve)),
    };
    (box as { ready: Promise<void> }).ready = this.watch(box, answers, exited);
    box.ready.catch(() => {});
    for (const stream of ['stdout', 'stderr'] as const) {
      // A line may arrive after its invocation's answer (two pipes): it belongs to the last one.
      const lines = lineSplitter((line) => this.write(stream, line, box.job ?? box.last));
      child[stream]!.setEncoding('utf8');
      child[stream]!.on('data', (chunk: string) => lines.push(chunk));
      child[stream]!.on('end', () => lines.end());
    }
    return box;
  }

  /** Reads the process's answers and its end; resolves once the handler is loaded. */
  private watch(box: Box, answers: Readable, exited: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const name = this.options.name;
      const lines = lineSplitter((line, cut) => {
        if (cut) return this.oversized(box);
        const answer = JSON.parse(line) as Answer;
        if (answer.kind === 'ready') {
          box.loaded = true;
          this.noteVersion(answer.version ?? '');
          resolve();
          this.pump();
        } else if (answer.kind === 'init-error') {
          const text = initErrorText(answer.error!, this.interpreter);
          reject(new FunctionError(`${name}: cannot load ${this.options.handler.file}: ${text}`));
        } else this.answered(box, answer);
      }, MAX_RESPONSE_CHARS);
      answers.setEncoding('utf8');
      answers.on('data', (chunk: string) => lines.push(chunk));
      let gone: { code: number | null; signal: string | null } | undefined;
      let drained = false;
      const end = (): void => {
        if (!gone || !drained) return;
        reject(new FunctionError(`${name}: ${this.startFailure(gone.code, gone.signal)}`));
        this.exited(box, gone.code, gone.signal);
        exited();
      };
      answers.on('close', () => ((drained = true), end()));
      box.child.on('exit', (code, signal) => ((gone = { code, signal }), end()));
      box.child.on('error', (error: NodeJS.ErrnoException) => {
        reject(new FunctionError(`${name}: ${this.spawnFailure(error)}`));
        box.stopped = true;
        exited();
      });
    });
  }

  private startFailure(code: number | null, signal: string | null): string {
    return `the Python process (${this.interpreter}) exited before loading ${this.options.handler.label} (${signal ?? `code ${code}`})`;
  }

  private spawnFailure(error: NodeJS.ErrnoException): string {
    return error.code === 'ENOENT'
      ? `cannot start ${this.interpreter}: not found (install Python 3, or set TOLLGATE_PYTHON to an interpreter)`
      : `cannot start ${this.interpreter}: ${error.message}`;
  }

  private noteVersion(version: string): void {
    const declared = this.options.runtime as PythonRuntime | undefined;
    const warning = versionWarning(declared, version, this.interpreter);
    if (warning && !this.found.includes(warning)) this.found.push(warning);
  }

  private enqueue(event: unknown, context: LambdaContext, settle: Job['settle']): void {
    if (this.closed) return settle({ kind: 'error', message: 'the gateway is stopping' });
    const timeoutMs = context.getRemainingTimeInMillis();
    this.queue.push({
      id: this.nextId++,
      event,
      requestId: context.awsRequestId,
      deadline: Date.now() + timeoutMs,
      timeoutMs,
      secrets: eventSecrets(event),
      settle,
    });
    this.pump();
  }

  /** Sends the next invocation once the process is loaded and idle (one at a time, as a sandbox runs them). */
  private pump(): void {
    if (this.closed || this.queue.length === 0) return;
    if (this.box.stopped) this.box = this.spawn();
    const box = this.box;
    if (box.job) return;
    void box.ready.then(
      () => {
        if (box !== this.box || box.job || box.stopped) return;
        const job = this.queue.shift();
        if (job) this.dispatch(box, job);
      },
      (error: Error) => {
        // A sandbox started after a crash or a reload that cannot load: each waiting invocation gets why.
        if (box !== this.box) return;
        for (const job of this.queue.splice(0))
          job.settle({ kind: 'error', message: error.message });
      },
    );
  }

  private dispatch(box: Box, job: Job): void {
    box.job = job;
    const line = JSON.stringify({
      id: job.id,
      event: job.event,
      requestId: job.requestId,
      deadlineMs: job.deadline,
      arn: functionArn(this.options.name),
    });
    box.requests.write(line + '\n');
    box.timer = setTimeout(
      () => this.timedOut(box, job),
      Math.max(0, job.deadline - Date.now()) + KILL_GRACE_MS,
    );
  }

  private finish(box: Box, outcome: Invocation): void {
    const job = box.job;
    if (!job) return;
    clearTimeout(box.timer);
    box.job = undefined;
    box.last = job;
    job.settle(outcome);
    if (box.retired) this.stop(box);
    else this.pump();
  }

  private answered(box: Box, answer: Answer): void {
    if (answer.id !== box.job?.id) return;
    if (answer.error)
      return this.finish(box, { kind: 'error', message: answer.error.errorMessage });
    const text = answer.result ?? 'null';
    this.finish(box, { kind: 'result', value: JSON.parse(text), bytes: Buffer.byteLength(text) });
  }

  private oversized(box: Box): void {
    this.finish(box, {
      kind: 'error',
      message: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_CHARS} bytes).`,
    });
    this.replace(box);
  }

  private timedOut(box: Box, job: Job): void {
    if (box.job !== job || this.closed) return;
    this.options.log?.({
      event: 'function_timeout',
      function: this.options.name,
      message: `${this.options.name} did not answer within ${job.timeoutMs} ms: its Python process is killed and a new one started`,
    });
    const seconds = (job.timeoutMs / 1000).toFixed(2);
    this.finish(box, {
      kind: 'error',
      message: `${job.requestId} Task timed out after ${seconds} seconds`,
    });
    this.replace(box);
  }

  /** Stops a process and starts the next one (a timeout, a crash, an oversized answer). */
  private replace(box: Box): void {
    this.stop(box);
    if (box === this.box && !this.closed) this.box = this.spawn();
    this.pump();
  }

  private exited(box: Box, code: number | null, signal: string | null): void {
    const wasStopped = box.stopped;
    box.stopped = true;
    const job = box.job;
    if (job) {
      const message = exitErrorMessage(job.requestId, code, signal);
      this.options.log?.({ event: 'function_crashed', function: this.options.name, message });
      this.finish(box, { kind: 'error', message });
    }
    if (!wasStopped && box.loaded && box === this.box && !this.closed) this.replace(box);
  }

  private stop(box: Box): void {
    if (box.stopped) return;
    box.stopped = true;
    box.child.kill('SIGKILL');
  }
}
