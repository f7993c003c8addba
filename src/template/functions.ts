// The template's Lambda functions as the local gateway runs them: where the code is (SAM's CodeUri,
// or the cdk.out asset an AWS::Lambda::Function's Code names), the handler, runtime, memory and
// environment. Code Tollgate cannot run locally is a warning naming the resource and property.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { KeyPath } from '../core/key-path.js';
import { TemplateIssue, UnsetParameterIssue } from './issue.js';
import type { Resource, Stack } from './stack.js';

export interface TemplateFunction {
  readonly logicalId: string;
  /** The deployed function's name (FunctionName, else the logical id): what ARNs name. */
  readonly name: string;
  /** The folder (or .zip) holding the code, absolute. */
  readonly codePath: string;
  /** Lambda's handler setting, `MODULE.EXPORT` relative to codePath. */
  readonly handler: string;
  readonly runtime: string;
  readonly memorySize: number | undefined;
  readonly timeout: number | undefined;
  readonly environment: Readonly<Record<string, string>>;
  /** Code not run locally: variables left out because a parameter they need has no value. */
  readonly unsetVariables?: readonly string[];
}

export interface TemplateWarning {
  readonly path: KeyPath;
  readonly message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every function of the stack; `baseDir` is the template's folder. */
export function readFunctions(
  stack: Stack,
  baseDir: string,
  warnings: TemplateWarning[],
): Map<string, TemplateFunction> {
  const out = new Map<string, TemplateFunction>();
  for (const [id, r] of stack.resources) {
    if (r.Type !== 'AWS::Serverless::Function' && r.Type !== 'AWS::Lambda::Function') continue;
    if (!stack.exists(id)) continue;
    const fn = readFunction(id, r, stack, baseDir, warnings);
    if (fn) out.set(fn.name, fn);
  }
  return out;
}

function readFunction(
  id: string,
  r: Resource,
  stack: Stack,
  baseDir: string,
  warnings: TemplateWarning[],
): TemplateFunction | undefined {
  const at = (key: string): KeyPath => ['Resources', id, 'Properties', key];
  const prop = (key: string): unknown => stack.resolve(r.Properties[key], at(key));
  const warn = (key: string, message: string): void =>
    void warnings.push({ path: at(key), message });
  if (prop('PackageType') === 'Image') {
    warn('PackageType', 'container image functions are not run locally: their routes answer 502');
    return undefined;
  }
  // Every property is resolved first: an unresolvable one is an error even when the code is missing.
  const handler = prop('Handler');
  const runtime = prop('Runtime');
  const memorySize = wholeNumber(prop('MemorySize'), at('MemorySize'), 128, 10240);
  const timeout = wholeNumber(prop('Timeout'), at('Timeout'), 1, 900);
  const { environment, unset } = readEnvironment(
    r,
    stack,
    at('Environment'),
    isZipCode(r, stack, at),
  );
  const codePath = codeLocation(id, r, stack, baseDir, warnings);
  if (codePath === undefined) return undefined;
  if (typeof handler !== 'string' || typeof runtime !== 'string') {
    warn(
      typeof handler !== 'string' ? 'Handler' : 'Runtime',
      'is missing: the function is not run locally',
    );
    return undefined;
  }
  const name = stack.context.ref(id)!;
  for (const [key, message] of UNEMULATED) if (r.Properties[key] !== undefined) warn(key, message);
  return {
    logicalId: id,
    name,
    codePath,
    handler,
    runtime,
    memorySize,
    timeout,
    environment,
    ...(unset.length ? { unsetVariables: unset } : {}),
  };
}

const WITHOUT_IT = 'is not emulated locally: the function runs without it';

/** Function settings that change what a request could see, and that the local gateway does not run. */
const UNEMULATED: readonly (readonly [string, string])[] = [
  ['Layers', WITHOUT_IT],
  ['VpcConfig', WITHOUT_IT],
  ['FileSystemConfigs', WITHOUT_IT],
  ['SnapStart', WITHOUT_IT],
  [
    'ReservedConcurrentExecutions',
    'is not emulated locally: invocations are not limited (nor throttled at 0)',
  ],
  ['ProvisionedConcurrencyConfig', 'is not emulated locally: the first invocation starts cold'],
  ['FunctionUrlConfig', 'is not served locally: only the API routes reach the function'],
];

/** Is the function's code a .zip (never run locally: Tollgate's own authorizer stands for it)? */
function isZipCode(r: Resource, stack: Stack, at: (key: string) => KeyPath): boolean {
  if (r.Type !== 'AWS::Serverless::Function') return false;
  const uri = stack.resolve(r.Properties.CodeUri, at('CodeUri'));
  return typeof uri === 'string' && !uri.startsWith('s3://') && uri.endsWith('.zip');
}

/**
 * Environment.Variables as strings. For code that is not run locally (a .zip), a variable whose
 * value needs a parameter without a value is left out (named in `unset`) rather than an error:
 * Tollgate's own authorizer stands for that function, and without the issuer parameters the
 * development provider does.
 */
function readEnvironment(
  r: Resource,
  stack: Stack,
  path: KeyPath,
  lenient: boolean,
): { environment: Record<string, string>; unset: string[] } {
  const raw = r.Properties.Environment;
  const environment: Record<string, string> = {};
  const unset: string[] = [];
  const strict = (): unknown => stack.resolve(raw, path);
  let env: unknown;
  try {
    env = strict();
  } catch (error) {
    if (!lenient || !(error instanceof UnsetParameterIssue) || !isObj(raw) || !isObj(raw.Variables))
      throw error;
    for (const [k, v] of Object.entries(raw.Variables))
      try {
        const value = stack.resolve(v, [...path, 'Variables', k]);
        if (value !== undefined) environment[k] = String(value);
      } catch (inner) {
        if (!(inner instanceof UnsetParameterIssue)) throw inner;
        unset.push(k);
      }
    return { environment, unset };
  }
  const variables = isObj(env) && isObj(env.Variables) ? env.Variables : {};
  for (const [k, v] of Object.entries(variables)) environment[k] = String(v);
  return { environment, unset };
}

/** A number property (a Ref to a Number parameter may give "5"), within Lambda's bounds. */
function wholeNumber(value: unknown, path: KeyPath, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max)
    throw new TemplateIssue(
      path,
      `must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  return n;
}

/** The local folder or zip of the code: SAM's CodeUri, or a CDK asset (`aws:asset:path`). */
function codeLocation(
  id: string,
  r: Resource,
  stack: Stack,
  baseDir: string,
  warnings: TemplateWarning[],
): string | undefined {
  const local = (p: string, key: KeyPath): string | undefined => {
    const full = isAbsolute(p) ? p : resolve(baseDir, p);
    // A .zip is never run locally (built or not yet): Tollgate's own authorizer stands for it.
    if (full.endsWith('.zip') || (existsSync(full) && statSync(full).isDirectory())) return full;
    warnings.push({ path: key, message: `names ${p}, which is not a folder here` });
    return undefined;
  };
  const props = ['Resources', id, 'Properties'];
  if (r.Type === 'AWS::Serverless::Function') {
    const uri = stack.resolve(r.Properties.CodeUri, [...props, 'CodeUri']);
    if (typeof uri === 'string' && !uri.startsWith('s3://'))
      return local(uri, [...props, 'CodeUri']);
    const key = r.Properties.InlineCode !== undefined ? 'InlineCode' : 'CodeUri';
    warnings.push({
      path: [...props, key],
      message: 'is not code on this machine: the function is not run locally',
    });
    return undefined;
  }
  const asset = r.Metadata?.['aws:asset:path'];
  if (typeof asset === 'string') return local(asset, ['Resources', id, 'Metadata']);
  warnings.push({
    path: [...props, 'Code'],
    message:
      'is not code on this machine (no aws:asset:path metadata, as cdk synth writes): the function is not run locally',
  });
  return undefined;
}
