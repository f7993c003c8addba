// An HTTP API as plain CloudFormation describes it (what `cdk synth` writes for aws-apigatewayv2's
// HttpApi): an AWS::ApiGatewayV2::Api (with its Body, quick create's Target, or neither) and its
// Route, Integration, Authorizer and Stage resources, turned into the OpenAPI document an HTTP
// API's export would give (x-amazon-apigateway-* extensions). A property the local gateway does
// not run is a warning naming the resource and property.
import type { KeyPath } from '../core/key-path.js';
import { EXTENSIONS } from '../gateway/extensions.js';
import { resourcesOf } from './cfn-rest.js';
import type { TemplateWarning } from './functions.js';
import { TemplateIssue } from './issue.js';
import { corsConfiguration } from './sam-http.js';
import type { Stack } from './stack.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface CfnHttpApi {
  readonly document: Obj;
  readonly stageName: string | undefined;
  readonly stageVariables: Readonly<Record<string, string>>;
}

const V2 = 'AWS::ApiGatewayV2::';

/** Properties read, or without effect on what a request gets (names, tags, deployment). */
const API_READ = new Set([
  'Name',
  'ProtocolType',
  'Body',
  'CorsConfiguration',
  'Description',
  'Tags',
  'Version',
  'FailOnWarnings',
  'Target',
  'RouteKey',
]);

export function cfnHttpApi(apiId: string, stack: Stack, warnings: TemplateWarning[]): CfnHttpApi {
  const at: KeyPath = ['Resources', apiId, 'Properties'];
  const props = (stack.resolve(stack.resources.get(apiId)!.Properties, at) ?? {}) as Obj;
  if (props.BodyS3Location !== undefined)
    throw new TemplateIssue([...at, 'BodyS3Location'], 'is in S3: give the document as Body');
  warnUnread(props, API_READ, at, warnings);
  const doc: Obj = isObj(props.Body)
    ? structuredClone(props.Body)
    : {
        openapi: '3.0.1',
        info: { title: String(props.Name ?? apiId), version: String(props.Version ?? '1.0') },
        paths: {},
      };
  if (!isObj(doc.paths)) doc.paths = {};
  // What an HTTP API's export carries: the local gateway reads the document as an HTTP API.
  doc['x-amazon-apigateway-importexport-version'] ??= '1.0';
  if (props.CorsConfiguration !== undefined)
    doc['x-amazon-apigateway-cors'] = corsConfiguration(props.CorsConfiguration);
  if (props.Target !== undefined) quickCreateRoute(doc, props);
  const schemes = authorizerSchemes(stack, apiId, warnings);
  const integrations = integrationsOf(stack, apiId, warnings);
  addRoutes(doc, stack, apiId, { schemes, integrations }, warnings);
  if (Object.keys(schemes).length) {
    const components = (doc.components ??= {}) as Obj;
    components.securitySchemes = { ...(components.securitySchemes as Obj), ...schemes };
  }
  return { document: doc, ...stageOf(stack, apiId, warnings) };
}

function warnUnread(
  props: Obj,
  read: ReadonlySet<string>,
  at: KeyPath,
  warnings: TemplateWarning[],
  note = (_key: string): string => 'is not emulated by the local gateway',
): void {
  for (const key of Object.keys(props))
    if (!read.has(key)) warnings.push({ path: [...at, key], message: note(key) });
}

/** Quick create: Target (a Lambda ARN or a URL) behind one route, `$default` unless RouteKey. */
function quickCreateRoute(doc: Obj, props: Obj): void {
  const target = String(props.Target);
  const lambda = target.startsWith('arn:');
  const integration: Obj = lambda
    ? { type: 'aws_proxy', httpMethod: 'POST', uri: target, payloadFormatVersion: '2.0' }
    : { type: 'http_proxy', httpMethod: 'ANY', uri: target, payloadFormatVersion: '1.0' };
  putRoute(doc, String(props.RouteKey ?? '$default'), {
    'x-amazon-apigateway-integration': integration,
  });
}

/** `GET /pets`, `ANY /{proxy+}` or `$default` → the document's path item and method key. */
function putRoute(doc: Obj, routeKey: string, method: Obj, at: KeyPath = []): void {
  const paths = doc.paths as Obj;
  if (routeKey === '$default') {
    const item = (paths.$default ??= {}) as Obj;
    item['x-amazon-apigateway-any-method'] = { isDefaultRoute: true, responses: {}, ...method };
    return;
  }
  const m = /^([A-Z]+) (\/\S*)$/.exec(routeKey);
  if (!m) throw new TemplateIssue(at, 'must be "METHOD /path" or $default');
  const verb = m[1]!.toLowerCase();
  const item = (paths[m[2]!] ??= {}) as Obj;
  item[verb === 'any' ? 'x-amazon-apigateway-any-method' : verb] = { responses: {}, ...method };
}

const INTEGRATION_READ = new Set([
  'ApiId',
  'IntegrationType',
  'IntegrationUri',
  'IntegrationMethod',
  'PayloadFormatVersion',
  'Description',
  'ConnectionType',
]);

/** The extension's own note for a property the gateway does not run (TimeoutInMillis → timeoutInMillis). */
function integrationNote(key: string): string {
  const field = key === 'CredentialsArn' ? 'credentials' : key[0]!.toLowerCase() + key.slice(1);
  const note = EXTENSIONS['x-amazon-apigateway-integration']!.fields?.[field]?.note;
  return note ? `is not emulated: ${note}` : 'is not an HTTP API setting the local gateway runs';
}

/** Each AWS::ApiGatewayV2::Integration of the API as x-amazon-apigateway-integration, by logical id. */
function integrationsOf(
  stack: Stack,
  apiId: string,
  warnings: TemplateWarning[],
): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const [id, p] of resourcesOf(stack, `${V2}Integration`, apiId, 'ApiId')) {
    const at: KeyPath = ['Resources', id, 'Properties'];
    warnUnread(p, INTEGRATION_READ, at, warnings, integrationNote);
    if (p.ConnectionType === 'VPC_LINK')
      warnings.push({
        path: [...at, 'ConnectionType'],
        message: integrationNote('ConnectionType'),
      });
    const type = String(p.IntegrationType);
    const uri = p.IntegrationUri;
    if (type === 'AWS_PROXY') {
      if (p.PayloadFormatVersion === undefined)
        throw new TemplateIssue(
          [...at, 'PayloadFormatVersion'],
          "is required for an HTTP API's Lambda integration (1.0 or 2.0)",
        );
      out.set(id, {
        type: 'aws_proxy',
        httpMethod: 'POST',
        uri,
        payloadFormatVersion: String(p.PayloadFormatVersion),
      });
    } else if (type === 'HTTP_PROXY')
      out.set(id, {
        type: 'http_proxy',
        httpMethod: String(p.IntegrationMethod ?? 'ANY'),
        uri,
        payloadFormatVersion: '1.0',
      });
    else
      throw new TemplateIssue(
        [...at, 'IntegrationType'],
        `${type} is not an HTTP API integration type (AWS_PROXY or HTTP_PROXY)`,
      );
  }
  return out;
}

const AUTHORIZER_READ = new Set([
  'ApiId',
  'Name',
  'AuthorizerType',
  'IdentitySource',
  'JwtConfiguration',
  'AuthorizerUri',
  'AuthorizerPayloadFormatVersion',
  'EnableSimpleResponses',
  'AuthorizerResultTtlInSeconds',
]);

/** Each AWS::ApiGatewayV2::Authorizer as a security scheme named by its logical id. */
function authorizerSchemes(stack: Stack, apiId: string, warnings: TemplateWarning[]): Obj {
  const schemes: Obj = {};
  for (const [id, a] of resourcesOf(stack, `${V2}Authorizer`, apiId, 'ApiId')) {
    const at: KeyPath = ['Resources', id, 'Properties'];
    warnUnread(a, AUTHORIZER_READ, at, warnings, (key) =>
      key === 'AuthorizerCredentialsArn'
        ? 'is not emulated: the local gateway calls the function without a role'
        : 'is not an HTTP API authorizer setting the local gateway runs',
    );
    const type = String(a.AuthorizerType);
    const source = a.IdentitySource;
    if (type === 'JWT') {
      const jwt = isObj(a.JwtConfiguration) ? a.JwtConfiguration : {};
      const ext: Obj = {
        type: 'jwt',
        jwtConfiguration: {
          ...(jwt.Issuer !== undefined ? { issuer: jwt.Issuer } : {}),
          ...(jwt.Audience !== undefined ? { audience: jwt.Audience } : {}),
        },
      };
      if (source !== undefined) ext.identitySource = source;
      schemes[id] = { type: 'oauth2', 'x-amazon-apigateway-authorizer': ext };
    } else if (type === 'REQUEST') schemes[id] = lambdaScheme(a);
    else
      throw new TemplateIssue(
        [...at, 'AuthorizerType'],
        `${type} is not an HTTP API authorizer type (JWT or REQUEST)`,
      );
  }
  return schemes;
}

function lambdaScheme(a: Obj): Obj {
  const ext: Obj = { type: 'request', authorizerUri: a.AuthorizerUri };
  const copy: [string, string][] = [
    ['IdentitySource', 'identitySource'],
    ['AuthorizerResultTtlInSeconds', 'authorizerResultTtlInSeconds'],
    ['AuthorizerPayloadFormatVersion', 'authorizerPayloadFormatVersion'],
    ['EnableSimpleResponses', 'enableSimpleResponses'],
  ];
  for (const [from, to] of copy) if (a[from] !== undefined) ext[to] = a[from];
  return { type: 'apiKey', name: 'Unused', in: 'header', 'x-amazon-apigateway-authorizer': ext };
}

const ROUTE_READ = new Set([
  'ApiId',
  'RouteKey',
  'Target',
  'AuthorizationType',
  'AuthorizerId',
  'AuthorizationScopes',
  'OperationName',
]);

interface RouteParts {
  readonly schemes: Obj;
  readonly integrations: ReadonlyMap<string, Obj>;
}

function addRoutes(
  doc: Obj,
  stack: Stack,
  apiId: string,
  parts: RouteParts,
  warnings: TemplateWarning[],
): void {
  for (const [id, r] of resourcesOf(stack, `${V2}Route`, apiId, 'ApiId')) {
    const at: KeyPath = ['Resources', id, 'Properties'];
    warnUnread(
      r,
      ROUTE_READ,
      at,
      warnings,
      () => 'is not an HTTP API route setting the local gateway runs',
    );
    const target = /^integrations\/(.+)$/.exec(String(r.Target ?? ''))?.[1];
    const integration = target === undefined ? undefined : parts.integrations.get(target);
    if (integration === undefined)
      throw new TemplateIssue(
        [...at, 'Target'],
        r.Target === undefined
          ? 'is missing: the local gateway serves routes with an integration (integrations/ID)'
          : 'must be integrations/ID of an AWS::ApiGatewayV2::Integration of the API',
      );
    const method: Obj = {
      'x-amazon-apigateway-integration': structuredClone(integration),
      security: routeSecurity(r, parts.schemes, at, warnings),
    };
    if (typeof r.OperationName === 'string') method.operationId = r.OperationName;
    putRoute(doc, String(r.RouteKey), method, [...at, 'RouteKey']);
  }
}

function routeSecurity(r: Obj, schemes: Obj, at: KeyPath, warnings: TemplateWarning[]): Obj[] {
  const type = String(r.AuthorizationType ?? 'NONE');
  if (type === 'NONE') return [];
  if (type === 'AWS_IAM') {
    warnings.push({
      path: [...at, 'AuthorizationType'],
      message:
        'AWS_IAM is not emulated: SigV4 is not checked locally, the route is served without it',
    });
    return [];
  }
  if (type !== 'JWT' && type !== 'CUSTOM')
    throw new TemplateIssue(
      [...at, 'AuthorizationType'],
      `${type} is not an HTTP API authorization type (NONE, JWT, CUSTOM or AWS_IAM)`,
    );
  const name = String(r.AuthorizerId);
  if (!(name in schemes))
    throw new TemplateIssue(
      [...at, 'AuthorizerId'],
      `names ${name}, which is not an AWS::ApiGatewayV2::Authorizer of the API`,
    );
  return [{ [name]: Array.isArray(r.AuthorizationScopes) ? r.AuthorizationScopes : [] }];
}

const STAGE_READ = new Set([
  'ApiId',
  'StageName',
  'StageVariables',
  'AutoDeploy',
  'DeploymentId',
  'Description',
  'Tags',
  'AccessLogSettings',
]);

/** The API's stage (the first; others are named in a warning) and its variables. */
function stageOf(
  stack: Stack,
  apiId: string,
  warnings: TemplateWarning[],
): Omit<CfnHttpApi, 'document'> {
  const stages = resourcesOf(stack, `${V2}Stage`, apiId, 'ApiId');
  for (const [other] of stages.slice(1))
    warnings.push({
      path: ['Resources', other],
      message: 'is not served: the local gateway serves one stage (the first of the API)',
    });
  const [id, stage] = stages[0] ?? [];
  if (!id || !stage) return { stageName: undefined, stageVariables: {} };
  const at: KeyPath = ['Resources', id, 'Properties'];
  warnUnread(stage, STAGE_READ, at, warnings);
  const variables = isObj(stage.StageVariables) ? stage.StageVariables : {};
  return {
    stageName: typeof stage.StageName === 'string' ? stage.StageName : undefined,
    stageVariables: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
  };
}
