// Runs a local function as Lambda runs it: JSON in and out, a context with a deadline, a timeout,
// and every failure (throw, rejection, callback error, hang, unserialisable answer) reported as a
// value, so no handler can take the gateway down. The context and callback follow the declared
// runtime (lambda-runtime.ts): succeed/fail/done and callbacks up to nodejs22.x only.
import {
  DEFAULT_MEMORY_MB,
  DEFAULT_RUNTIME,
  hasCallbackContract,
  lambdaContext,
  type NodeRuntime,
} from './lambda-runtime.js';
import { jsonCopy } from './json-copy.js';

/** The part of Lambda's context handlers use. */
export interface LambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  callbackWaitsForEmptyEventLoop?: boolean;
  getRemainingTimeInMillis(): number;
}

/** An async handler, or a callback one (`(event, context, callback)`), as Node Lambda accepts both. */
export type LambdaHandler = (
  event: never,
  context: LambdaContext,
  callback: (error?: unknown, result?: unknown) => void,
) => unknown;

export type Invocation =
  /**
   * `bytes`: the size of the answer as JSON, what API Gateway limits (an authorizer's to 8 KB);
   * counted only when the invocation had a `maxResultBytes`.
   */
  | { readonly kind: 'result'; readonly value: unknown; readonly bytes?: number }
  /** `message` is what Lambda reports as errorMessage; API Gateway compares it to "Unauthorized". */
  | { readonly kind: 'error'; readonly message: string; readonly errorType?: string }
  | { readonly kind: 'timeout' };

export interface InvokeOptions {
  readonly functionName: string;
  readonly requestId: string;
  readonly timeoutMs: number;
  readonly now: () => number;
  readonly region: string;
  readonly account: string;
  /** An answer larger than this as JSON is not parsed: `result` with `value` undefined and `bytes` over the limit. */
  readonly maxResultBytes?: number;
  /**
   * The function's runtime: its contract, exactly (a sandbox passes it). Unset: in-process code
   * (Tollgate's own handler, a test's closure) with nodejs22.x's context, whose plain return is its answer.
   */
  readonly runtime?: NodeRuntime;
  /** Default 128. */
  readonly memoryMb?: number;
  /** Told when the handler calls a context method nodejs24.x lacks (succeed, fail, done). */
  readonly onLegacyCall?: (method: string) => void;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/**
 * The size of `value` as JSON, counted only until it passes `limit` (then some number over it), so
 * refusing a huge answer costs about as much as the limit, not the answer. Cycles count as over.
 */
export function jsonBytesUpTo(value: unknown, limit: number): number {
  let total = 0;
  const over = (): boolean => total > limit;
  const walk = (v: unknown, depth: number): void => {
    if (over()) return;
    if (depth > 512) total = limit + 1;
    else if (typeof v === 'string')
      total += v.length + 2 > limit - total ? v.length + 2 : Buffer.byteLength(JSON.stringify(v));
    else if (typeof v === 'number' || typeof v === 'boolean') total += String(v).length;
    else if (v === null || typeof v !== 'object') total += 4;
    else if (typeof (v as { toJSON?: unknown }).toJSON === 'function')
      walk((v as { toJSON: () => unknown }).toJSON(), depth + 1);
    else if (Array.isArray(v)) {
      total += 2 + Math.max(0, v.length - 1);
      for (const x of v)
        if (!over())
          walk(
            x === undefined || typeof x === 'function' || typeof x === 'symbol' ? null : x,
            depth + 1,
          );
    } else {
      let members = 0;
      total += 2;
      for (const k in v) {
        if (over()) return;
        if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        // `"key":`, and a comma before every member but the first.
        total += Buffer.byteLength(JSON.stringify(k)) + 1 + (members++ > 0 ? 1 : 0);
        walk(x, depth + 1);
      }
    }
  };
  walk(value, 0);
  return total;
}

/** Lambda passes JSON: the handler cannot share objects with the gateway, and gets no `undefined`s. */
function throughJson(value: unknown): { ok: true; value: unknown; bytes: number } | { ok: false } {
  try {
    const text = JSON.stringify(value);
    return text === undefined
      ? { ok: true, value: null, bytes: 4 }
      : { ok: true, value: JSON.parse(text), bytes: Buffer.byteLength(text) };
  } catch {
    return { ok: false };
  }
}

/** throughJson without the size: a copy, and the text only for what is not plain data. */
function copiedAsJson(
  value: unknown,
): { ok: true; value: unknown; bytes?: undefined } | { ok: false } {
  try {
    return { ok: true, value: jsonCopy(value) };
  } catch {
    return { ok: false };
  }
}

/** Live handles and requests (sockets, timers, file reads), not counting message ports. */
const activeResources = (): number =>
  process.getActiveResourcesInfo().filter((r) => r !== 'MessagePort').length;

/**
 * Resolves once the work a handler left behind is done (no more live resources than `baseline`):
 * the runtime's "empty event loop", after which a callback-era handler that never answered gets null.
 */
function whenIdle(baseline: number, stopped: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = (): void => {
      if (stopped()) return;
      if (activeResources() <= baseline) resolve();
      else setTimeout(poll, 5);
    };
    setTimeout(poll, 5);
  });
}

export function invoke(
  handler: LambdaHandler,
  event: unknown,
  options: InvokeOptions,
): Promise<Invocation> {
  // One promise, settled by the first of the answer and the deadline: the timer is cleared then.
  return new Promise<Invocation>((resolve) => {
    let over = false;
    const end = (outcome: Invocation): void => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const timer = setTimeout(() => end({ kind: 'timeout' }), options.timeoutMs);
    run(handler, copiedAsJson(event), options, end, () => over);
  });
}

/** Calls the handler once; `end` gets its answer (first one wins) as an Invocation. */
function run(
  handler: LambdaHandler,
  input: ReturnType<typeof copiedAsJson>,
  options: InvokeOptions,
  end: (outcome: Invocation) => void,
  isOver: () => boolean,
): void {
  const runtime = options.runtime ?? DEFAULT_RUNTIME;
  // The first answer wins (callback, context.fail, the returned promise), as in the runtime.
  const settle = (error: unknown, value: unknown): void => {
    if (isOver()) return;
    if (error !== undefined && error !== null)
      return end({ kind: 'error', message: errorMessage(error) });
    end(resultOf(value, options.maxResultBytes));
  };
  const context = lambdaContext({
    runtime,
    functionName: options.functionName,
    region: options.region,
    account: options.account,
    requestId: options.requestId,
    memoryMb: options.memoryMb ?? DEFAULT_MEMORY_MB,
    deadline: options.now() + options.timeoutMs,
    now: options.now,
    complete: settle,
    ...(options.onLegacyCall ? { onLegacyCall: options.onLegacyCall } : {}),
  }) as unknown as LambdaContext;
  const legacy = hasCallbackContract(runtime);
  const strict = options.runtime !== undefined;
  // Whether a plain return is ignored (callback contract): only then is the loop watched for idle.
  const waitsForIdle = legacy && (strict || handler.length >= 3);
  const baseline = waitsForIdle ? activeResources() : 0;
  try {
    const returned = handler(input.ok ? (input.value as never) : (null as never), context, settle);
    if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') {
      (returned as PromiseLike<unknown>).then(
        (value) => settle(undefined, value),
        (error: unknown) => settle(error ?? new Error('rejected'), undefined),
      );
    } else if (!waitsForIdle) {
      settle(undefined, returned);
    } else {
      // Up to nodejs22.x a handler that returns no promise answers through the callback or
      // context.succeed/fail/done; its return value is ignored, and with neither it gets null once idle.
      void whenIdle(baseline, isOver).then(() => settle(undefined, null));
    }
  } catch (error) {
    settle(error ?? new Error('thrown'), undefined);
  }
}

/** An answer as the gateway gets it: a JSON copy, or its size alone when over `limit`. */
function resultOf(value: unknown, limit: number | undefined): Invocation {
  const rough = limit === undefined ? 0 : jsonBytesUpTo(value, limit);
  if (limit !== undefined && rough > limit)
    return { kind: 'result', value: undefined, bytes: rough };
  // The size only where a limit needs it: the text is what costs.
  const output = limit === undefined ? copiedAsJson(value) : throughJson(value);
  if (!output.ok) return { kind: 'error', message: 'Unable to stringify response body' };
  const { bytes } = output;
  return bytes === undefined
    ? { kind: 'result', value: output.value }
    : { kind: 'result', value: output.value, bytes };
}
