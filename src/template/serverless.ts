// A Serverless Framework service (serverless.yml) as the CloudFormation template `serverless
// package` would compile it, in the shape the template reader reads: its variables resolved, each
// function an AWS::Serverless::Function (code in the service folder, `${service}-${stage}-${name}`
// as Lambda names it), `http` events as the framework's AWS::ApiGateway resources, `httpApi` events
// as an HttpApi, and `resources.Resources` as written. What the framework would deploy that the
// local gateway does not run is a warning naming the key.
import type { KeyPath } from '../core/key-path.js';
import { TemplateIssue } from './issue.js';
import { compileHttpApi, type HttpApiEvent } from './serverless-http-api.js';
import { functionLogicalId, REST_API_ID } from './serverless-names.js';
import { compileRestApi, type HttpEvent } from './serverless-rest.js';
import { VariableResolver, type VariableSources } from './serverless-variables.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ServerlessOptions {
  readonly baseDir: string;
  /** `--stage`: wins over provider.stage, as `serverless --stage`. */
  readonly stage?: string;
  readonly sources: Omit<VariableSources, 'options' | 'stage' | 'warn'>;
}

export interface CompiledService {
  /** A SAM template (the Transform makes the reader read HttpApi events). */
  readonly template: Obj;
  readonly stage: string;
  /** The REST API's logical id when it has http events, for the stage. */
  readonly restApiId: string | undefined;
  readonly warnings: { path: KeyPath; message: string }[];
  /** A generated resource's place in serverless.yml. */
  readonly origin: (path: KeyPath) => KeyPath;
}

/** Content decides: a mapping with `service` and `provider` is a Serverless Framework service. */
export const isServerlessService = (doc: unknown): boolean =>
  isObj(doc) && 'service' in doc && 'provider' in doc;

const TOP_KEYS = new Set([
  'service',
  'provider',
  'functions',
  'resources',
  'custom',
  'frameworkVersion',
  'app',
  'org',
  'params',
  'stages',
  'configValidationMode',
  'variablesResolutionMode',
  'disabledDeprecations',
  'deprecationNotificationMode',
]);
/** Deployment settings that change nothing a request sees locally. */
const PROVIDER_QUIET = new Set([
  'name',
  'runtime',
  'stage',
  'region',
  'environment',
  'memorySize',
  'timeout',
  'apiGateway',
  'httpApi',
  'profile',
  'deploymentBucket',
  'stackName',
  'versionFunctions',
  'lambdaHashingVersion',
  'logRetentionInDays',
  'tags',
  'stackTags',
  'deploymentMethod',
  'architecture',
  'apiName',
  'description',
  'deploymentPrefix',
]);
const FUNCTION_KEYS = new Set([
  'handler',
  'name',
  'runtime',
  'environment',
  'timeout',
  'memorySize',
  'events',
  'description',
  'tags',
  'package',
  'architecture',
]);
const API_GATEWAY_KEYS = new Set([
  'apiKeys',
  'usagePlan',
  'binaryMediaTypes',
  'apiKeySourceType',
  'shouldStartNameWithService',
  'description',
  'metrics',
]);

export function compileService(raw: Obj, options: ServerlessOptions): CompiledService {
  const warnings: CompiledService['warnings'] = [];
  const warn = (path: KeyPath, message: string): void => void warnings.push({ path, message });
  let stage = options.stage;
  const resolver: VariableResolver = new VariableResolver(raw, {
    ...options.sources,
    options: options.stage ? { stage: options.stage } : {},
    stage: (): string => (stage ??= stageOf(resolver.at(['provider', 'stage']))),
    warn,
  });
  const config = resolver.resolveAll();
  stage ??= stageOf(isObj(config.provider) ? config.provider.stage : undefined);
  const provider = isObj(config.provider) ? config.provider : {};
  if (provider.name !== undefined && provider.name !== 'aws')
    throw new TemplateIssue(
      ['provider', 'name'],
      `is ${String(provider.name)}: only aws services are served`,
    );
  if (typeof config.service !== 'string' || !config.service)
    throw new TemplateIssue(['service'], 'must be the service name');
  checkKeys(config, provider, warn);
  if (provider.region !== undefined && provider.region !== options.sources.region)
    warn(
      ['provider', 'region'],
      `${String(provider.region)}: locally the ARNs, AWS_REGION and \${aws:region} say ${options.sources.region}`,
    );
  const functions = isObj(config.functions) ? config.functions : {};
  const resources: Obj = {};
  const origins = new Map<string, KeyPath>();
  const names = new Set(Object.keys(functions));
  const { http, httpApi } = eventsOf(functions, warn);
  compileRestApi(http, provider, {
    resources,
    origins,
    warn,
    service: config.service,
    stage,
    functionNames: names,
  });
  const samEvents = new Map<string, Obj>();
  compileHttpApi(httpApi, provider, {
    resources,
    origins,
    warn,
    functionNames: names,
    events: samEvents,
  });
  for (const [name, fn] of Object.entries(functions))
    addFunction(
      name,
      fn,
      {
        service: config.service,
        stage,
        provider,
        baseDir: options.baseDir,
        events: samEvents.get(name),
      },
      resources,
      origins,
      warn,
    );
  const user = mergeUserResources(config, resources, origins, warn);
  return {
    template: {
      AWSTemplateFormatVersion: '2010-09-09',
      Transform: 'AWS::Serverless-2016-10-31',
      ...(isObj(user.Conditions) ? { Conditions: user.Conditions } : {}),
      ...(isObj(user.Mappings) ? { Mappings: user.Mappings } : {}),
      Resources: resources,
    },
    stage,
    restApiId: resources[REST_API_ID] ? REST_API_ID : undefined,
    warnings,
    origin: (path) => originOf(origins, path),
  };
}

/** The service's own `resources:` merged over the compiled ones; returns them (Conditions, Mappings). */
function mergeUserResources(
  config: Obj,
  resources: Obj,
  origins: Map<string, KeyPath>,
  warn: (path: KeyPath, message: string) => void,
): Obj {
  const user = isObj(config.resources) ? config.resources : {};
  for (const key of Object.keys(user))
    if (!['Resources', 'Outputs', 'Conditions', 'Mappings'].includes(key))
      warn(['resources', key], 'is not read by the local gateway');
  for (const [id, r] of Object.entries(isObj(user.Resources) ? user.Resources : {})) {
    resources[id] = isObj(resources[id]) && isObj(r) ? mergeResource(resources[id] as Obj, r) : r;
    origins.set(id, ['resources', 'Resources', id]);
  }
  return user;
}

/** Where a compiled template's path came from in serverless.yml. */
function originOf(origins: ReadonlyMap<string, KeyPath>, path: KeyPath): KeyPath {
  if (path[0] !== 'Resources' || typeof path[1] !== 'string') return path;
  const property =
    path[2] === 'Properties' ? origins.get(`${path[1]}.${String(path[3])}`) : undefined;
  if (property) return [...property, ...path.slice(4)];
  const from = origins.get(path[1]);
  if (!from) return path;
  return from[0] === 'resources' ? [...from, ...path.slice(2)] : from;
}

function stageOf(value: unknown): string {
  const stage = value === undefined || value === null ? 'dev' : String(value);
  if (!/^[-_a-zA-Z0-9]+$/.test(stage))
    throw new TemplateIssue(
      ['provider', 'stage'],
      `${stage} is not a stage name (letters, digits, - and _)`,
    );
  return stage;
}

function checkKeys(config: Obj, provider: Obj, warn: (p: KeyPath, m: string) => void): void {
  for (const key of Object.keys(config))
    if (key === 'plugins')
      warn([key], `${JSON.stringify(config.plugins)}: plugins are not run by the local gateway`);
    else if (key === 'package')
      warn([key], 'is not applied: functions run from the service folder as it is');
    else if (!TOP_KEYS.has(key)) warn([key], 'is not read by the local gateway');
  checkStages(config.stages, warn);
  for (const key of Object.keys(provider))
    if (!PROVIDER_QUIET.has(key)) warn(['provider', key], 'is not emulated by the local gateway');
  const apiGateway = isObj(provider.apiGateway) ? provider.apiGateway : {};
  for (const key of Object.keys(apiGateway))
    if (!API_GATEWAY_KEYS.has(key))
      warn(['provider', 'apiGateway', key], 'is not emulated by the local gateway');
}

/** v4's per-stage settings: their params are read (${param:}); anything else, or a misshapen entry, is named. */
function checkStages(stages: unknown, warn: (p: KeyPath, m: string) => void): void {
  if (stages === undefined) return;
  if (!isObj(stages)) return warn(['stages'], 'must map stage names to their settings: not read');
  for (const [stage, settings] of Object.entries(stages)) {
    if (!isObj(settings)) {
      warn(['stages', stage], 'must be a map of settings (params, ...): not read');
      continue;
    }
    for (const [key, value] of Object.entries(settings))
      if (key !== 'params') warn(['stages', stage, key], 'is not read by the local gateway');
      else if (!isObj(value))
        warn(['stages', stage, key], 'must map parameter names to values: not read');
  }
}

function eventsOf(
  functions: Obj,
  warn: (p: KeyPath, m: string) => void,
): { http: HttpEvent[]; httpApi: HttpApiEvent[] } {
  const http: HttpEvent[] = [];
  const httpApi: HttpApiEvent[] = [];
  for (const [name, fn] of Object.entries(functions)) {
    const events = isObj(fn) && Array.isArray(fn.events) ? fn.events : [];
    events.forEach((e, i) => {
      const at: KeyPath = ['functions', name, 'events', i];
      const [type] = isObj(e) ? Object.keys(e) : [];
      if (type === 'http')
        http.push({ functionName: name, value: (e as Obj).http, at: [...at, 'http'] });
      else if (type === 'httpApi')
        httpApi.push({ functionName: name, value: (e as Obj).httpApi, at: [...at, 'httpApi'] });
      else
        warn(
          at,
          `${String(type)} events are not emulated: only http and httpApi events are served`,
        );
    });
  }
  return { http, httpApi };
}

interface FunctionContext {
  readonly service: string;
  readonly stage: string;
  readonly provider: Obj;
  readonly baseDir: string;
  readonly events: Obj | undefined;
}

function addFunction(
  name: string,
  fn: unknown,
  ctx: FunctionContext,
  resources: Obj,
  origins: Map<string, KeyPath>,
  warn: (p: KeyPath, m: string) => void,
): void {
  const at: KeyPath = ['functions', name];
  if (!isObj(fn)) throw new TemplateIssue(at, 'must be a mapping with a handler');
  if (fn.image !== undefined) {
    warn(
      [...at, 'image'],
      'container image functions are not run locally: their routes answer 502',
    );
    return;
  }
  if (typeof fn.handler !== 'string')
    throw new TemplateIssue([...at, 'handler'], 'is required (FILE.FUNCTION)');
  for (const key of Object.keys(fn))
    if (!FUNCTION_KEYS.has(key))
      warn([...at, key], 'is not a function setting the local gateway runs with: ignored');
  const env = {
    ...(isObj(ctx.provider.environment) ? ctx.provider.environment : {}),
    ...(isObj(fn.environment) ? fn.environment : {}),
  };
  // The framework's defaults (package/compile/functions.js): 1024 MB and 6 s, not Lambda's 128 and 3.
  const memory = fn.memorySize ?? ctx.provider.memorySize ?? 1024;
  const timeout = fn.timeout ?? ctx.provider.timeout ?? 6;
  const id = functionLogicalId(name);
  resources[id] = {
    Type: 'AWS::Serverless::Function',
    Properties: {
      FunctionName: typeof fn.name === 'string' ? fn.name : `${ctx.service}-${ctx.stage}-${name}`,
      CodeUri: ctx.baseDir,
      Handler: fn.handler,
      // The framework's default runtime (v3: nodejs14.x, no longer run; v4: nodejs20.x).
      Runtime: fn.runtime ?? ctx.provider.runtime ?? 'nodejs20.x',
      MemorySize: memory,
      Timeout: timeout,
      Environment: {
        Variables: Object.fromEntries(
          Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
        ),
      },
      ...(ctx.events ? { Events: ctx.events } : {}),
    },
  };
  origins.set(id, at);
  // A function setting's own place, or the provider's it inherits (for messages about its value).
  for (const [property, key] of PROPERTY_KEYS)
    origins.set(
      `${id}.${property}`,
      fn[key] !== undefined
        ? [...at, key]
        : ctx.provider[key] !== undefined
          ? ['provider', key]
          : at,
    );
}

const PROPERTY_KEYS = [
  ['Handler', 'handler'],
  ['Runtime', 'runtime'],
  ['MemorySize', 'memorySize'],
  ['Timeout', 'timeout'],
] as const;

/** `resources:` may extend a compiled resource (the framework merges them, the user's values last). */
function mergeResource(compiled: Obj, user: Obj): Obj {
  const out: Obj = { ...compiled };
  for (const [k, v] of Object.entries(user))
    out[k] = isObj(out[k]) && isObj(v) ? mergeResource(out[k] as Obj, v) : v;
  return out;
}
