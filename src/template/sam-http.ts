// An AWS::Serverless::HttpApi (or SAM's implicit ServerlessHttpApi) as SAM's translator writes its
// AWS::ApiGatewayV2::Api Body: the DefinitionBody or an OpenAPI 3.0.1 document generated from the
// functions' HttpApi events (payload 2.0 proxy integrations, `$default` for an event without a
// path), then CorsConfiguration (x-amazon-apigateway-cors) and Auth: JWT authorizers and Lambda
// authorizers with their payload version and simple responses (samtranslator http_api_generator.py).
import type { KeyPath } from '../core/key-path.js';
import type { TemplateWarning } from './functions.js';
import { TemplateIssue } from './issue.js';
import type { ApiEvent } from './sam-events.js';
import type { Stack } from './stack.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface HttpApiInput {
  readonly apiId: string;
  readonly properties: Obj;
  readonly definition: Obj | undefined;
  readonly events: readonly ApiEvent[];
  readonly stack: Stack;
  readonly warnings: TemplateWarning[];
}

const METHOD_KEY = (m: string): string => (m === 'any' ? 'x-amazon-apigateway-any-method' : m);

export function samHttpBody(input: HttpApiInput): Obj {
  const doc: Obj = structuredClone(input.definition) ?? {
    info: { version: '1.0', title: input.stack.context.parameters.get('AWS::StackName') },
    paths: {},
    openapi: '3.0.1',
    tags: [{ name: 'httpapi:createdBy', 'x-amazon-apigateway-tag-value': 'SAM' }],
  };
  if (!isObj(doc.paths)) doc.paths = {};
  const auth = isObj(input.properties.Auth) ? input.properties.Auth : {};
  for (const event of input.events) addEvent(doc, event, auth, input);
  const at: KeyPath = ['Resources', input.apiId, 'Properties'];
  if (input.properties.CorsConfiguration !== undefined)
    doc['x-amazon-apigateway-cors'] = corsConfiguration(input.properties.CorsConfiguration);
  addAuth(doc, auth, [...at, 'Auth'], input);
  return doc;
}

const EVENT_READ = new Set(['ApiId', 'Path', 'Method', 'Auth', 'PayloadFormatVersion']);

function addEvent(doc: Obj, event: ApiEvent, apiAuth: Obj, input: HttpApiInput): void {
  const region = input.stack.context.parameters.get('AWS::Region') as string;
  const arn = input.stack.context.getAtt(event.functionId, 'Arn') as string;
  const isDefault = event.path === undefined;
  const item = ((doc.paths as Obj)[event.path ?? '$default'] ??= {}) as Obj;
  const method: Obj = {
    'x-amazon-apigateway-integration': {
      httpMethod: 'POST',
      type: 'aws_proxy',
      uri: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations`,
      payloadFormatVersion: String(event.properties.PayloadFormatVersion ?? '2.0'),
    },
    ...(isDefault ? { isDefaultRoute: true } : {}),
    responses: {},
  };
  item[METHOD_KEY(isDefault ? 'any' : event.method)] = method;
  for (const key of Object.keys(event.properties))
    if (!EVENT_READ.has(key))
      input.warnings.push({
        path: [...event.at, key],
        message:
          key === 'TimeoutInMillis'
            ? "is not emulated: the gateway's 30 s integration timeout applies"
            : key === 'RouteSettings'
              ? 'is not emulated: route throttling and logging settings do not apply locally'
              : 'is not an HttpApi event setting the local gateway runs',
      });
  const auth = event.auth;
  if (!auth) return;
  const scopes = Array.isArray(auth.AuthorizationScopes) ? auth.AuthorizationScopes : [];
  const name = auth.Authorizer ?? (scopes.length ? apiAuth.DefaultAuthorizer : undefined);
  if (typeof name !== 'string') return;
  const authorizers = isObj(apiAuth.Authorizers) ? apiAuth.Authorizers : {};
  if (name !== 'NONE' && name !== 'AWS_IAM' && !(name in authorizers))
    throw new TemplateIssue(
      [...event.at, 'Auth', 'Authorizer'],
      `names ${name}, which is not in the API's Auth.Authorizers`,
    );
  method.security = [{ [name]: name === 'NONE' ? [] : scopes }];
}

const CORS_KEYS: Readonly<Record<string, string>> = {
  AllowOrigins: 'allowOrigins',
  AllowHeaders: 'allowHeaders',
  AllowMethods: 'allowMethods',
  ExposeHeaders: 'exposeHeaders',
  MaxAge: 'maxAge',
  AllowCredentials: 'allowCredentials',
};

export function corsConfiguration(value: unknown): Obj {
  if (value === true) return { allowOrigins: ['*'] };
  if (!isObj(value)) return {};
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) if (k in CORS_KEYS) out[CORS_KEYS[k]!] = v;
  return out;
}

function addAuth(doc: Obj, auth: Obj, at: KeyPath, input: HttpApiInput): void {
  const authorizers = isObj(auth.Authorizers) ? auth.Authorizers : {};
  const schemes: Obj = {};
  for (const [name, a] of Object.entries(authorizers))
    schemes[name] = authorizerScheme(a, [...at, 'Authorizers', name], input);
  if (Object.keys(schemes).length) {
    const components = (doc.components ??= {}) as Obj;
    components.securitySchemes = { ...(components.securitySchemes as Obj), ...schemes };
  }
  if (auth.EnableIamAuthorizer !== undefined)
    input.warnings.push({
      path: [...at, 'EnableIamAuthorizer'],
      message: 'is not emulated: AWS_IAM (SigV4) routes are not checked locally',
    });
  const fallback = auth.DefaultAuthorizer;
  if (typeof fallback !== 'string') return;
  const defaultScopes = (authorizers[fallback] as Obj | undefined)?.AuthorizationScopes;
  for (const item of Object.values(doc.paths as Obj))
    for (const [name, m] of Object.entries(isObj(item) ? item : {})) {
      if (name === 'parameters' || name === 'options' || !isObj(m)) continue;
      if (!m['x-amazon-apigateway-integration'] || m.security) continue;
      m.security = [{ [fallback]: Array.isArray(defaultScopes) ? defaultScopes : [] }];
    }
}

function authorizerScheme(a: unknown, at: KeyPath, input: HttpApiInput): Obj {
  if (!isObj(a)) throw new TemplateIssue(at, 'must be a mapping');
  if (isObj(a.JwtConfiguration)) {
    const ext: Obj = {
      jwtConfiguration: Object.fromEntries(
        Object.entries(a.JwtConfiguration).map(([k, v]) => [k.toLowerCase(), v]),
      ),
      type: 'jwt',
    };
    if (a.IdentitySource !== undefined) ext.identitySource = a.IdentitySource;
    return { type: 'oauth2', 'x-amazon-apigateway-authorizer': ext };
  }
  if (a.FunctionArn === undefined)
    throw new TemplateIssue(
      at,
      'needs JwtConfiguration (a JWT authorizer) or FunctionArn (Lambda)',
    );
  if (a.FunctionInvokeRole !== undefined)
    input.warnings.push({
      path: [...at, 'FunctionInvokeRole'],
      message: 'is not emulated: the local gateway calls the function without a role',
    });
  const region = input.stack.context.parameters.get('AWS::Region') as string;
  const ext: Obj = {
    type: 'request',
    authorizerUri: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${String(a.FunctionArn)}/invocations`,
  };
  if (a.FunctionInvokeRole !== undefined && a.FunctionInvokeRole !== 'NONE')
    ext.authorizerCredentials = a.FunctionInvokeRole;
  const identity = isObj(a.Identity) ? a.Identity : undefined;
  if (identity) {
    if (identity.ReauthorizeEvery !== undefined)
      ext.authorizerResultTtlInSeconds = identity.ReauthorizeEvery;
    ext.identitySource = identitySource(identity);
  }
  ext.authorizerPayloadFormatVersion = a.AuthorizerPayloadFormatVersion;
  if (a.EnableSimpleResponses) ext.enableSimpleResponses = a.EnableSimpleResponses;
  return { type: 'apiKey', name: 'Unused', in: 'header', 'x-amazon-apigateway-authorizer': ext };
}

function identitySource(identity: Obj): string[] {
  const pairs: [string, string][] = [
    ['$request.header.', 'Headers'],
    ['$request.querystring.', 'QueryStrings'],
    ['$stageVariables.', 'StageVariables'],
    ['$context.', 'Context'],
  ];
  return pairs.flatMap(([prefix, key]) =>
    Array.isArray(identity[key]) ? identity[key].map((v) => prefix + String(v)) : [],
  );
}
