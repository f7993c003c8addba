// A CloudFormation or SAM template as the local gateway runs it: one API as the OpenAPI document
// API Gateway would import (with x-amazon-apigateway-* extensions), its stage and usage plans, and
// the functions. What the template sets that is not emulated is a warning naming the resource and
// property; what cannot be resolved is a TemplateIssue at its key path.
import type { KeyPath } from '../core/key-path.js';
import { readFunctions, type TemplateFunction, type TemplateWarning } from './functions.js';
import { applyGlobals } from './globals.js';
import { TemplateIssue } from './issue.js';
import {
  IMPLICIT_HTTP_API,
  IMPLICIT_REST_API,
  readApiEvents,
  type ApiEvent,
} from './sam-events.js';
import { cfnHttpApi } from './cfn-http.js';
import { cfnRestApi, planLimits } from './cfn-rest.js';
import { samHttpBody } from './sam-http.js';
import { samRestBody } from './sam-rest.js';
import { createStack, type Stack } from './stack.js';
import { unusedParts } from './unused.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface TemplateUsagePlan {
  readonly name: string;
  readonly throttle?: { rateLimit: number; burstLimit: number };
  readonly quota?: { limit: number; period: string; offset?: number };
  readonly apiKeys: { name: string; value: string }[];
}

export interface TemplateApi {
  readonly logicalId: string;
  readonly flavour: 'rest' | 'http';
  /** The document API Gateway would import: what `tollgate serve --api` reads. */
  readonly document: Obj;
  readonly stageName: string | undefined;
  readonly stageVariables: Readonly<Record<string, string>>;
  /** In the `serve.usagePlans` shape. */
  readonly usagePlans: readonly TemplateUsagePlan[];
  /** Fields of `document` a template warning already names (an Api event's TimeoutInMillis). */
  readonly warned?: readonly KeyPath[];
}

export interface ReadOptions {
  /** The template's folder: CodeUri, DefinitionUri and AWS::Include locations are relative to it. */
  readonly baseDir: string;
  readonly parameterOverrides?: Readonly<Record<string, string>>;
  readonly stackName?: string;
  /** Which API to serve when the template has several (a logical id). */
  readonly api?: string;
  /** Reads a YAML or JSON file (DefinitionUri, AWS::Include), short tags as long forms. */
  readonly readDocument: (path: string, at: KeyPath) => unknown;
}

export interface TemplateApp {
  /** The API served; undefined when the template has none. */
  readonly api: TemplateApi | undefined;
  /** Logical ids of every API in the template. */
  readonly apiIds: readonly string[];
  /** By function name (what ARNs name). */
  readonly functions: ReadonlyMap<string, TemplateFunction>;
  readonly warnings: readonly TemplateWarning[];
}

const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';

/** Reads a parsed template; throws a TemplateIssue for what cannot be served. */
export function readCloudFormation(template: unknown, options: ReadOptions): TemplateApp {
  if (!isObj(template))
    throw new TemplateIssue([], 'must be a mapping (a CloudFormation template)');
  const transforms = [template.Transform].flat();
  const sam = transforms.includes(SAM_TRANSFORM);
  const resources = sam
    ? applyGlobals(isObj(template.Resources) ? template.Resources : {}, template.Globals)
    : template.Resources;
  const stack = createStack(
    { ...template, Resources: resources },
    {
      ...(options.parameterOverrides ? { parameterOverrides: options.parameterOverrides } : {}),
      ...(options.stackName ? { stackName: options.stackName } : {}),
    },
  );
  const warnings: TemplateWarning[] = [];
  const functions = readFunctions(stack, options.baseDir, warnings);
  unusedParts(stack, warnings);
  const events = sam ? readApiEvents(stack) : [];
  const kinds = apiIdsOf(stack, events, warnings);
  const apis = [...kinds.keys()];
  const chosen = options.api ?? apis[0];
  if (options.api !== undefined && !apis.includes(options.api))
    throw new TemplateIssue(
      ['Resources'],
      `has no API ${options.api} (APIs: ${apis.join(', ') || 'none'})`,
    );
  for (const other of apis.filter((id) => id !== chosen))
    warnings.push({
      path: other.startsWith('Serverless') ? ['Resources'] : ['Resources', other],
      message: `API ${other} is not served: one API per gateway (--template-api ${other} serves it)`,
    });
  const kind = chosen === undefined ? undefined : kinds.get(chosen);
  const api =
    chosen === undefined
      ? undefined
      : kind === 'RestApi' || kind === 'HttpApiV2'
        ? readCfnApi(chosen, kind, stack, warnings)
        : readSamApi(
            chosen,
            kind as ApiEvent['kind'],
            stack,
            events,
            template.Globals,
            options,
            warnings,
          );
  return { api, apiIds: apis, functions, warnings };
}

type ApiKind = ApiEvent['kind'] | 'RestApi' | 'HttpApiV2';

const API_TYPES: Readonly<Record<string, ApiKind>> = {
  'AWS::Serverless::Api': 'Api',
  'AWS::Serverless::HttpApi': 'HttpApi',
  'AWS::ApiGateway::RestApi': 'RestApi',
  'AWS::ApiGatewayV2::Api': 'HttpApiV2',
};

/** The APIs SAM would create: explicit ones, then the implicit ones events ask for. */
function apiIdsOf(
  stack: Stack,
  events: readonly ApiEvent[],
  warnings: TemplateWarning[],
): Map<string, ApiKind> {
  const ids = new Map<string, ApiKind>();
  for (const [id, r] of stack.resources) {
    if (!API_TYPES[r.Type] || !stack.exists(id)) continue;
    const protocol = r.Properties.ProtocolType;
    if (API_TYPES[r.Type] === 'HttpApiV2' && protocol === 'WEBSOCKET')
      warnings.push({
        path: ['Resources', id, 'Properties', 'ProtocolType'],
        message: 'WEBSOCKET APIs are not served from templates (serve.websocket in a config file)',
      });
    else ids.set(id, API_TYPES[r.Type]!);
  }
  for (const e of events) {
    const implicit = e.kind === 'Api' ? IMPLICIT_REST_API : IMPLICIT_HTTP_API;
    if (e.apiId === implicit) ids.set(implicit, e.kind);
    else if (ids.get(e.apiId) !== e.kind)
      throw new TemplateIssue(
        [...e.at, e.kind === 'Api' ? 'RestApiId' : 'ApiId'],
        `names ${e.apiId}, which is not an ${e.kind === 'Api' ? 'AWS::Serverless::Api' : 'AWS::Serverless::HttpApi'}`,
      );
  }
  return ids;
}

const EMULATED: Readonly<Record<ApiEvent['kind'], ReadonlySet<string>>> = {
  Api: new Set([
    'StageName',
    'Variables',
    'DefinitionBody',
    'DefinitionUri',
    'Auth',
    'Cors',
    'GatewayResponses',
    'BinaryMediaTypes',
    'Name',
    'Description',
    'OpenApiVersion',
    'Tags',
    'TracingEnabled',
  ]),
  HttpApi: new Set([
    'StageName',
    'StageVariables',
    'DefinitionBody',
    'DefinitionUri',
    'Auth',
    'CorsConfiguration',
    'Name',
    'Description',
    'Tags',
  ]),
};

function readSamApi(
  id: string,
  kind: ApiEvent['kind'],
  stack: Stack,
  events: readonly ApiEvent[],
  globals: unknown,
  options: ReadOptions,
  warnings: TemplateWarning[],
): TemplateApi {
  const resource = stack.resources.get(id);
  const section = kind === 'Api' ? 'Api' : 'HttpApi';
  // The implicit API takes Globals (SAM's ServerlessRestApi has the stage Prod, the HTTP API $default).
  const implicit = { StageName: kind === 'Api' ? 'Prod' : '$default' };
  const raw: Obj = resource
    ? resource.Properties
    : isObj(globals) && isObj(globals[section])
      ? { ...implicit, ...globals[section] }
      : implicit;
  const at: KeyPath = resource ? ['Resources', id, 'Properties'] : ['Globals', section];
  checkDefaultAuthorizer(raw, at, stack);
  const { DefinitionBody: body, ...rest } = raw;
  const properties = (stack.resolve(rest, at) ?? {}) as Obj;
  for (const key of Object.keys(properties))
    if (!EMULATED[kind].has(key))
      warnings.push({ path: [...at, key], message: 'is not emulated by the local gateway' });
  const input = {
    apiId: id,
    properties,
    definition: readDefinition(body, properties.DefinitionUri, stack, at, options),
    events: events.filter((e) => e.kind === kind && e.apiId === id),
    stack,
    warnings,
    warned: [] as KeyPath[],
  };
  const variables = properties[kind === 'Api' ? 'Variables' : 'StageVariables'];
  return {
    logicalId: id,
    flavour: kind === 'Api' ? 'rest' : 'http',
    document: kind === 'Api' ? samRestBody(input) : samHttpBody(input),
    stageName: typeof properties.StageName === 'string' ? properties.StageName : undefined,
    stageVariables: Object.fromEntries(
      Object.entries(isObj(variables) ? variables : {}).map(([k, v]) => [k, String(v)]),
    ),
    usagePlans: kind === 'Api' ? usagePlansOf(id, properties, at) : [],
    warned: input.warned,
  };
}

/**
 * SAM resolves only parameters in Auth.DefaultAuthorizer (a Ref, a Fn::Sub); its transform refuses
 * anything else, Fn::If included ("DefaultAuthorizer is not a string"), so sam deploy fails.
 */
function checkDefaultAuthorizer(raw: Obj, at: KeyPath, stack: Stack): void {
  const value = isObj(raw.Auth) ? raw.Auth.DefaultAuthorizer : undefined;
  if (value === undefined || typeof value === 'string') return;
  const [intrinsic, arg] = isObj(value) ? (Object.entries(value)[0] ?? []) : [];
  if (intrinsic === 'Fn::Sub' && Object.keys(value as Obj).length === 1) return;
  if (intrinsic === 'Ref' && typeof arg === 'string' && stack.context.parameters.has(arg)) return;
  throw new TemplateIssue(
    [...at, 'Auth', 'DefaultAuthorizer'],
    "must be an authorizer's name, or a Ref to a parameter: SAM's transform refuses anything else, Fn::If included, and sam deploy fails",
  );
}

function readDefinition(
  body: unknown,
  uri: unknown,
  stack: Stack,
  at: KeyPath,
  options: ReadOptions,
): Obj | undefined {
  if (body !== undefined) {
    const path = [...at, 'DefinitionBody'];
    const include = isObj(body) && isObj(body['Fn::Transform']) ? body['Fn::Transform'] : undefined;
    let value: unknown = body;
    if (include) {
      const params = isObj(include.Parameters) ? include.Parameters : {};
      const location = stack.resolve(params.Location, [
        ...path,
        'Fn::Transform',
        'Parameters',
        'Location',
      ]);
      if (
        include.Name !== 'AWS::Include' ||
        typeof location !== 'string' ||
        location.startsWith('s3://')
      )
        throw new TemplateIssue(
          [...path, 'Fn::Transform'],
          'must be AWS::Include of a local file (Parameters.Location)',
        );
      value = options.readDocument(location, [...path, 'Fn::Transform', 'Parameters', 'Location']);
    }
    const resolved = stack.resolve(value, path);
    if (!isObj(resolved)) throw new TemplateIssue(path, 'must be an OpenAPI document (a mapping)');
    return resolved;
  }
  if (uri === undefined) return undefined;
  if (typeof uri !== 'string' || uri.startsWith('s3://'))
    throw new TemplateIssue(
      [...at, 'DefinitionUri'],
      'must be a local file here (an S3 location cannot be read locally)',
    );
  // CloudFormation does not resolve intrinsics in a DefinitionUri document (SAM's documentation).
  const doc = options.readDocument(uri, [...at, 'DefinitionUri']);
  if (!isObj(doc))
    throw new TemplateIssue([...at, 'DefinitionUri'], 'must name an OpenAPI document');
  return doc;
}

/** Plain CloudFormation: an AWS::ApiGateway::RestApi or an AWS::ApiGatewayV2::Api (HTTP). */
function readCfnApi(
  id: string,
  kind: 'RestApi' | 'HttpApiV2',
  stack: Stack,
  warnings: TemplateWarning[],
): TemplateApi {
  const api =
    kind === 'RestApi'
      ? cfnRestApi(id, stack, warnings, localApiKey)
      : { ...cfnHttpApi(id, stack, warnings), plans: [] };
  return {
    logicalId: id,
    flavour: kind === 'RestApi' ? 'rest' : 'http',
    document: api.document,
    stageName: api.stageName,
    stageVariables: api.stageVariables,
    usagePlans: api.plans,
  };
}

/** SAM's Auth.UsagePlan: one plan for the API (PER_API or SHARED) with a key, as SAM creates them. */
function usagePlansOf(id: string, properties: Obj, at: KeyPath): TemplateUsagePlan[] {
  const auth = isObj(properties.Auth) ? properties.Auth : {};
  const plan = isObj(auth.UsagePlan) ? auth.UsagePlan : undefined;
  if (!plan || plan.CreateUsagePlan === 'NONE') return [];
  if (!['PER_API', 'SHARED'].includes(String(plan.CreateUsagePlan)))
    throw new TemplateIssue(
      [...at, 'Auth', 'UsagePlan', 'CreateUsagePlan'],
      'must be PER_API, SHARED or NONE',
    );
  const shared = plan.CreateUsagePlan === 'SHARED';
  return [
    {
      name: shared ? 'ServerlessUsagePlan' : `${id}UsagePlan`,
      ...planLimits(plan),
      apiKeys: [localApiKey(shared ? 'ServerlessApiKey' : `${id}ApiKey`)],
    },
  ];
}

/** API Gateway generates the key's value at deployment; locally it is fixed, and printed at start. */
export function localApiKey(name: string): { name: string; value: string } {
  return { name, value: `local-${name}-tollgate`.replace(/[^A-Za-z0-9-]/g, '-').padEnd(20, '0') };
}
