// What every local function's sandbox shares, whatever its language: the options and the handle
// the gateway gets, the environment Lambda sets, how an invocation's outcome settles the
// gateway's call, and the function's own output turned into log lines without the caller's token.
import { TollgateError } from '../core/errors.js';
import type { Invocation, LambdaContext, LambdaHandler } from './invoke.js';
import { LOCAL_API } from './events.js';
import type { HandlerName, NodeRuntime } from './lambda-runtime.js';
import type { PythonHandler, PythonRuntime } from './python-runtime.js';
import { redactText } from './redact.js';

export type LambdaRuntime = NodeRuntime | PythonRuntime;

export interface FunctionWorkerOptions {
  readonly name: string;
  /** An absolute path to the module, with `exportName`; or `handler`, a parsed handler name. */
  readonly file?: string;
  readonly exportName?: string;
  readonly handler?: HandlerName | PythonHandler;
  /** Default nodejs22.x (a Python handler: its declared python3.x, if any). */
  readonly runtime?: LambdaRuntime;
  /** The function's memorySize in MB (default 128): a Node sandbox's heap limit. */
  readonly memoryMb?: number;
  /** The function's own variables, on top of the gateway's environment (as a Lambda console sets them). */
  readonly environment: Readonly<Record<string, string>>;
  readonly log?: (entry: Record<string, unknown>) => void;
  /** How long a sandbox past an invocation's deadline has to answer a ping before it is replaced. */
  readonly pingTimeoutMs?: number;
  /** Python functions: the interpreter (default TOLLGATE_PYTHON, else python3 on PATH). */
  readonly python?: string;
  /**
   * The function's own Timeout (Lambda's, in ms): past it the invocation fails with "Task timed
   * out" and the sandbox is replaced. Unset: only the gateway's deadline applies.
   */
  readonly timeoutMs?: number;
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

/** A function's failure, its message as Lambda's errorMessage (API Gateway compares it to "Unauthorized"). */
export class FunctionError extends TollgateError<'FUNCTION_ERROR'> {
  constructor(message: string) {
    super('FUNCTION_ERROR', message);
  }
}

/** The variables Lambda sets in every sandbox, then the function's own. */
export function lambdaEnvironment(
  name: string,
  runtime: LambdaRuntime,
  memoryMb: number,
  own: Readonly<Record<string, string>>,
): Record<string, string | undefined> {
  return {
    ...process.env,
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    AWS_REGION: LOCAL_API.region,
    AWS_DEFAULT_REGION: LOCAL_API.region,
    ...own,
  };
}

export const functionArn = (name: string): string =>
  `arn:aws:lambda:${LOCAL_API.region}:${LOCAL_API.account}:function:${name}`;

/** Settles the gateway's call: a result resolves, an error rejects; a timeout is left to the gateway's own deadline. */
export const settleCall =
  (resolve: (value: unknown) => void, reject: (error: Error) => void) =>
  (outcome: Invocation): void => {
    if (outcome.kind === 'result') resolve(outcome.value);
    else if (outcome.kind === 'error') reject(new FunctionError(outcome.message));
  };

type Call = (event: unknown, context: LambdaContext, callback: () => void) => unknown;

/**
 * Lambda's function Timeout around a sandbox. When it ends before the gateway's deadline, the
 * invocation fails as Lambda's does ("Task timed out after N.00 seconds": API Gateway then answers
 * a proxy integration 502 and an authorizer 500) and the sandbox is reset, as Lambda resets the
 * execution environment after a timeout; otherwise the gateway's own deadline answers (504, 500).
 */
export function withFunctionTimeout(
  worker: FunctionWorker,
  timeoutMs: number,
  name: string,
  log?: (entry: Record<string, unknown>) => void,
): FunctionWorker {
  const inner = worker.handler as unknown as Call;
  const handler = (event: unknown, context: LambdaContext): unknown => {
    if (context.getRemainingTimeInMillis() <= timeoutMs) return inner(event, context, () => {});
    const deadline = Date.now() + timeoutMs;
    const own = Object.assign(Object.create(context) as LambdaContext, {
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const seconds = (timeoutMs / 1000).toFixed(2);
        log?.({
          event: 'function_timeout',
          function: name,
          message: `${name} did not answer within its Timeout (${seconds} s): a new sandbox is started`,
        });
        worker.reload().catch(() => {});
        reject(
          new FunctionError(`${context.awsRequestId} Task timed out after ${seconds} seconds`),
        );
      }, timeoutMs);
      Promise.resolve(inner(event, own, () => {}))
        .finally(() => clearTimeout(timer))
        .then(resolve, reject);
    });
  };
  return {
    handler: handler as unknown as LambdaHandler,
    ready: () => worker.ready(),
    warnings: () => worker.warnings(),
    reload: () => worker.reload(),
    close: () => worker.close(),
  };
}

/** What authenticates the caller in an event: the TOKEN, the identity sources, credential headers. */
export function eventSecrets(event: unknown): string[] {
  if (typeof event !== 'object' || event === null) return [];
  const e = event as Record<string, unknown>;
  const out: string[] = [];
  const add = (v: unknown): void => {
    if (typeof v === 'string' && v !== '') out.push(v);
    else if (Array.isArray(v)) v.forEach(add);
  };
  add(e.authorizationToken);
  add(e.identitySource);
  for (const headers of [e.headers, e.multiValueHeaders])
    if (typeof headers === 'object' && headers !== null)
      for (const [k, v] of Object.entries(headers))
        if (/^(authorization|cookie|x-api-key)$/i.test(k)) add(v);
  return out;
}

/** The longest line of a function's output kept whole (CloudWatch's event limit); the rest is cut. */
export const MAX_OUTPUT_LINE = 256 * 1024;

/**
 * A function's stdout or stderr as log lines (`function_output`), each without the caller's token:
 * a line that held it is logged redacted, with one warning per sandbox that the function logs tokens.
 */
export function outputLogger(
  name: string,
  log: ((entry: Record<string, unknown>) => void) | undefined,
): (
  stream: 'stdout' | 'stderr',
  line: string,
  now: { readonly requestId: string; readonly secrets: readonly string[] } | undefined,
) => void {
  let warned = false;
  return (stream, line, now) => {
    const clean = redactText(line, now?.secrets ?? []);
    log?.({
      event: 'function_output',
      function: name,
      stream,
      requestId: now?.requestId,
      line: clean,
    });
    if (clean === line || warned) return;
    warned = true;
    log?.({
      event: 'function_logged_token',
      function: name,
      requestId: now?.requestId,
      message: `${name} wrote the caller's token to its log (redacted here, kept in CloudWatch Logs when deployed): log the claims you need (sub, scope), never the token`,
    });
  };
}

/** Splits a stream into lines, cutting any line at `max` characters so a runaway writer costs bounded memory. */
export function lineSplitter(
  onLine: (line: string, cut: boolean) => void,
  max = MAX_OUTPUT_LINE,
): { push(chunk: string): void; end(): void } {
  let partial = '';
  let cut = false;
  return {
    push(chunk: string): void {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      for (const p of parts) {
        if (!cut) onLine(p.replace(/\r$/, ''), false);
        cut = false;
      }
      if (partial.length > max) {
        if (!cut) onLine(`${partial.slice(0, max)} [cut at ${max} characters]`, true);
        cut = true;
        partial = '';
      }
    },
    end(): void {
      if (partial !== '' && !cut) onLine(partial, false);
      partial = '';
    },
  };
}
