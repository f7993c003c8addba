// The functions' `httpApi` events and `provider.httpApi` (cors, authorizers of type jwt and request)
// as an AWS::Serverless::HttpApi `HttpApi` with HttpApi events, which the SAM reader turns into the
// document the framework's compiled AWS::ApiGatewayV2 resources describe: the `$default` stage
// (no stage in the URL), payload 2.0 unless `provider.httpApi.payload` says 1.0.
import type { KeyPath } from '../core/key-path.js';
import { TemplateIssue } from './issue.js';
import { functionLogicalId, HTTP_API_ID } from './serverless-names.js';
import { CORS_HEADERS, type Compiled } from './serverless-rest.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface HttpApiEvent {
  readonly functionName: string;
  readonly value: unknown;
  readonly at: KeyPath;
}

export interface HttpApiContext extends Compiled {
  readonly functionNames: ReadonlySet<string>;
  /** SAM events by function name, added to each function's Events. */
  readonly events: Map<string, Obj>;
}

const PROVIDER_KEYS = new Set([
  'cors',
  'authorizers',
  'payload',
  'name',
  'shouldStartNameWithService',
  'metrics',
]);

export function compileHttpApi(
  events: readonly HttpApiEvent[],
  provider: Obj,
  ctx: HttpApiContext,
): void {
  const settings = isObj(provider.httpApi) ? provider.httpApi : {};
  if (!events.length) return;
  const at: KeyPath = ['provider', 'httpApi'];
  for (const key of Object.keys(settings))
    if (!PROVIDER_KEYS.has(key)) ctx.warn([...at, key], 'is not emulated by the local gateway');
  const authorizers = isObj(settings.authorizers) ? settings.authorizers : {};
  const properties: Obj = {
    StageName: '$default',
    Auth: {
      Authorizers: Object.fromEntries(
        Object.entries(authorizers).map(([name, a]) => [
          name,
          authorizer(a, [...at, 'authorizers', name], ctx),
        ]),
      ),
    },
  };
  if (settings.cors !== undefined && settings.cors !== false)
    properties.CorsConfiguration = cors(settings.cors, [...at, 'cors']);
  ctx.resources[HTTP_API_ID] = { Type: 'AWS::Serverless::HttpApi', Properties: properties };
  ctx.origins.set(HTTP_API_ID, at);
  const payload = String(settings.payload ?? '2.0');
  events.forEach((event, i) => addEvent(event, i, payload, Object.keys(authorizers), ctx));
}

function addEvent(
  event: HttpApiEvent,
  index: number,
  payload: string,
  authorizers: readonly string[],
  ctx: HttpApiContext,
): void {
  const raw = typeof event.value === 'string' ? routeOf(event.value, event.at) : event.value;
  if (!isObj(raw)) throw new TemplateIssue(event.at, 'must be "METHOD /path", "*" or a mapping');
  for (const key of Object.keys(raw))
    if (!['method', 'path', 'authorizer'].includes(key))
      ctx.warn([...event.at, key], 'is not emulated by the local gateway');
  const properties: Obj = { ApiId: { Ref: HTTP_API_ID }, PayloadFormatVersion: payload };
  if (raw.path !== undefined && raw.path !== '*') {
    properties.Path = String(raw.path);
    properties.Method = raw.method === undefined || raw.method === '*' ? 'ANY' : String(raw.method);
  }
  const a = raw.authorizer;
  if (a !== undefined) {
    const spec: Obj = typeof a === 'string' ? { name: a } : isObj(a) ? a : {};
    if (String(spec.type ?? '').toLowerCase() === 'aws_iam' || spec.id !== undefined)
      ctx.warn([...event.at, 'authorizer'], 'is not emulated: the route is served without it');
    else {
      if (typeof spec.name !== 'string' || !authorizers.includes(spec.name))
        throw new TemplateIssue(
          [...event.at, 'authorizer'],
          `names ${String(spec.name)}, which is not in provider.httpApi.authorizers (${authorizers.join(', ') || 'none'})`,
        );
      properties.Auth = {
        Authorizer: spec.name,
        ...(Array.isArray(spec.scopes) ? { AuthorizationScopes: spec.scopes } : {}),
      };
    }
  }
  const own = ctx.events.get(event.functionName) ?? {};
  own[`HttpApiEvent${index}`] = { Type: 'HttpApi', Properties: properties };
  ctx.events.set(event.functionName, own);
}

function routeOf(value: string, at: KeyPath): Obj {
  if (value.trim() === '*') return {};
  const m = /^\s*(\*|[A-Za-z]+)\s+(\/\S*)\s*$/.exec(value);
  if (!m) throw new TemplateIssue(at, `"${value}" is not "METHOD /path" or "*"`);
  return { method: m[1], path: m[2] };
}

function authorizer(a: unknown, at: KeyPath, ctx: HttpApiContext): Obj {
  if (!isObj(a)) throw new TemplateIssue(at, 'must be a mapping');
  const type = String(a.type ?? 'jwt').toLowerCase();
  const sources = (
    Array.isArray(a.identitySource)
      ? a.identitySource
      : a.identitySource === undefined
        ? []
        : [a.identitySource]
  ).map(String);
  if (a.managedExternally === true)
    ctx.warn(
      [...at, 'managedExternally'],
      'is not emulated: the authorizer is run as written here',
    );
  if (type === 'jwt') {
    if (typeof a.issuerUrl !== 'string')
      throw new TemplateIssue([...at, 'issuerUrl'], 'is required for a jwt authorizer');
    return {
      JwtConfiguration: {
        issuer: a.issuerUrl,
        audience: Array.isArray(a.audience)
          ? a.audience
          : a.audience === undefined
            ? []
            : [a.audience],
      },
      IdentitySource: sources[0] ?? '$request.header.Authorization',
    };
  }
  if (type !== 'request') throw new TemplateIssue([...at, 'type'], 'must be jwt or request');
  let arn: unknown = a.functionArn;
  if (typeof a.functionName === 'string') {
    if (!ctx.functionNames.has(a.functionName))
      throw new TemplateIssue(
        [...at, 'functionName'],
        `names ${a.functionName}, which is not a function of this service`,
      );
    arn = { 'Fn::GetAtt': [functionLogicalId(a.functionName), 'Arn'] };
  } else if (typeof arn === 'string')
    ctx.warn(
      [...at, 'functionArn'],
      `names ${arn}, a function outside this service: the local gateway has no code for it and answers with Tollgate's own authorizer`,
    );
  else throw new TemplateIssue(at, 'a request authorizer needs functionName or functionArn');
  const identity: Obj = {};
  const headers = sources.filter((s) => s.startsWith('$request.header.')).map((s) => s.slice(16));
  const queries = sources
    .filter((s) => s.startsWith('$request.querystring.'))
    .map((s) => s.slice(21));
  if (headers.length) identity.Headers = headers;
  if (queries.length) identity.QueryStrings = queries;
  for (const s of sources.filter(
    (s) => !s.startsWith('$request.header.') && !s.startsWith('$request.querystring.'),
  ))
    ctx.warn(
      [...at, 'identitySource'],
      `${s} is not emulated as an identity source (headers and query strings are)`,
    );
  if (a.resultTtlInSeconds !== undefined) identity.ReauthorizeEvery = Number(a.resultTtlInSeconds);
  return {
    FunctionArn: arn,
    AuthorizerPayloadFormatVersion: String(a.payloadVersion ?? '2.0'),
    ...(a.enableSimpleResponses === true ? { EnableSimpleResponses: true } : {}),
    ...(Object.keys(identity).length ? { Identity: identity } : {}),
  };
}

function cors(value: unknown, at: KeyPath): Obj {
  if (value === true)
    return { AllowOrigins: ['*'], AllowHeaders: CORS_HEADERS, AllowMethods: ['*'] };
  if (!isObj(value)) throw new TemplateIssue(at, 'must be true or a mapping');
  const list = (v: unknown): unknown[] | undefined =>
    v === undefined ? undefined : Array.isArray(v) ? v : [v];
  return {
    AllowOrigins: list(value.allowedOrigins) ?? ['*'],
    AllowHeaders: list(value.allowedHeaders) ?? CORS_HEADERS,
    AllowMethods: list(value.allowedMethods) ?? ['*'],
    ...(value.allowCredentials !== undefined ? { AllowCredentials: value.allowCredentials } : {}),
    ...(value.exposedResponseHeaders !== undefined
      ? { ExposeHeaders: list(value.exposedResponseHeaders) }
      : {}),
    ...(value.maxAge !== undefined ? { MaxAge: value.maxAge } : {}),
  };
}
