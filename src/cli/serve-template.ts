// `tollgate serve --template FILE`: the SAM or CloudFormation template's API, functions, stage and
// usage plans in the shapes `serve` runs (the document as --api gives it, serve.functions entries).
import { stringify } from 'yaml';
import { UsageError } from '../core/errors.js';
import { ApiDocumentError, parseApi, type ApiDefinition } from '../gateway/openapi.js';
import {
  DEFAULT_RUNTIME,
  isNodeRuntime,
  NODE_RUNTIMES,
  RuntimeError,
} from '../gateway/lambda-runtime.js';
import {
  DEFAULT_PYTHON_RUNTIME,
  isPythonRuntime,
  PYTHON_RUNTIMES,
} from '../gateway/python-runtime.js';
import type { BasePathMode } from '../gateway/base-path.js';
import { TemplateError } from '../template/errors.js';
import { loadTemplate } from '../template/load-template.js';
import type { TemplateUsagePlan } from '../template/read-template.js';
import { functionSpec, type FunctionSetting } from './serve-settings.js';

/** Lambda's Timeout when a function sets none (docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html). */
const LAMBDA_DEFAULT_TIMEOUT_SECONDS = 3;

export interface TemplateServe {
  readonly api: ApiDefinition;
  readonly functions: Map<string, FunctionSetting>;
  readonly usagePlans: readonly TemplateUsagePlan[];
  /**
   * Functions whose code is a .zip (not run locally), by name: their Environment, which Tollgate's
   * own authorizer standing for one of them reads (TOKEN_ISSUER, AUDIENCE... as deployed).
   */
  readonly ownEnvironments: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /**
   * Functions whose runtime is not run locally, by name: why, and what to change. Their invocations
   * fail (a proxy route 502, an authorizer 500) with that reason in the log.
   */
  readonly notRun: ReadonlyMap<string, string>;
  readonly stage: string | undefined;
  readonly stageVariables: Readonly<Record<string, string>>;
  /** Lines for the start-up output: warnings, and the local API keys of usage plans. */
  readonly lines: readonly string[];
}

export interface TemplateFlags {
  readonly template: string;
  readonly parameterOverrides: readonly string[] | undefined;
  /** `--param key=value`, as the Serverless Framework's CLI takes it. */
  readonly params?: readonly string[] | undefined;
  readonly envVars: string | undefined;
  readonly api: string | undefined;
  readonly basePath: BasePathMode;
  /** `--stage`: a serverless.yml's stage. */
  readonly stage?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * `--param key=value` as the framework reads it: the key up to the first `=`, the rest the value
 * (trailing spaces cut). The value is never echoed: it may be a secret.
 */
function parseParams(values: readonly string[]): Record<string, string> {
  // No prototype: `--param __proto__=x` is a parameter like any other.
  const params: Record<string, string> = Object.create(null);
  for (const item of values) {
    const m = /^(?<key>[^=]+)=(?<value>.+)$/s.exec(item);
    if (!m)
      throw new UsageError(
        '--param must be KEY=VALUE, with a key and a value (--param "domain=myapp.com")',
      );
    params[m.groups!.key!] = m.groups!.value!.trimEnd();
  }
  return params;
}

/** `K=V`, several in one argument (`"A=1 B=2"`), or SAM's `ParameterKey=K,ParameterValue=V`. */
export function parseParameterOverrides(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const long = /ParameterKey=([^,\s]+),ParameterValue=(\S*)/g;
    const pairs = value.includes('ParameterKey=')
      ? [...value.matchAll(long)].map((m) => [m[1]!, m[2]!] as const)
      : value
          .split(/\s+/)
          .filter(Boolean)
          .map((pair) => {
            const eq = pair.indexOf('=');
            if (eq <= 0)
              throw new UsageError(
                `--parameter-overrides must be KEY=VALUE, got ${JSON.stringify(pair)}`,
              );
            return [pair.slice(0, eq), pair.slice(eq + 1)] as const;
          });
    for (const [k, v] of pairs) out[k] = v;
  }
  return out;
}

export function serveTemplate(flags: TemplateFlags): TemplateServe {
  let loaded;
  try {
    loaded = loadTemplate(flags.template, {
      ...(flags.parameterOverrides
        ? { parameterOverrides: parseParameterOverrides(flags.parameterOverrides) }
        : {}),
      ...(flags.envVars ? { envVarsFile: flags.envVars } : {}),
      ...(flags.api ? { api: flags.api } : {}),
      ...(flags.stage ? { stage: flags.stage } : {}),
      ...(flags.params?.length ? { params: parseParams(flags.params) } : {}),
      ...(flags.env ? { env: flags.env } : {}),
    });
  } catch (error) {
    if (error instanceof TemplateError) throw new UsageError(error.message);
    throw error;
  }
  const api = loaded.api;
  if (!api)
    throw new UsageError(
      `${flags.template}: has no API to serve (an AWS::Serverless::Api or HttpApi, a function's Api event, an AWS::ApiGateway::RestApi or an AWS::ApiGatewayV2::Api)`,
    );
  const deployer = loaded.serverless ? 'the Serverless Framework' : 'SAM';
  const label = `${flags.template} (${api.logicalId}, the OpenAPI document ${deployer} deploys)`;
  let definition: ApiDefinition;
  try {
    definition = parseApi(stringify(api.document), label, { basePath: flags.basePath });
  } catch (error) {
    if (error instanceof ApiDocumentError) throw new UsageError(error.message);
    throw error;
  }
  const lines = loaded.warningLines.map((w) => `tollgate: ${w}`);
  const { functions, ownEnvironments, notRun } = templateFunctions(loaded, flags.template, lines);
  for (const plan of api.usagePlans)
    for (const key of plan.apiKeys)
      lines.push(`tollgate: usage plan ${plan.name}: local API key ${key.name} = ${key.value}`);
  return {
    api: definition,
    functions,
    usagePlans: api.usagePlans,
    ownEnvironments,
    notRun,
    stage: api.stageName,
    stageVariables: api.stageVariables,
    lines,
  };
}

type Loaded = ReturnType<typeof loadTemplate>;

/** The template's functions as serve runs them; what cannot run is named in `lines`. */
function templateFunctions(
  loaded: Loaded,
  template: string,
  lines: string[],
): Pick<TemplateServe, 'functions' | 'ownEnvironments' | 'notRun'> {
  const functions = new Map<string, FunctionSetting>();
  const ownEnvironments = new Map<string, Readonly<Record<string, string>>>();
  const notRun = new Map<string, string>();
  for (const [name, fn] of loaded.functions) {
    // A Serverless Framework user knows the deployed name (service-stage-function).
    const label = loaded.serverless ? name : fn.logicalId;
    const runtime = fn.runtime;
    if (!isNodeRuntime(runtime) && !isPythonRuntime(runtime)) {
      const reason = unsupportedRuntime(label, runtime);
      notRun.set(name, reason);
      lines.push(`tollgate: warning: ${reason}: its routes answer 502 (500 as an authorizer)`);
      continue;
    }
    if (fn.codePath.endsWith('.zip')) {
      ownEnvironments.set(name, fn.environment);
      const unset = fn.unsetVariables?.length
        ? ` (${fn.unsetVariables.join(', ')} unset: their parameters have no value; --parameter-overrides sets them)`
        : '';
      lines.push(
        `tollgate: function ${fn.logicalId}: a .zip, not run locally: as an authorizer, Tollgate's own stands for it, with its Environment${unset}`,
      );
      continue;
    }
    try {
      const spec = functionSpec(fn.handler, fn.codePath, {
        environment: fn.environment,
        runtime,
        ...(fn.memorySize !== undefined ? { memoryMb: fn.memorySize } : {}),
      });
      // Lambda's default Timeout is 3 s (SAM's and CloudFormation's alike).
      functions.set(name, {
        ...spec,
        timeoutSeconds: fn.timeout ?? LAMBDA_DEFAULT_TIMEOUT_SECONDS,
      });
    } catch (error) {
      if (error instanceof RuntimeError)
        throw new UsageError(`${template}: function ${label}: ${error.message}`);
      throw error;
    }
  }
  return { functions, ownEnvironments, notRun };
}

/** Why a runtime is not run, and the runtime of its language to write instead. */
function unsupportedRuntime(label: string, runtime: string): string {
  const family = runtime.startsWith('python')
    ? { runs: PYTHON_RUNTIMES, instead: DEFAULT_PYTHON_RUNTIME }
    : runtime.startsWith('nodejs')
      ? { runs: NODE_RUNTIMES, instead: DEFAULT_RUNTIME }
      : undefined;
  const head = `function ${label}: runtime ${runtime} is not run locally`;
  if (!family) return `${head} (Node.js and Python runtimes only)`;
  return `${head} (${family.runs.join(', ')} are): set runtime ${family.instead} to run it here`;
}
