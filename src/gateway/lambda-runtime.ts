// The Node.js Lambda runtime's contract, per declared runtime, as AWS's runtime interface client
// (aws-lambda-ric) gives it: 3.x runs nodejs20.x/nodejs22.x, 4.x runs nodejs24.x. Pure: the
// context object, which handlers a runtime refuses at start, and how a handler name is read.
// Sources: docs/emulation.md, "The Node.js runtime's contract".
import { TollgateError } from '../core/errors.js';

export const NODE_RUNTIMES = ['nodejs20.x', 'nodejs22.x', 'nodejs24.x'] as const;
export type NodeRuntime = (typeof NODE_RUNTIMES)[number];
/** What a function with no runtime declared runs on. */
export const DEFAULT_RUNTIME: NodeRuntime = 'nodejs22.x';
/** Lambda's default and bounds for memorySize, in MB. */
export const DEFAULT_MEMORY_MB = 128;
export const MIN_MEMORY_MB = 128;
export const MAX_MEMORY_MB = 10_240;

export const isNodeRuntime = (value: unknown): value is NodeRuntime =>
  (NODE_RUNTIMES as readonly unknown[]).includes(value);

/** Up to nodejs22.x the context has succeed/fail/done and handlers may take a callback; nodejs24.x has neither. */
export const hasCallbackContract = (runtime: NodeRuntime): boolean => runtime !== 'nodejs24.x';

/** aws-lambda-ric 4.x's words for a handler declared with a callback parameter. */
export const CALLBACK_DEPRECATED = {
  errorType: 'Runtime.CallbackHandlerDeprecated',
  errorMessage:
    'ERROR: AWS Lambda has removed support for callback-based function handlers starting with Node.js 24. You need to modify this function to use a supported handler signature to use Node.js 24 or later. For more information see https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html.',
  fix: 'fix: declare the handler as async (event, context) => ..., return the result and throw new Error("Unauthorized") instead of calling callback or context.fail (or declare runtime: nodejs22.x)',
} as const;

/** A Lambda runtime error: its type (Runtime.*) and message, as the runtime reports it at init. */
export class RuntimeError extends TollgateError<'RUNTIME_INIT_FAILED'> {
  constructor(
    readonly errorType: string,
    message: string,
  ) {
    super('RUNTIME_INIT_FAILED', message);
  }
}

export interface HandlerShape {
  /** The handler's declared parameter count (`function.length`). */
  readonly argsNum: number;
  readonly isAsync: boolean;
}

/** Refuses at start what the runtime refuses at init; otherwise warnings for what a newer runtime would refuse. */
export function checkHandler(
  runtime: NodeRuntime,
  shape: HandlerShape,
): { error?: RuntimeError; warnings: string[] } {
  if (shape.argsNum >= 3) {
    if (!hasCallbackContract(runtime))
      return {
        error: new RuntimeError(
          CALLBACK_DEPRECATED.errorType,
          `${CALLBACK_DEPRECATED.errorMessage} (${CALLBACK_DEPRECATED.fix})`,
        ),
        warnings: [],
      };
    return {
      warnings: [
        `the handler takes a callback (3 parameters): on nodejs24.x it is refused at start with ${CALLBACK_DEPRECATED.errorType}; ${CALLBACK_DEPRECATED.fix.replace(/ \(or declare.*\)$/, '')}`,
      ],
    };
  }
  return { warnings: [] };
}

/** The warning for a context method nodejs24.x no longer has, given once per sandbox when first called. */
export const contextMethodWarning = (method: string): string =>
  `context.${method}() is called: nodejs24.x has no context.${method} (the call throws there); return the result or throw instead`;

export interface ContextInput {
  readonly runtime: NodeRuntime;
  readonly functionName: string;
  readonly region: string;
  readonly account: string;
  readonly requestId: string;
  readonly memoryMb: number;
  readonly deadline: number;
  readonly now: () => number;
  /** Ends the invocation: the first call wins, as the runtime allows only one. */
  readonly complete: (error: unknown, result?: unknown) => void;
  /** Told when a context method a newer runtime lacks is used. */
  readonly onLegacyCall?: (method: string) => void;
}

// callbackWaitsForEmptyEventLoop's value per context (true until set). One getter and setter for
// every context: accessors of their own would give each context a hidden class of its own.
const WAITS = new WeakMap<object, boolean>();
const WAITS_PROPERTY: PropertyDescriptor = {
  get(this: object): boolean {
    return WAITS.get(this) ?? true;
  },
  set(this: object, v: boolean) {
    WAITS.set(this, v);
  },
  enumerable: true,
};

/** The context object the runtime passes to a handler. */
export function lambdaContext(input: ContextInput): Record<string, unknown> {
  const context: Record<string, unknown> = {
    functionName: input.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${input.region}:${input.account}:function:${input.functionName}`,
    memoryLimitInMB: String(input.memoryMb),
    awsRequestId: input.requestId,
    logGroupName: `/aws/lambda/${input.functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, input.deadline - input.now()),
  };
  if (!hasCallbackContract(input.runtime)) return context;
  const legacy = (method: string, error: unknown, result?: unknown): void => {
    input.onLegacyCall?.(method);
    input.complete(error, result);
  };
  Object.defineProperty(context, 'callbackWaitsForEmptyEventLoop', WAITS_PROPERTY);
  context.succeed = (result?: unknown): void => legacy('succeed', null, result);
  // As the runtime: fail() with nothing reports the error "handled".
  context.fail = (error?: unknown): void => legacy('fail', error ?? 'handled');
  context.done = (error?: unknown, result?: unknown): void => legacy('done', error, result);
  return context;
}

export interface HandlerName {
  /** PATH#EXPORT: a file; Lambda's form: a module path without extension, resolved as the runtime does. */
  readonly kind: 'file' | 'lambda';
  /** Absolute: the file, or the module path without extension. */
  readonly module: string;
  /** The property path to the function in the module's exports (`a.b` in `index.a.b`). */
  readonly exportPath: readonly string[];
  /** The name as the user wrote it, for messages (as the runtime quotes its handler setting). */
  readonly label?: string;
}

/**
 * `PATH#EXPORT` (a file, default export name `handler`), a plain existing file, or Lambda's own
 * form `DIR/MODULE.EXPORT[.NESTED]` (the module found as index.js, .mjs or .cjs in the code dir).
 */
export function parseHandlerName(
  spec: string,
  codeDir: string,
  isFile: (path: string) => boolean,
  resolvePath: (dir: string, path: string) => string,
): HandlerName {
  const hash = spec.lastIndexOf('#');
  if (hash > 0)
    return {
      kind: 'file',
      module: resolvePath(codeDir, spec.slice(0, hash)),
      exportPath: [spec.slice(hash + 1) || 'handler'],
    };
  const whole = resolvePath(codeDir, spec);
  // A path ending in a script extension is a file, even a missing one (the load reports it).
  if (isFile(whole) || /\.[cm]?[jt]s$/.test(spec))
    return { kind: 'file', module: whole, exportPath: ['handler'] };
  const slash = spec.lastIndexOf('/');
  const base = spec.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1)
    throw new RuntimeError(
      'Runtime.MalformedHandlerName',
      `${JSON.stringify(spec)} is neither a file nor a Lambda handler name (FILE.EXPORT, e.g. index.handler, or PATH#EXPORT)`,
    );
  return {
    kind: 'lambda',
    module: resolvePath(codeDir, spec.slice(0, slash + 1) + base.slice(0, dot)),
    exportPath: base.slice(dot + 1).split('.'),
    label: spec,
  };
}

/** The handler a display name stands for: `index.handler` or `PATH#EXPORT`. */
export const handlerLabel = (name: HandlerName): string =>
  name.label ??
  (name.kind === 'lambda'
    ? `${name.module}.${name.exportPath.join('.')}`
    : `${name.module}#${name.exportPath.join('.')}`);
