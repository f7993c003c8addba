// The functions' `http` events compiled as the Serverless Framework compiles them into
// CloudFormation (lib/plugins/aws/package/compile/events/api-gateway): one AWS::ApiGateway::RestApi
// `ApiGatewayRestApi`, a Resource per path part, a Method per event (AWS_PROXY), an Authorizer per
// authorizer name, an OPTIONS MOCK method per path with `cors`, and the usage plan, API keys and
// plan keys of `provider.apiGateway`. The CloudFormation reader then reads them with the user's
// own `resources:` (gateway responses that `Ref: ApiGatewayRestApi`).
import type { KeyPath } from '../core/key-path.js';
import { TemplateIssue } from './issue.js';
import {
  authorizerLogicalId,
  functionLogicalId,
  methodLogicalId,
  nameFromArn,
  REST_API_ID,
  resourceLogicalId,
} from './serverless-names.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface HttpEvent {
  readonly functionName: string;
  readonly value: unknown;
  readonly at: KeyPath;
}

export interface Compiled {
  readonly resources: Obj;
  /** Where in serverless.yml each generated resource comes from, for messages. */
  readonly origins: Map<string, KeyPath>;
  readonly warn: (path: KeyPath, message: string) => void;
}

export interface RestContext extends Compiled {
  readonly service: string;
  readonly stage: string;
  readonly functionNames: ReadonlySet<string>;
}

/** The framework's default for `cors: true` (validate.js getCors; http-api.js alike in v3). */
export const CORS_HEADERS = [
  'Content-Type',
  'X-Amz-Date',
  'Authorization',
  'X-Api-Key',
  'X-Amz-Security-Token',
  'X-Amz-User-Agent',
  'X-Amzn-Trace-Id',
];

const HANDLED_KEYS = new Set([
  'path',
  'method',
  'cors',
  'private',
  'authorizer',
  'integration',
  'operationId',
  'description',
  'summary',
]);

interface Cors {
  origin: string | undefined;
  origins: string[];
  headers: string[];
  methods: string[];
  allowCredentials: boolean;
  maxAge?: unknown;
  cacheControl?: unknown;
}

const union = (a: readonly string[], b: readonly string[]): string[] => [...new Set([...a, ...b])];

/** Compiles every http event; nothing when there is none. */
export function compileRestApi(
  events: readonly HttpEvent[],
  provider: Obj,
  ctx: RestContext,
): void {
  const apiGateway = isObj(provider.apiGateway) ? provider.apiGateway : {};
  if (!events.length && apiGateway.apiKeys === undefined) return;
  ctx.resources[REST_API_ID] = {
    Type: 'AWS::ApiGateway::RestApi',
    Properties: {
      Name: `${ctx.stage}-${ctx.service}`,
      ...(Array.isArray(apiGateway.binaryMediaTypes)
        ? { BinaryMediaTypes: apiGateway.binaryMediaTypes }
        : {}),
      ...(apiGateway.apiKeySourceType !== undefined
        ? { ApiKeySourceType: String(apiGateway.apiKeySourceType).toUpperCase() }
        : {}),
    },
  };
  ctx.origins.set(REST_API_ID, ['provider']);
  const preflight = new Map<string, Cors>();
  for (const event of events) {
    const http = normalized(event, ctx);
    addResources(http.path, event.at, ctx);
    addMethod(http, event, ctx);
    if (http.cors !== undefined && http.cors !== false) {
      const cors = corsOf(http.cors, http.method, [...event.at, 'cors']);
      const known = preflight.get(http.path);
      preflight.set(http.path, {
        ...cors,
        headers: union(cors.headers, known?.headers ?? []),
        methods: union(cors.methods, known?.methods ?? []),
        origins: union(cors.origins, known?.origins ?? []),
        allowCredentials: Boolean(known?.allowCredentials) || cors.allowCredentials,
        ...(cors.maxAge === undefined && known ? { maxAge: known.maxAge } : {}),
        ...(cors.cacheControl === undefined && known ? { cacheControl: known.cacheControl } : {}),
      });
    }
  }
  for (const [path, cors] of preflight) addPreflight(path, cors, ctx);
  compileUsagePlans(apiGateway, ctx);
}

interface Http {
  readonly path: string;
  readonly method: string;
  readonly cors: unknown;
  readonly private: boolean;
  readonly authorizer: unknown;
}

function normalized(event: HttpEvent, ctx: RestContext): Http {
  const raw =
    typeof event.value === 'string'
      ? (([method, path]) => ({ method, path }))(event.value.trim().split(/\s+/))
      : event.value;
  if (!isObj(raw) || typeof raw.path !== 'string' || typeof raw.method !== 'string')
    throw new TemplateIssue(event.at, 'must give a path and a method (or "METHOD path")');
  for (const key of Object.keys(raw))
    if (!HANDLED_KEYS.has(key))
      ctx.warn([...event.at, key], 'is not emulated by the local gateway');
  const integration = String(raw.integration ?? 'lambda-proxy')
    .toUpperCase()
    .replace('-', '_');
  if (integration !== 'LAMBDA_PROXY' && integration !== 'AWS_PROXY')
    ctx.warn(
      [...event.at, 'integration'],
      `${String(raw.integration)} is not emulated: the route is served as lambda-proxy`,
    );
  return {
    path: raw.path.replace(/^\//, '').replace(/\/$/, ''),
    method: raw.method.toLowerCase(),
    cors: raw.cors,
    private: raw.private === true,
    authorizer: raw.authorizer,
  };
}

/** One AWS::ApiGateway::Resource per path part, each under its parent. */
function addResources(path: string, at: KeyPath, ctx: RestContext): void {
  if (!path) return;
  const parts = path.split('/');
  for (let i = 1; i <= parts.length; i++) {
    const sub = parts.slice(0, i).join('/');
    const id = resourceLogicalId(sub);
    if (ctx.resources[id]) continue;
    ctx.resources[id] = {
      Type: 'AWS::ApiGateway::Resource',
      Properties: {
        ParentId: parentOf(parts.slice(0, i - 1).join('/')),
        PathPart: parts[i - 1],
        RestApiId: { Ref: REST_API_ID },
      },
    };
    ctx.origins.set(id, at);
  }
}

const parentOf = (path: string): unknown =>
  path ? { Ref: resourceLogicalId(path) } : { 'Fn::GetAtt': [REST_API_ID, 'RootResourceId'] };

function addMethod(http: Http, event: HttpEvent, ctx: RestContext): void {
  const id = methodLogicalId(http.path, http.method);
  const fn = functionLogicalId(event.functionName);
  const properties: Obj = {
    HttpMethod: http.method === 'any' ? 'ANY' : http.method.toUpperCase(),
    RequestParameters: {},
    ResourceId: parentOf(http.path),
    RestApiId: { Ref: REST_API_ID },
    ApiKeyRequired: http.private,
    AuthorizationType: 'NONE',
    Integration: {
      IntegrationHttpMethod: 'POST',
      Type: 'AWS_PROXY',
      Uri: lambdaUri({ 'Fn::GetAtt': [fn, 'Arn'] }),
    },
    MethodResponses: [],
  };
  if (http.authorizer !== undefined)
    Object.assign(properties, authorization(http.authorizer, [...event.at, 'authorizer'], ctx));
  ctx.resources[id] = { Type: 'AWS::ApiGateway::Method', Properties: properties };
  ctx.origins.set(id, event.at);
}

const lambdaUri = (arn: unknown): Obj => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':apigateway:',
      { Ref: 'AWS::Region' },
      ':lambda:path/2015-03-31/functions/',
      arn,
      '/invocations',
    ],
  ],
});

const COGNITO_ARN = /^arn:aws[\w-]*:cognito-idp:/;

/** The method's authorization, and its AWS::ApiGateway::Authorizer (validate.js, authorizers.js). */
function authorization(value: unknown, at: KeyPath, ctx: RestContext): Obj {
  const a: Obj =
    typeof value === 'string'
      ? { [value.includes(':') ? 'arn' : 'name']: value }
      : isObj(value)
        ? value
        : {};
  if (typeof value === 'string' && value.toUpperCase() === 'AWS_IAM')
    return { AuthorizationType: 'AWS_IAM' };
  if (String(a.type ?? '').toUpperCase() === 'AWS_IAM') return { AuthorizationType: 'AWS_IAM' };
  if (a.authorizerId !== undefined || a.managedExternally === true)
    ctx.warn(
      at,
      'an authorizer managed outside this service is not emulated: the method is served without it',
    );
  if (a.authorizerId !== undefined) return {};
  if (a.arn === undefined && typeof a.name !== 'string')
    throw new TemplateIssue(at, 'must name an authorizer function or give its arn');
  const arn = a.arn ?? functionArn(String(a.name), at, ctx);
  const name = typeof a.name === 'string' ? a.name : nameFromArn(String(a.arn));
  const cognito =
    String(a.type ?? '').toUpperCase() === 'COGNITO_USER_POOLS' ||
    (typeof arn === 'string' && COGNITO_ARN.test(arn));
  if (!cognito && typeof arn === 'string')
    ctx.warn(
      at,
      `names ${arn}, a function outside this service: the local gateway has no code for it and answers with Tollgate's own authorizer`,
    );
  const type = cognito ? 'COGNITO_USER_POOLS' : String(a.type ?? 'TOKEN').toUpperCase();
  const ttl =
    typeof value === 'string' ? undefined : Number.parseInt(String(a.resultTtlInSeconds), 10);
  const resultTtl = ttl === undefined ? undefined : Number.isNaN(ttl) ? 300 : ttl;
  const identitySource =
    a.identitySource ??
    (type === 'REQUEST' && resultTtl === 0 ? undefined : 'method.request.header.Authorization');
  const id = authorizerLogicalId(name);
  ctx.resources[id] = {
    Type: 'AWS::ApiGateway::Authorizer',
    Properties: {
      ...(resultTtl !== undefined ? { AuthorizerResultTtlInSeconds: resultTtl } : {}),
      ...(identitySource !== undefined ? { IdentitySource: identitySource } : {}),
      Name: name,
      RestApiId: { Ref: REST_API_ID },
      ...(typeof a.identityValidationExpression === 'string'
        ? { IdentityValidationExpression: a.identityValidationExpression }
        : {}),
      Type: type,
      ...(cognito ? { ProviderARNs: [arn] } : { AuthorizerUri: lambdaUri(arn) }),
    },
  };
  ctx.origins.set(id, at);
  for (const key of ['claims'])
    if (a[key] !== undefined)
      ctx.warn([...at, key], 'is not emulated (lambda-proxy integrations get every claim)');
  return {
    AuthorizationType: cognito ? 'COGNITO_USER_POOLS' : 'CUSTOM',
    AuthorizerId: { Ref: id },
    ...(Array.isArray(a.scopes) ? { AuthorizationScopes: a.scopes } : {}),
  };
}

function functionArn(name: string, at: KeyPath, ctx: RestContext): Obj {
  if (!ctx.functionNames.has(name))
    throw new TemplateIssue(
      at,
      `names ${name}, which is not a function of this service (functions: ${[...ctx.functionNames].join(', ')})`,
    );
  return { 'Fn::GetAtt': [functionLogicalId(name), 'Arn'] };
}

function corsOf(value: unknown, method: string, at: KeyPath): Cors {
  const cors: Cors = {
    origin: '*',
    origins: [],
    headers: CORS_HEADERS,
    methods: ['OPTIONS', method.toUpperCase()],
    allowCredentials: false,
  };
  if (!isObj(value)) {
    if (value !== true) throw new TemplateIssue(at, 'must be true or a mapping');
    return cors;
  }
  const list = (v: unknown): string[] | undefined =>
    v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map(String);
  const methods = list(value.methods) ?? [];
  return {
    origin: value.origins !== undefined ? undefined : String(value.origin ?? '*'),
    origins: list(value.origins) ?? [],
    headers: list(value.headers) ?? CORS_HEADERS,
    methods: union(union(methods, ['OPTIONS']), [method.toUpperCase()]),
    allowCredentials: Boolean(value.allowCredentials),
    maxAge: value.maxAge,
    cacheControl: value.cacheControl,
  };
}

/** The OPTIONS MOCK method `cors` creates (cors.js compileCors). */
function addPreflight(path: string, cors: Cors, ctx: RestContext): void {
  let origin = cors.origin;
  let origins = cors.origins;
  if (origin?.includes(',')) origins = origin.split(',').map((o) => o.trim());
  if (origins.length) origin = origins[0];
  const headers: Obj = {
    'Access-Control-Allow-Origin': `'${origin}'`,
    'Access-Control-Allow-Headers': `'${cors.headers.join(',')}'`,
    'Access-Control-Allow-Methods': `'${cors.methods.join(',').replace('ANY', 'DELETE,GET,HEAD,PATCH,POST,PUT')}'`,
  };
  if (cors.allowCredentials) headers['Access-Control-Allow-Credentials'] = "'true'";
  if (cors.maxAge) headers['Access-Control-Max-Age'] = `'${String(cors.maxAge)}'`;
  if (cors.cacheControl) headers['Cache-Control'] = `'${String(cors.cacheControl)}'`;
  const params = (value: (v: unknown) => unknown): Obj =>
    Object.fromEntries(
      Object.entries(headers).map(([h, v]) => [`method.response.header.${h}`, value(v)]),
    );
  const template = origins.length
    ? '#set($origin = $input.params("Origin"))\n' +
      '#if($origin == "") #set($origin = $input.params("origin")) #end\n' +
      `#if(${origins.map((o) => `$origin.matches("${o.replace(/\./g, '[.]').replace('*', '.+')}")`).join(' || ')}) #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin) #end`
    : '';
  const id = methodLogicalId(path, 'options');
  ctx.resources[id] = {
    Type: 'AWS::ApiGateway::Method',
    Properties: {
      AuthorizationType: 'NONE',
      HttpMethod: 'OPTIONS',
      MethodResponses: [
        { StatusCode: '200', ResponseParameters: params(() => true), ResponseModels: {} },
      ],
      RequestParameters: {},
      Integration: {
        Type: 'MOCK',
        RequestTemplates: { 'application/json': '{statusCode:200}' },
        // The framework also sets ContentHandling CONVERT_TO_TEXT: a no-op on this empty body.
        IntegrationResponses: [
          {
            StatusCode: '200',
            ResponseParameters: params((v) => v),
            ResponseTemplates: { 'application/json': template },
          },
        ],
      },
      ResourceId: parentOf(path),
      RestApiId: { Ref: REST_API_ID },
    },
  };
  ctx.origins.set(id, ctx.origins.get(methodLogicalId(path, 'get')) ?? ['functions']);
}

interface KeySpec {
  readonly name: string;
  readonly value?: unknown;
  readonly enabled?: unknown;
}

/** provider.apiGateway apiKeys and usagePlan (api-keys.js, usage-plan.js, usage-plan-keys.js). */
function compileUsagePlans(apiGateway: Obj, ctx: RestContext): void {
  const { apiKeys, usagePlan } = apiGateway;
  if (apiKeys === undefined && usagePlan === undefined) return;
  const at: KeyPath = ['provider', 'apiGateway'];
  const plans: [string, Obj][] = Array.isArray(usagePlan)
    ? usagePlan
        .filter(isObj)
        .map((p) => [
          Object.keys(p)[0]!,
          isObj(p[Object.keys(p)[0]!]) ? (p[Object.keys(p)[0]!] as Obj) : {},
        ])
    : [['default', isObj(usagePlan) ? usagePlan : {}]];
  const keys = Array.isArray(apiKeys) ? apiKeys : apiKeys === undefined ? [] : [apiKeys];
  for (const [plan, limits] of plans) {
    const planId = plan === 'default' ? 'ApiGatewayUsagePlan' : `ApiGatewayUsagePlan${upper(plan)}`;
    ctx.resources[planId] = {
      Type: 'AWS::ApiGateway::UsagePlan',
      Properties: {
        ApiStages: [{ ApiId: { Ref: REST_API_ID }, Stage: ctx.stage }],
        UsagePlanName:
          plan === 'default'
            ? `${ctx.service}-${ctx.stage}`
            : `${ctx.service}-${plan}-${ctx.stage}`,
        ...planProperties(limits),
      },
    };
    ctx.origins.set(planId, [...at, 'usagePlan']);
    const mine: unknown[] =
      plan === 'default'
        ? keys.filter((k) => !(isObj(k) && Array.isArray(Object.values(k)[0])))
        : keys.flatMap((k) => (isObj(k) && Array.isArray(k[plan]) ? (k[plan] as unknown[]) : []));
    mine.forEach((k, i) => addKey(keySpec(k, [...at, 'apiKeys']), plan, planId, i + 1, ctx));
  }
}

const upper = (s: string): string =>
  s.charAt(0).toUpperCase() + s.slice(1).replace(/[^0-9A-Za-z]/g, '');

function keySpec(k: unknown, at: KeyPath): KeySpec {
  if (typeof k === 'string') return { name: k };
  if (isObj(k) && typeof k.name === 'string') return k as unknown as KeySpec;
  throw new TemplateIssue(at, 'each API key must be a name or a mapping with name (and value)');
}

function addKey(key: KeySpec, plan: string, planId: string, n: number, ctx: RestContext): void {
  const suffix = plan === 'default' ? `${n}` : `${upper(plan)}${n}`;
  const keyId = `ApiGatewayApiKey${suffix}`;
  ctx.resources[keyId] = {
    Type: 'AWS::ApiGateway::ApiKey',
    Properties: {
      Enabled: key.enabled ?? true,
      Name: key.name,
      ...(key.value !== undefined ? { Value: String(key.value) } : {}),
      StageKeys: [{ RestApiId: { Ref: REST_API_ID }, StageName: ctx.stage }],
    },
  };
  ctx.resources[`ApiGatewayUsagePlanKey${suffix}`] = {
    Type: 'AWS::ApiGateway::UsagePlanKey',
    Properties: { KeyId: { Ref: keyId }, KeyType: 'API_KEY', UsagePlanId: { Ref: planId } },
  };
  ctx.origins.set(keyId, ['provider', 'apiGateway', 'apiKeys']);
}

function planProperties(limits: Obj): Obj {
  const out: Obj = {};
  const quota = isObj(limits.quota) ? limits.quota : undefined;
  const throttle = isObj(limits.throttle) ? limits.throttle : undefined;
  if (quota)
    out.Quota = {
      Limit: quota.limit,
      ...(quota.offset !== undefined ? { Offset: quota.offset } : {}),
      Period: quota.period,
    };
  if (throttle) out.Throttle = { BurstLimit: throttle.burstLimit, RateLimit: throttle.rateLimit };
  return out;
}
