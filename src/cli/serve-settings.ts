// The `serve:` section of tollgate.config.yaml: what `tollgate serve` runs, checked with a key path
// for every problem (the config loader turns paths into FILE:LINE:COL). Command-line flags win.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { BASE_PATH_MODES, type BasePathMode } from '../gateway/base-path.js';
import type { ConfigPath } from '../settings/file-validate.js';
import { isPoolId } from '../aws/cognito.js';
import { cognitoTargetProblem } from './cognito-option.js';
import type { Assumptions } from '../gateway/authorize.js';
import {
  DEFAULT_MEMORY_MB,
  DEFAULT_RUNTIME,
  isNodeRuntime,
  MAX_MEMORY_MB,
  MIN_MEMORY_MB,
  NODE_RUNTIMES,
  parseHandlerName,
  RuntimeError,
  type HandlerName,
} from '../gateway/lambda-runtime.js';
import {
  isPythonPath,
  isPythonRuntime,
  parsePythonHandler,
  PYTHON_RUNTIMES,
  type PythonHandler,
} from '../gateway/python-runtime.js';
import type { LambdaRuntime } from '../gateway/sandbox.js';
import { TollgateError } from '../core/errors.js';

export interface FunctionSetting {
  /** The handler: a file and export, or Lambda's MODULE.EXPORT form resolved in the code folder; or a Python one. */
  readonly handler: HandlerName | PythonHandler;
  /** The module's file, for --watch: the first the runtime would load, or the module path if none exists yet. */
  readonly file: string;
  readonly environment: Readonly<Record<string, string>>;
  /** A Python handler with none declared: undefined (it runs on the chosen interpreter's version). */
  readonly runtime: LambdaRuntime | undefined;
  /** memorySize in MB, as Lambda's (128 to 10240). */
  readonly memoryMb: number;
  /** The function's own Timeout in seconds (templates); unset: only the gateway's deadline. */
  readonly timeoutSeconds?: number;
}

export interface PageSetting {
  readonly issuer: string;
  readonly clientId: string;
  readonly audience: string | undefined;
  readonly scope: string | undefined;
  readonly extraAuthorizeParams: Readonly<Record<string, string>> | undefined;
  /** Origins the browser must also reach (Cognito's token endpoint is on the user pool's domain), for the page's CSP. */
  readonly connectOrigins: readonly string[] | undefined;
}

export interface WebSocketSetting {
  readonly path: string;
  /** Identity sources: route.request.header.NAME or route.request.querystring.NAME. */
  readonly identitySource: readonly string[];
  /** The authorizer function's name; unset: Tollgate's own. */
  readonly authorizer: string | undefined;
  readonly routes: Readonly<Record<string, string>>;
}

export interface ServeSettings {
  readonly api?: string;
  /** An AWS SAM or CloudFormation template to serve instead of `api` (as --template). */
  readonly template?: string;
  readonly port?: number;
  readonly stage?: string;
  /** How the document's basePath is applied, as API Gateway's import `basepath` parameter. */
  readonly basePath?: BasePathMode;
  readonly functions: Readonly<Record<string, FunctionSetting>>;
  readonly stageVariables: Readonly<Record<string, string>>;
  /** false: no embedded provider even without an issuer. */
  readonly devProvider?: boolean;
  /** false: no page; an object: sign in with that provider instead of the development one. */
  readonly page?: boolean | PageSetting;
  readonly usagePlans?: unknown;
  readonly websocket?: WebSocketSetting;
  readonly assumptions: Partial<Assumptions>;
  readonly watch?: boolean;
  readonly verbose?: boolean;
  /** Cognito user pool id → `dev` or a JWKS URL (`--cognito` wins). */
  readonly cognito?: Readonly<Record<string, string>>;
}

export interface SettingIssue {
  readonly path: ConfigPath;
  readonly message: string;
  readonly atKey?: boolean;
}

type Doc = Record<string, unknown>;
const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The section's keys; the schema (serve-schema.ts) lists the same ones. */
export const SERVE_KEYS = [
  'api',
  'template',
  'port',
  'stage',
  'basePath',
  'functions',
  'stageVariables',
  'devProvider',
  'page',
  'usagePlans',
  'websocket',
  'assumptions',
  'watch',
  'verbose',
  'cognito',
];
/** Each rule the checks below and the JSON Schema (serve-schema.ts) share, written once. */
export const SERVE_RULES = {
  functionKeys: ['handler', 'environment', 'runtime', 'memorySize'],
  /** A Lambda function's name. */
  functionName: '^[A-Za-z0-9_-]{1,64}$',
  pageKeys: ['issuer', 'clientId', 'audience', 'scope', 'extraAuthorizeParams', 'connectOrigins'],
  connectOrigin: '^https?://[^/\\s]+$',
  websocketKeys: ['path', 'identitySource', 'authorizer', 'routes'],
  identitySource: '^route\\.request\\.(header|querystring)\\.[^\\s,]+$',
} as const;
const FUNCTION_NAME = new RegExp(SERVE_RULES.functionName);
const CONNECT_ORIGIN = new RegExp(SERVE_RULES.connectOrigin);
const IDENTITY_SOURCE = new RegExp(SERVE_RULES.identitySource);

export const ASSUMPTION_CHOICES: Readonly<
  Record<keyof Assumptions, readonly (string | boolean)[]>
> = {
  validationMatch: ['test', 'full'],
  nullContextValues: ['error', 'omit'],
  requirePrincipalId: [true, false],
  httpThrownUnauthorized: ['unauthorized', 'error'],
  httpDeny: ['forbidden', 'unauthorized'],
};

class Issue extends TollgateError<'SERVE_CONFIG_INVALID'> {
  constructor(
    readonly path: ConfigPath,
    message: string,
    readonly atKey = false,
  ) {
    super('SERVE_CONFIG_INVALID', message);
  }
}
const fail = (path: ConfigPath, message: string, atKey = false): never => {
  throw new Issue(path, message, atKey);
};

function mapping(v: unknown, path: ConfigPath, known?: readonly string[]): Doc {
  if (!isDoc(v)) return fail(path, 'must be a mapping');
  if (known)
    for (const k of Object.keys(v))
      if (!known.includes(k))
        fail([...path, k], `is not a known key (known keys: ${known.join(', ')})`, true);
  return v;
}
function text(v: unknown, path: ConfigPath): string {
  return typeof v === 'string' && v !== ''
    ? v
    : fail(
        path,
        `must be a non-empty string${typeof v === 'number' || typeof v === 'boolean' ? ' (quote it)' : ''}`,
      );
}
function flag(v: unknown, path: ConfigPath): boolean {
  return typeof v === 'boolean' ? v : fail(path, 'must be true or false');
}
function strings(v: unknown, path: ConfigPath): Record<string, string> {
  const doc = mapping(v, path);
  for (const [k, x] of Object.entries(doc))
    if (typeof x !== 'string') fail([...path, k], 'must be a string (quote numbers and booleans)');
  return doc as Record<string, string>;
}

const isFile = (path: string): boolean => existsSync(path) && statSync(path).isFile();
const resolvePath = (dir: string, path: string): string =>
  isAbsolute(path) ? path : resolve(dir, path);

/** Python when declared so, when the path is a `.py` file, or when Lambda's MODULE names only a MODULE.py. */
function isPython(spec: string, baseDir: string, runtime: LambdaRuntime | undefined): boolean {
  if (runtime !== undefined) return isPythonRuntime(runtime);
  if (isPythonPath(spec)) return true;
  if (spec.includes('#') || /\.[cm]?[jt]s$/.test(spec)) return false;
  const module = resolvePath(baseDir, spec.slice(0, spec.lastIndexOf('.')));
  return isFile(`${module}.py`) && !['', '.js', '.mjs', '.cjs'].some((e) => isFile(module + e));
}

/** `PATH[#EXPORT]` or Lambda's `DIR/MODULE.EXPORT`, relative to `baseDir`; throws a RuntimeError for a malformed name. */
export function functionSpec(
  spec: string,
  baseDir: string,
  more: {
    environment?: Readonly<Record<string, string>>;
    runtime?: LambdaRuntime | undefined;
    memoryMb?: number;
  } = {},
): FunctionSetting {
  if (isPython(spec, baseDir, more.runtime)) {
    if (more.runtime !== undefined && !isPythonRuntime(more.runtime))
      throw new RuntimeError(
        'Runtime.InvalidEntrypoint',
        `a .py handler needs a python3.x runtime, not ${more.runtime}`,
      );
    const handler = parsePythonHandler(spec, baseDir, resolvePath);
    return {
      handler,
      file: handler.file,
      environment: more.environment ?? {},
      runtime: more.runtime,
      memoryMb: more.memoryMb ?? DEFAULT_MEMORY_MB,
    };
  }
  const handler = parseHandlerName(spec, baseDir, isFile, resolvePath);
  const file =
    handler.kind === 'file'
      ? handler.module
      : (['.js', '.mjs', '.cjs', ''].map((ext) => handler.module + ext).find(isFile) ??
        handler.module);
  return {
    handler,
    file,
    environment: more.environment ?? {},
    runtime: more.runtime ?? DEFAULT_RUNTIME,
    memoryMb: more.memoryMb ?? DEFAULT_MEMORY_MB,
  };
}

function functionSetting(f: unknown, at: ConfigPath, baseDir: string): FunctionSetting {
  const fd = typeof f === 'string' ? { handler: f } : mapping(f, at, SERVE_RULES.functionKeys);
  const handler = text(fd.handler, typeof f === 'string' ? at : [...at, 'handler']);
  if (fd.runtime !== undefined && !isNodeRuntime(fd.runtime) && !isPythonRuntime(fd.runtime))
    fail([...at, 'runtime'], `must be one of ${[...NODE_RUNTIMES, ...PYTHON_RUNTIMES].join(', ')}`);
  if (
    fd.memorySize !== undefined &&
    (typeof fd.memorySize !== 'number' ||
      !Number.isInteger(fd.memorySize) ||
      fd.memorySize < MIN_MEMORY_MB ||
      fd.memorySize > MAX_MEMORY_MB)
  ) {
    fail(
      [...at, 'memorySize'],
      `must be a whole number of MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}, as Lambda's memorySize`,
    );
  }
  try {
    return functionSpec(handler, baseDir, {
      environment:
        fd.environment === undefined ? {} : strings(fd.environment, [...at, 'environment']),
      ...(fd.runtime !== undefined ? { runtime: fd.runtime as LambdaRuntime } : {}),
      ...(fd.memorySize !== undefined ? { memoryMb: fd.memorySize as number } : {}),
    });
  } catch (error) {
    if (error instanceof RuntimeError)
      return fail(typeof f === 'string' ? at : [...at, 'handler'], error.message);
    throw error;
  }
}

/** Validates the section; the first problem is returned with its key path (under `serve`). */
export function readServeSettings(
  value: unknown,
  baseDir: string,
): { ok: true; settings: ServeSettings } | { ok: false; issue: SettingIssue } {
  try {
    return { ok: true, settings: check(value, baseDir) };
  } catch (error) {
    if (error instanceof Issue)
      return {
        ok: false,
        issue: { path: ['serve', ...error.path], message: error.message, atKey: error.atKey },
      };
    throw error;
  }
}

function check(value: unknown, baseDir: string): ServeSettings {
  const doc = mapping(value, [], SERVE_KEYS);
  const out: { -readonly [K in keyof ServeSettings]: ServeSettings[K] } = {
    functions: {},
    stageVariables: {},
    assumptions: {},
  };
  if (doc.api !== undefined) out.api = resolve(baseDir, text(doc.api, ['api']));
  if (doc.template !== undefined) {
    if (doc.api !== undefined) fail(['template'], 'names a second API beside serve.api: give one');
    out.template = resolve(baseDir, text(doc.template, ['template']));
  }
  if (doc.port !== undefined) {
    if (
      typeof doc.port !== 'number' ||
      !Number.isInteger(doc.port) ||
      doc.port < 0 ||
      doc.port > 65535
    )
      fail(['port'], 'must be a port number (0 to 65535)');
    out.port = doc.port as number;
  }
  if (doc.stage !== undefined) out.stage = text(doc.stage, ['stage']);
  if (doc.basePath !== undefined) {
    if (!BASE_PATH_MODES.includes(doc.basePath as BasePathMode))
      fail(['basePath'], `must be ${BASE_PATH_MODES.join(', ')} (API Gateway's import modes)`);
    out.basePath = doc.basePath as BasePathMode;
  }
  if (doc.functions !== undefined) {
    const functions: Record<string, FunctionSetting> = {};
    for (const [name, f] of Object.entries(mapping(doc.functions, ['functions']))) {
      const at: ConfigPath = ['functions', name];
      if (!FUNCTION_NAME.test(name))
        fail(at, 'is not a Lambda function name (letters, digits, - and _)', true);
      functions[name] = functionSetting(f, at, baseDir);
    }
    out.functions = functions;
  }
  if (doc.stageVariables !== undefined)
    out.stageVariables = strings(doc.stageVariables, ['stageVariables']);
  if (doc.devProvider !== undefined) out.devProvider = flag(doc.devProvider, ['devProvider']);
  if (doc.page !== undefined) out.page = pageSetting(doc.page);
  if (doc.usagePlans !== undefined) out.usagePlans = doc.usagePlans;
  if (doc.websocket !== undefined) out.websocket = websocketSetting(doc.websocket);
  if (doc.assumptions !== undefined) {
    const a = mapping(doc.assumptions, ['assumptions'], Object.keys(ASSUMPTION_CHOICES));
    const chosen: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(a)) {
      const choices = ASSUMPTION_CHOICES[k as keyof Assumptions];
      if (!choices.includes(v as string | boolean))
        fail(['assumptions', k], `must be one of ${choices.join(', ')}`);
      chosen[k] = v;
    }
    out.assumptions = chosen as Partial<Assumptions>;
  }
  if (doc.watch !== undefined) out.watch = flag(doc.watch, ['watch']);
  if (doc.verbose !== undefined) out.verbose = flag(doc.verbose, ['verbose']);
  if (doc.cognito !== undefined) {
    out.cognito = strings(doc.cognito, ['cognito']);
    for (const [poolId, value] of Object.entries(out.cognito)) {
      const problem = cognitoTargetProblem(poolId, value);
      if (problem) fail(['cognito', poolId], problem, !isPoolId(poolId));
    }
  }
  return out;
}

/** `serve.page`: the sign-in page's settings, when not a plain true/false. */
function pageSetting(value: unknown): ServeSettings['page'] {
  if (typeof value === 'boolean') return value;
  const p = mapping(value, ['page'], SERVE_RULES.pageKeys);
  if (p.connectOrigins !== undefined && !Array.isArray(p.connectOrigins))
    fail(['page', 'connectOrigins'], 'must be a list of origins (https://HOST)');
  return {
    issuer: text(p.issuer, ['page', 'issuer']),
    clientId: text(p.clientId, ['page', 'clientId']),
    audience: p.audience === undefined ? undefined : text(p.audience, ['page', 'audience']),
    scope: p.scope === undefined ? undefined : text(p.scope, ['page', 'scope']),
    extraAuthorizeParams:
      p.extraAuthorizeParams === undefined
        ? undefined
        : strings(p.extraAuthorizeParams, ['page', 'extraAuthorizeParams']),
    connectOrigins: (p.connectOrigins as unknown[] | undefined)?.map((o, i) => {
      const origin = text(o, ['page', 'connectOrigins', i]);
      if (!CONNECT_ORIGIN.test(origin))
        fail(['page', 'connectOrigins', i], 'must be an origin: https://HOST[:PORT], no path');
      return origin;
    }),
  };
}

/** `serve.websocket`: the WebSocket API's path, identity source, authorizer and routes. */
function websocketSetting(value: unknown): ServeSettings['websocket'] {
  const w = mapping(value, ['websocket'], SERVE_RULES.websocketKeys);
  const path = w.path === undefined ? '/ws' : text(w.path, ['websocket', 'path']);
  if (!path.startsWith('/')) fail(['websocket', 'path'], 'must start with /');
  const identitySource =
    w.identitySource === undefined
      ? ['route.request.querystring.token']
      : Array.isArray(w.identitySource)
        ? w.identitySource.map((s, i) => text(s, ['websocket', 'identitySource', i]))
        : [text(w.identitySource, ['websocket', 'identitySource'])];
  for (const [i, s] of identitySource.entries())
    if (!IDENTITY_SOURCE.test(s))
      fail(
        ['websocket', 'identitySource', i],
        'must be route.request.header.NAME or route.request.querystring.NAME',
      );
  return {
    path,
    identitySource,
    authorizer:
      w.authorizer === undefined ? undefined : text(w.authorizer, ['websocket', 'authorizer']),
    routes: w.routes === undefined ? {} : strings(w.routes, ['websocket', 'routes']),
  };
}
