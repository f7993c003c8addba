// An AWS::Serverless::Api (or SAM's implicit ServerlessRestApi) as SAM's translator writes its
// AWS::ApiGateway::RestApi Body: the DefinitionBody, or a Swagger 2.0 document SAM generates from the
// functions' Api events, with SAM's own additions in SAM's order: each event's integration and
// method Auth, then Cors (an OPTIONS mock per path), Auth (securityDefinitions, DefaultAuthorizer,
// ApiKeyRequired), GatewayResponses and BinaryMediaTypes (samtranslator's api_generator.py).
import type { KeyPath } from '../core/key-path.js';
import type { TemplateWarning } from './functions.js';
import type { ApiEvent } from './sam-events.js';
import type { Stack } from './stack.js';
import { TemplateIssue } from './issue.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface RestApiInput {
  readonly apiId: string;
  /** Resolved properties of the AWS::Serverless::Api (with Globals), empty for the implicit API. */
  readonly properties: Obj;
  /** The document from DefinitionBody or DefinitionUri, resolved; undefined: SAM generates one. */
  readonly definition: Obj | undefined;
  readonly events: readonly ApiEvent[];
  readonly stack: Stack;
  readonly warnings: TemplateWarning[];
  /** Where the document holds a setting one of `warnings` names (see gateway-document.ts). */
  readonly warned?: KeyPath[];
}

const METHOD_KEY = (m: string): string => (m === 'any' ? 'x-amazon-apigateway-any-method' : m);
const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

/** The RestApi Body SAM would deploy, intrinsics resolved. */
export function samRestBody(input: RestApiInput): Obj {
  const { apiId, properties } = input;
  const doc: Obj = structuredClone(input.definition) ?? {
    info: { version: '1.0', title: input.stack.context.parameters.get('AWS::StackName') },
    paths: {},
    swagger: '2.0',
  };
  if (!isObj(doc.paths)) doc.paths = {};
  const auth = isObj(properties.Auth) ? properties.Auth : {};
  for (const event of input.events) addEvent(doc, event, auth, input);
  const at = (key: string): KeyPath => ['Resources', apiId, 'Properties', key];
  if (properties.Cors !== undefined) addCors(doc, properties.Cors, at('Cors'));
  addAuth(doc, auth, input);
  if (isObj(properties.GatewayResponses))
    doc['x-amazon-apigateway-gateway-responses'] = gatewayResponses(properties.GatewayResponses);
  if (Array.isArray(properties.BinaryMediaTypes))
    doc['x-amazon-apigateway-binary-media-types'] = properties.BinaryMediaTypes.map((t) =>
      String(t).replace(/~1/g, '/'),
    );
  return doc;
}

function integrationUri(functionArn: string, stack: Stack): string {
  const region = stack.context.parameters.get('AWS::Region') as string;
  return `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${functionArn}/invocations`;
}

/** What an Api event sets beyond its route and Auth, and why the local gateway does not run it. */
const EVENT_UNREAD: Readonly<Record<string, string>> = {
  RequestModel: 'is not emulated: the request body is not validated against the model',
  TimeoutInMillis: "is not emulated: the gateway's 29 s integration timeout applies",
};
// RequestParameters are declared in the document as SAM does (API Gateway checks them only
// with a request validator, which SAM does not add for them).
const EVENT_READ = new Set(['RestApiId', 'Path', 'Method', 'Auth', 'RequestParameters']);

function addEvent(doc: Obj, event: ApiEvent, apiAuth: Obj, input: RestApiInput): void {
  for (const key of Object.keys(event.properties))
    if (!EVENT_READ.has(key))
      input.warnings.push({
        path: [...event.at, key],
        message: EVENT_UNREAD[key] ?? 'is not an Api event setting the local gateway runs',
      });
  if (event.path === undefined)
    throw new TemplateIssue([...event.at, 'Path'], 'is required for an Api event');
  const paths = doc.paths as Obj;
  const item = (paths[event.path] ??= {}) as Obj;
  const arn = input.stack.context.getAtt(event.functionId, 'Arn') as string;
  const method: Obj = {
    'x-amazon-apigateway-integration': {
      httpMethod: 'POST',
      type: 'aws_proxy',
      uri: integrationUri(arn, input.stack),
    },
    responses: {},
  };
  item[METHOD_KEY(event.method)] = method;
  // As SAM writes them (a warning names TimeoutInMillis: the gateway-wide timeout applies).
  if (event.properties.TimeoutInMillis !== undefined) {
    (method['x-amazon-apigateway-integration'] as Obj).timeoutInMillis =
      event.properties.TimeoutInMillis;
    input.warned?.push(integrationField(event, 'timeoutInMillis'));
  }
  if (Array.isArray(event.properties.RequestParameters))
    addRequestParameters(method, event.properties.RequestParameters, event, input);
  const auth = event.auth;
  if (!auth) return;
  const security: Obj[] = [];
  if (auth.ApiKeyRequired === true) security.push({ api_key: [] });
  if (auth.ApiKeyRequired === false) security.push({ api_key_false: [] });
  const name = auth.Authorizer;
  if (typeof name === 'string') {
    const authorizers = isObj(apiAuth.Authorizers) ? apiAuth.Authorizers : {};
    if (name !== 'NONE' && name !== 'AWS_IAM' && !(name in authorizers))
      throw new TemplateIssue(
        [...event.at, 'Auth', 'Authorizer'],
        `names ${name}, which is not in the API's Auth.Authorizers`,
      );
    const scopes = Array.isArray(auth.AuthorizationScopes) ? auth.AuthorizationScopes : [];
    security.push({ [name]: name === 'NONE' ? [] : scopes });
  }
  for (const key of ['ResourcePolicy', 'InvokeRole'])
    if (auth[key] !== undefined)
      input.warnings.push({
        path: [...event.at, 'Auth', key],
        message: 'is not emulated by the local gateway',
      });
  if (security.length) method.security = security;
}

/** An Api event's RequestParameters as SAM declares them in the method (swagger.py). */
function addRequestParameters(
  method: Obj,
  list: unknown[],
  event: ApiEvent,
  input: RestApiInput,
): void {
  const parameters: Obj[] = [];
  const cacheKeys: string[] = [];
  list.forEach((entry, i) => {
    const [name, options] = isObj(entry) ? (Object.entries(entry)[0] ?? []) : [entry, {}];
    const at: KeyPath = [...event.at, 'RequestParameters', i];
    const m = /^method\.request\.(header|querystring|path)\.(.+)$/.exec(String(name));
    if (!m) throw new TemplateIssue(at, 'must be method.request.header|querystring|path.NAME');
    const o = isObj(options) ? options : {};
    if (o.Caching === true) {
      cacheKeys.push(String(name));
      input.warnings.push({
        path: [...at, String(name), 'Caching'],
        message: 'is not emulated: the API cache is not run locally',
      });
    }
    const location = m[1] === 'querystring' ? 'query' : m[1];
    parameters.push({ in: location, name: m[2], required: o.Required === true, type: 'string' });
  });
  method.parameters = parameters;
  if (cacheKeys.length) {
    (method['x-amazon-apigateway-integration'] as Obj).cacheKeyParameters = cacheKeys;
    input.warned?.push(integrationField(event, 'cacheKeyParameters'));
  }
}

/** Where an event's method integration keeps `field` in the document. */
const integrationField = (event: ApiEvent, field: string): KeyPath => [
  'paths',
  event.path!,
  METHOD_KEY(event.method),
  'x-amazon-apigateway-integration',
  field,
];

function addCors(doc: Obj, cors: unknown, path: KeyPath): void {
  const c: Obj = typeof cors === 'string' ? { AllowOrigin: cors } : isObj(cors) ? cors : {};
  if (c.AllowOrigin === undefined)
    throw new TemplateIssue([...path, 'AllowOrigin'], 'is required (a quoted origin: "\'*\'")');
  for (const item of Object.values(doc.paths as Obj)) {
    if (!isObj(item) || 'options' in item) continue;
    const methods = Object.keys(item);
    const allow =
      c.AllowMethods ??
      `'${(methods.includes('x-amazon-apigateway-any-method')
        ? ALL_METHODS
        : [...methods.map((m) => m.toUpperCase()), 'OPTIONS'].sort()
      ).join(',')}'`;
    item.options = corsOptions(c, allow);
  }
}

function corsOptions(c: Obj, allowMethods: unknown): Obj {
  const params: Obj = { 'method.response.header.Access-Control-Allow-Origin': c.AllowOrigin };
  const headers: Obj = { 'Access-Control-Allow-Origin': { type: 'string' } };
  const set = (name: string, value: unknown, type = 'string'): void => {
    params[`method.response.header.${name}`] = value;
    headers[name] = { type };
  };
  if (c.AllowHeaders) set('Access-Control-Allow-Headers', c.AllowHeaders);
  if (allowMethods) set('Access-Control-Allow-Methods', allowMethods);
  if (c.MaxAge !== undefined) set('Access-Control-Max-Age', c.MaxAge, 'integer');
  if (c.AllowCredentials === true) set('Access-Control-Allow-Credentials', "'true'");
  return {
    summary: 'CORS support',
    consumes: ['application/json'],
    produces: ['application/json'],
    'x-amazon-apigateway-integration': {
      type: 'mock',
      requestTemplates: { 'application/json': '{\n  "statusCode" : 200\n}\n' },
      responses: {
        default: {
          statusCode: '200',
          responseParameters: params,
          responseTemplates: { 'application/json': '{}\n' },
        },
      },
    },
    responses: {
      '200': { description: 'Default response for CORS method', headers },
    },
  };
}

function methodsOf(doc: Obj): [string, Obj][] {
  const out: [string, Obj][] = [];
  for (const item of Object.values(doc.paths as Obj))
    if (isObj(item))
      for (const [name, m] of Object.entries(item))
        if (isObj(m) && name !== 'parameters') out.push([name, m]);
  return out;
}

function addAuth(doc: Obj, auth: Obj, input: RestApiInput): void {
  const authorizers = isObj(auth.Authorizers) ? auth.Authorizers : {};
  const schemes: Obj = {};
  const at: KeyPath = ['Resources', input.apiId, 'Properties', 'Auth'];
  for (const [name, a] of Object.entries(authorizers))
    schemes[name] = authorizerScheme(a, [...at, 'Authorizers', name], input);
  const usesApiKey =
    auth.ApiKeyRequired === true ||
    methodsOf(doc).some(([, m]) => JSON.stringify(m.security ?? []).includes('"api_key"'));
  if (usesApiKey) schemes.api_key = { type: 'apiKey', name: 'x-api-key', in: 'header' };
  if (Object.keys(schemes).length) {
    const key = doc.openapi ? 'components' : 'securityDefinitions';
    if (key === 'components') {
      const components = (doc.components ??= {}) as Obj;
      components.securitySchemes = { ...(components.securitySchemes as Obj), ...schemes };
    } else doc.securityDefinitions = { ...(doc.securityDefinitions as Obj), ...schemes };
  }
  const preflightAuth = auth.AddDefaultAuthorizerToCorsPreflight !== false;
  const preflightKey = auth.AddApiKeyRequiredToCorsPreflight !== false;
  for (const [name, m] of methodsOf(doc)) {
    const security = (Array.isArray(m.security) ? m.security : []) as Obj[];
    let out = security;
    if (typeof auth.DefaultAuthorizer === 'string' && (preflightAuth || name !== 'options'))
      out = withDefaultAuthorizer(out, auth.DefaultAuthorizer, Object.keys(authorizers));
    if (auth.ApiKeyRequired === true && (preflightKey || name !== 'options'))
      out = withDefaultApiKey(out);
    out = out.filter((s) => !('api_key_false' in s));
    // As SAM: an empty result leaves the method's own list (a lone NONE stays NONE).
    if (out.length) m.security = out;
  }
  for (const key of ['ResourcePolicy', 'InvokeRole'])
    if (auth[key] !== undefined)
      input.warnings.push({ path: [...at, key], message: 'is not emulated by the local gateway' });
}

function withDefaultAuthorizer(security: Obj[], name: string, authorizers: string[]): Obj[] {
  const names = new Set(['AWS_IAM', ...authorizers]);
  const isAuthorizer = (s: Obj): boolean => Object.keys(s).some((k) => names.has(k));
  const others = security.filter((s) => !isAuthorizer(s));
  const existing = security.filter(isAuthorizer);
  const none = others.findIndex((s) => 'NONE' in s);
  if (none >= 0) return others.filter((_, i) => i !== none);
  return [...others, ...(existing.length ? existing : [{ [name]: [] }])];
}

function withDefaultApiKey(security: Obj[]): Obj[] {
  const isKey = (s: Obj): boolean => 'api_key' in s || 'api_key_false' in s;
  const others = security.filter((s) => !isKey(s));
  if (security.some((s) => 'api_key_false' in s)) return others;
  return [...others, { api_key: [] }];
}

function authorizerScheme(a: unknown, at: KeyPath, input: RestApiInput): Obj {
  if (!isObj(a)) throw new TemplateIssue(at, 'must be a mapping');
  const identity = isObj(a.Identity) ? a.Identity : {};
  const cognito = a.UserPoolArn !== undefined;
  const payload = a.FunctionPayloadType ?? 'TOKEN';
  if (!cognito && a.FunctionArn === undefined)
    throw new TemplateIssue(at, 'needs FunctionArn (a Lambda authorizer) or UserPoolArn (Cognito)');
  if (a.FunctionInvokeRole !== undefined)
    input.warnings.push({
      path: [...at, 'FunctionInvokeRole'],
      message: 'is not emulated: the local gateway calls the function without a role',
    });
  const header = typeof identity.Header === 'string' ? identity.Header : 'Authorization';
  const ext: Obj = {};
  const scheme: Obj = {
    type: 'apiKey',
    name: !cognito && payload === 'REQUEST' ? 'Unused' : header,
    in: 'header',
    'x-amazon-apigateway-authtype': cognito ? 'cognito_user_pools' : 'custom',
    'x-amazon-apigateway-authorizer': ext,
  };
  if (cognito) {
    ext.type = 'cognito_user_pools';
    ext.providerARNs = Array.isArray(a.UserPoolArn) ? a.UserPoolArn : [a.UserPoolArn];
  } else {
    ext.type = String(payload).toLowerCase();
    ext.authorizerUri = integrationUri(String(a.FunctionArn), input.stack);
    if (identity.ReauthorizeEvery !== undefined)
      ext.authorizerResultTtlInSeconds = identity.ReauthorizeEvery;
    if (payload === 'REQUEST') {
      const source = requestIdentitySource(identity);
      if (source) ext.identitySource = source;
    }
  }
  if ((cognito || payload === 'TOKEN') && identity.ValidationExpression)
    ext.identityValidationExpression = identity.ValidationExpression;
  return scheme;
}

function requestIdentitySource(identity: Obj): string {
  const pairs: [string, string][] = [
    ['Headers', 'method.request.header.'],
    ['QueryStrings', 'method.request.querystring.'],
    ['StageVariables', 'stageVariables.'],
    ['Context', 'context.'],
  ];
  return pairs
    .flatMap(([key, prefix]) =>
      Array.isArray(identity[key]) ? identity[key].map((v) => prefix + String(v)) : [],
    )
    .join(', ');
}

function gatewayResponses(responses: Obj): Obj {
  const out: Obj = {};
  const prefixes: [string, string][] = [
    ['Headers', 'header.'],
    ['Paths', 'path.'],
    ['QueryStrings', 'querystring.'],
  ];
  for (const [type, r] of Object.entries(responses)) {
    if (!isObj(r)) continue;
    const params = isObj(r.ResponseParameters) ? r.ResponseParameters : {};
    const responseParameters: Obj = {};
    for (const [key, prefix] of prefixes)
      for (const [k, v] of Object.entries(isObj(params[key]) ? params[key] : {}))
        responseParameters[`gatewayresponse.${prefix}${k}`] = v;
    const g: Obj = { responseParameters, responseTemplates: r.ResponseTemplates ?? {} };
    if (r.StatusCode !== undefined) g.statusCode = String(r.StatusCode);
    out[type] = g;
  }
  return out;
}
