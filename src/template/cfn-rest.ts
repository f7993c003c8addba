// A REST API as plain CloudFormation describes it (what `cdk synth` writes): an
// AWS::ApiGateway::RestApi with its Body, or with AWS::ApiGateway::Resource, Method, Authorizer and
// GatewayResponse resources, turned into the OpenAPI document API Gateway's export would give
// (x-amazon-apigateway-* extensions), with its Stage and its UsagePlans with their ApiKeys.
import type { KeyPath } from '../core/key-path.js';
import type { TemplateWarning } from './functions.js';
import { TemplateIssue } from './issue.js';
import type { Stack } from './stack.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface CfnRestApi {
  readonly document: Obj;
  readonly stageName: string | undefined;
  readonly stageVariables: Readonly<Record<string, string>>;
  readonly plans: readonly {
    name: string;
    throttle?: { rateLimit: number; burstLimit: number };
    quota?: { limit: number; period: string; offset?: number };
    apiKeys: { name: string; value: string }[];
  }[];
}

/** The resources of the stack of a type, resolved, that belong to the API (RestApiId or ApiId). */
export function resourcesOf(
  stack: Stack,
  type: string,
  apiId: string,
  idKey = 'RestApiId',
): [string, Obj][] {
  const out: [string, Obj][] = [];
  for (const [id, r] of stack.resources) {
    if (r.Type !== type || !stack.exists(id)) continue;
    const props = (stack.resolve(r.Properties, ['Resources', id, 'Properties']) ?? {}) as Obj;
    const owner = r.Properties[idKey];
    if (isObj(owner) && owner.Ref === apiId) out.push([id, props]);
  }
  return out;
}

export function cfnRestApi(
  apiId: string,
  stack: Stack,
  warnings: TemplateWarning[],
  localKey: (name: string) => { name: string; value: string },
): CfnRestApi {
  const at: KeyPath = ['Resources', apiId, 'Properties'];
  const props = (stack.resolve(stack.resources.get(apiId)!.Properties, at) ?? {}) as Obj;
  if (props.BodyS3Location !== undefined)
    throw new TemplateIssue([...at, 'BodyS3Location'], 'is in S3: give the document as Body');
  const doc: Obj = isObj(props.Body)
    ? structuredClone(props.Body)
    : { openapi: '3.0.1', info: { title: String(props.Name ?? apiId), version: '1.0' }, paths: {} };
  if (!isObj(doc.paths)) doc.paths = {};
  if (props.ApiKeySourceType !== undefined)
    doc['x-amazon-apigateway-api-key-source'] = props.ApiKeySourceType;
  if (Array.isArray(props.BinaryMediaTypes))
    doc['x-amazon-apigateway-binary-media-types'] = props.BinaryMediaTypes;
  for (const key of ['Policy', 'EndpointConfiguration', 'MinimumCompressionSize'])
    if (props[key] !== undefined)
      warnings.push({ path: [...at, key], message: 'is not emulated by the local gateway' });
  const schemes = authorizerSchemes(stack, apiId);
  addMethods(doc, stack, apiId, schemes, warnings);
  if (Object.keys(schemes).length) {
    const components = (doc.components ??= {}) as Obj;
    components.securitySchemes = { ...(components.securitySchemes as Obj), ...schemes };
  }
  const responses = resourcesOf(stack, 'AWS::ApiGateway::GatewayResponse', apiId);
  if (responses.length) doc['x-amazon-apigateway-gateway-responses'] = gatewayResponses(responses);
  const stage = servedStage(stack, apiId, warnings);
  return {
    document: doc,
    stageName: stage?.name,
    stageVariables: stage?.variables ?? {},
    plans: usagePlans(stack, apiId, stage?.stageId, localKey, warnings),
  };
}

interface RestStage {
  /** The AWS::ApiGateway::Stage's logical id (usage plans name it); undefined for a Deployment's. */
  readonly stageId: string | undefined;
  readonly name: string | undefined;
  readonly variables: Record<string, string>;
  readonly at: KeyPath;
}

/** Stage settings that change what a request gets, and that the local gateway does not run. */
const STAGE_UNEMULATED = [
  'MethodSettings',
  'CacheClusterEnabled',
  'CanarySetting',
  'ClientCertificateId',
];

/**
 * The API's stages: AWS::ApiGateway::Stage resources, and a Deployment's own StageName (with its
 * StageDescription's Variables). The gateway serves one, the first; each other is named in a
 * warning, so a template with a beta and a prod stage never serves one of them silently.
 */
function servedStage(
  stack: Stack,
  apiId: string,
  warnings: TemplateWarning[],
): RestStage | undefined {
  const strings = (v: unknown): Record<string, string> =>
    Object.fromEntries(Object.entries(isObj(v) ? v : {}).map(([k, x]) => [k, String(x)]));
  const name = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  const stages: RestStage[] = [
    ...resourcesOf(stack, 'AWS::ApiGateway::Stage', apiId).map(([id, p]) => {
      const at: KeyPath = ['Resources', id];
      for (const key of STAGE_UNEMULATED)
        if (p[key] !== undefined)
          warnings.push({
            path: [...at, 'Properties', key],
            message: 'is not emulated by the local gateway',
          });
      return { stageId: id, name: name(p.StageName), variables: strings(p.Variables), at };
    }),
    ...resourcesOf(stack, 'AWS::ApiGateway::Deployment', apiId)
      .filter(([, p]) => p.StageName !== undefined)
      .map(([id, p]) => ({
        stageId: undefined,
        name: name(p.StageName),
        variables: strings(isObj(p.StageDescription) ? p.StageDescription.Variables : undefined),
        at: ['Resources', id, 'Properties', 'StageName'] as KeyPath,
      })),
  ];
  const [served, ...others] = stages;
  for (const other of others)
    warnings.push({
      path: other.at,
      message: `(stage ${other.name}) is not served: the local gateway serves one stage, ${served!.name} (${served!.at.slice(0, 2).join('.')}); usage plans of ${other.name} do not apply`,
    });
  return served;
}

/** The path of each AWS::ApiGateway::Resource, from its parents (the root is RootResourceId). */
function resourcePaths(stack: Stack, apiId: string): Map<string, string> {
  const parts = new Map(
    resourcesOf(stack, 'AWS::ApiGateway::Resource', apiId).map(([id, p]) => [id, p]),
  );
  const paths = new Map<string, string>([['root', '/']]);
  const pathOf = (id: string, depth = 0): string => {
    const known = paths.get(id);
    if (known !== undefined) return known;
    const p = parts.get(id);
    if (!p || depth > 100)
      throw new TemplateIssue(['Resources', id], 'is not an AWS::ApiGateway::Resource of the API');
    const parent = pathOf(String(p.ParentId), depth + 1);
    const path = `${parent === '/' ? '' : parent}/${String(p.PathPart)}`;
    paths.set(id, path);
    return path;
  };
  for (const id of parts.keys()) pathOf(id);
  return paths;
}

function addMethods(
  doc: Obj,
  stack: Stack,
  apiId: string,
  schemes: Obj,
  warnings: TemplateWarning[],
): void {
  const paths = resourcePaths(stack, apiId);
  for (const [id, m] of resourcesOf(stack, 'AWS::ApiGateway::Method', apiId)) {
    const at: KeyPath = ['Resources', id, 'Properties'];
    const path = paths.get(String(m.ResourceId));
    if (path === undefined)
      throw new TemplateIssue([...at, 'ResourceId'], 'is not a resource of the API');
    const verb = String(m.HttpMethod).toLowerCase();
    const item = ((doc.paths as Obj)[path] ??= {}) as Obj;
    const method: Obj = {
      responses: {},
      'x-amazon-apigateway-integration': integration(m.Integration, [...at, 'Integration']),
      security: methodSecurity(m, schemes, at, warnings),
    };
    if (m.RequestValidatorId !== undefined || m.RequestModels !== undefined)
      warnings.push({
        path: [...at, 'RequestValidatorId'],
        message: 'is not emulated for CloudFormation methods',
      });
    item[verb === 'any' ? 'x-amazon-apigateway-any-method' : verb] = method;
  }
}

function methodSecurity(m: Obj, schemes: Obj, at: KeyPath, warnings: TemplateWarning[]): Obj[] {
  const requirement: Obj = {};
  const type = String(m.AuthorizationType ?? 'NONE');
  if (type === 'CUSTOM' || type === 'COGNITO_USER_POOLS') {
    const name = String(m.AuthorizerId);
    if (!(name in schemes))
      throw new TemplateIssue(
        [...at, 'AuthorizerId'],
        `names ${name}, which is not an authorizer of the API`,
      );
    requirement[name] = Array.isArray(m.AuthorizationScopes) ? m.AuthorizationScopes : [];
  } else if (type === 'AWS_IAM') {
    schemes.sigv4 = {
      type: 'apiKey',
      name: 'Authorization',
      in: 'header',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    };
    requirement.sigv4 = [];
  } else if (type !== 'NONE')
    warnings.push({ path: [...at, 'AuthorizationType'], message: `${type} is not emulated` });
  if (m.ApiKeyRequired === true) {
    schemes.api_key = { type: 'apiKey', name: 'x-api-key', in: 'header' };
    requirement.api_key = [];
  }
  return Object.keys(requirement).length ? [requirement] : [];
}

const INTEGRATION_TYPES: Readonly<Record<string, string>> = {
  AWS_PROXY: 'aws_proxy',
  AWS: 'aws',
  MOCK: 'mock',
  HTTP: 'http',
  HTTP_PROXY: 'http_proxy',
};

/** CloudFormation's Integration property as the x-amazon-apigateway-integration extension. */
function integration(value: unknown, at: KeyPath): Obj {
  if (!isObj(value)) throw new TemplateIssue(at, 'is required');
  // Named here, at the Method's line, rather than by the gateway at a line of the generated document.
  if (value.Type === 'HTTP')
    throw new TemplateIssue(
      [...at, 'Type'],
      'HTTP (an HTTP integration with mapping templates) is not supported by the local gateway yet: HTTP_PROXY, AWS_PROXY, AWS and MOCK are',
    );
  const out: Obj = {
    type: INTEGRATION_TYPES[String(value.Type)] ?? String(value.Type).toLowerCase(),
  };
  const copy: [string, string][] = [
    ['IntegrationHttpMethod', 'httpMethod'],
    ['Uri', 'uri'],
    ['RequestTemplates', 'requestTemplates'],
    ['RequestParameters', 'requestParameters'],
    ['PassthroughBehavior', 'passthroughBehavior'],
    ['ContentHandling', 'contentHandling'],
    ['TimeoutInMillis', 'timeoutInMillis'],
    ['Credentials', 'credentials'],
  ];
  for (const [from, to] of copy) if (value[from] !== undefined) out[to] = value[from];
  if (typeof out.passthroughBehavior === 'string')
    out.passthroughBehavior = out.passthroughBehavior.toLowerCase();
  if (Array.isArray(value.IntegrationResponses)) {
    const responses: Obj = {};
    for (const r of value.IntegrationResponses.filter(isObj)) {
      const entry: Obj = { statusCode: String(r.StatusCode) };
      if (r.ResponseTemplates !== undefined) entry.responseTemplates = r.ResponseTemplates;
      if (r.ResponseParameters !== undefined) entry.responseParameters = r.ResponseParameters;
      responses[
        typeof r.SelectionPattern === 'string' && r.SelectionPattern
          ? r.SelectionPattern
          : 'default'
      ] = entry;
    }
    out.responses = responses;
  }
  return out;
}

function authorizerSchemes(stack: Stack, apiId: string): Obj {
  const schemes: Obj = {};
  for (const [id, a] of resourcesOf(stack, 'AWS::ApiGateway::Authorizer', apiId)) {
    const type = String(a.Type).toLowerCase();
    const source = typeof a.IdentitySource === 'string' ? a.IdentitySource : undefined;
    const header = /^method\.request\.header\.(.+)$/.exec(source ?? '')?.[1] ?? 'Authorization';
    const ext: Obj = { type };
    if (a.AuthorizerUri !== undefined) ext.authorizerUri = a.AuthorizerUri;
    if (source !== undefined) ext.identitySource = source;
    if (a.IdentityValidationExpression !== undefined)
      ext.identityValidationExpression = a.IdentityValidationExpression;
    if (a.AuthorizerResultTtlInSeconds !== undefined)
      ext.authorizerResultTtlInSeconds = Number(a.AuthorizerResultTtlInSeconds);
    if (Array.isArray(a.ProviderARNs)) ext.providerARNs = a.ProviderARNs;
    schemes[id] = {
      type: 'apiKey',
      name: type === 'request' ? 'Unused' : header,
      in: 'header',
      'x-amazon-apigateway-authtype':
        type === 'cognito_user_pools' ? 'cognito_user_pools' : 'custom',
      'x-amazon-apigateway-authorizer': ext,
    };
  }
  return schemes;
}

function gatewayResponses(responses: [string, Obj][]): Obj {
  const out: Obj = {};
  for (const [, r] of responses) {
    const g: Obj = {};
    if (r.StatusCode !== undefined) g.statusCode = String(r.StatusCode);
    if (r.ResponseParameters !== undefined) g.responseParameters = r.ResponseParameters;
    if (r.ResponseTemplates !== undefined) g.responseTemplates = r.ResponseTemplates;
    out[String(r.ResponseType)] = g;
  }
  return out;
}

function usagePlans(
  stack: Stack,
  apiId: string,
  stageId: string | undefined,
  localKey: (name: string) => { name: string; value: string },
  warnings: TemplateWarning[],
): CfnRestApi['plans'] {
  const keys = new Map<string, { name: string; value: string }>();
  for (const [id, r] of stack.resources)
    if (r.Type === 'AWS::ApiGateway::ApiKey' && stack.exists(id)) {
      const p = (stack.resolve(r.Properties, ['Resources', id, 'Properties']) ?? {}) as Obj;
      keys.set(id, typeof p.Value === 'string' ? { name: id, value: p.Value } : localKey(id));
    }
  const planKeys = [...stack.resources].filter(
    ([, r]) => r.Type === 'AWS::ApiGateway::UsagePlanKey',
  );
  const out: CfnRestApi['plans'][number][] = [];
  for (const [id, r] of stack.resources) {
    if (r.Type !== 'AWS::ApiGateway::UsagePlan' || !stack.exists(id)) continue;
    const stages = Array.isArray(r.Properties.ApiStages) ? r.Properties.ApiStages : [];
    // A plan applies to the served stage: an entry naming another Stage resource is not this one.
    const ours = stages.findIndex(
      (s) =>
        isObj(s) &&
        isObj(s.ApiId) &&
        s.ApiId.Ref === apiId &&
        !(isObj(s.Stage) && stageId !== undefined && s.Stage.Ref !== stageId),
    );
    if (ours < 0) continue;
    if ((stages[ours] as Obj).Throttle !== undefined)
      warnings.push({
        path: ['Resources', id, 'Properties', 'ApiStages', ours, 'Throttle'],
        message:
          'is not emulated by the local gateway (per-method limits): the plan-wide Throttle applies',
      });
    const p = (stack.resolve(r.Properties, ['Resources', id, 'Properties']) ?? {}) as Obj;
    const apiKeys = planKeys
      .filter(
        ([, k]) => isObj(k.Properties.UsagePlanId) && (k.Properties.UsagePlanId as Obj).Ref === id,
      )
      .map(([, k]) => keys.get(String((k.Properties.KeyId as Obj | undefined)?.Ref)))
      .filter((k): k is { name: string; value: string } => k !== undefined);
    out.push({
      name: id,
      ...planLimits(p),
      apiKeys,
    });
  }
  return out;
}

/** A usage plan's Throttle and Quota (SAM's Auth.UsagePlan and AWS::ApiGateway::UsagePlan alike). */
export function planLimits(plan: Obj): {
  throttle?: { rateLimit: number; burstLimit: number };
  quota?: { limit: number; period: string; offset?: number };
} {
  const { Throttle: throttle, Quota: quota } = plan;
  return {
    ...(isObj(throttle)
      ? {
          throttle: {
            rateLimit: Number(throttle.RateLimit),
            burstLimit: Number(throttle.BurstLimit),
          },
        }
      : {}),
    ...(isObj(quota)
      ? {
          quota: {
            limit: Number(quota.Limit),
            period: String(quota.Period),
            ...(quota.Offset !== undefined ? { offset: Number(quota.Offset) } : {}),
          },
        }
      : {}),
  };
}
