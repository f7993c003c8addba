// The local stack a template describes: its parameters (defaults, then overrides), pseudo
// parameters with local values, what Ref and Fn::GetAtt give for each resource, and its Conditions.
import type { KeyPath } from '../core/key-path.js';
import { LOCAL_API } from '../gateway/events.js';
import { TemplateIssue } from './issue.js';
import { evaluateCondition, resolveValue, type ResolveContext } from './intrinsics.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Resource {
  readonly Type: string;
  readonly Properties: Obj;
  readonly Condition?: string;
  readonly Metadata?: Obj;
}

export interface StackOptions {
  /** `--parameter-overrides K=V`: wins over each parameter's Default. */
  readonly parameterOverrides?: Readonly<Record<string, string>>;
  /** AWS::StackName; default `local`. */
  readonly stackName?: string;
}

export interface Stack {
  readonly resources: ReadonlyMap<string, Resource>;
  readonly context: ResolveContext;
  /** A property of a resource with its intrinsics resolved; undefined when absent or AWS::NoValue. */
  resolve(value: unknown, path: KeyPath): unknown;
  /** Is the resource created (its Condition true, or none)? */
  exists(logicalId: string): boolean;
}

const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);
const REST_TYPES = new Set([
  'AWS::Serverless::Api',
  'AWS::ApiGateway::RestApi',
  'AWS::Serverless::HttpApi',
  'AWS::ApiGatewayV2::Api',
]);

/** The stack of a parsed template; a bad Parameters or Resources section is a TemplateIssue. */
export function createStack(template: Obj, options: StackOptions = {}): Stack {
  const resources = readResources(template.Resources);
  const parameters = readParameters(template.Parameters, options);
  const region = LOCAL_API.region;
  const account = LOCAL_API.account;
  const stackName = options.stackName ?? 'local';
  const pseudo: [string, string | string[]][] = [
    ['AWS::Region', region],
    ['AWS::AccountId', account],
    ['AWS::StackName', stackName],
    ['AWS::StackId', `arn:aws:cloudformation:${region}:${account}:stack/${stackName}/local`],
    ['AWS::Partition', 'aws'],
    ['AWS::URLSuffix', 'amazonaws.com'],
    ['AWS::NotificationARNs', []],
  ];
  const allParameters = new Map<string, string | number | readonly string[]>([
    ...pseudo,
    ...parameters.values,
  ]);
  const conditions = isObj(template.Conditions) ? template.Conditions : {};
  const evaluated = new Map<string, boolean>();
  const evaluating = new Set<string>();
  const functionName = (id: string): string => {
    const name = resources.get(id)!.Properties.FunctionName;
    return typeof name === 'string' && name ? name : id;
  };
  const context: ResolveContext = {
    parameters: allParameters,
    unsetParameters: parameters.missing,
    mappings: isObj(template.Mappings) ? template.Mappings : {},
    ref(id) {
      const r = resources.get(id);
      if (!r) return undefined;
      if (FUNCTION_TYPES.has(r.Type)) return functionName(id);
      if (REST_TYPES.has(r.Type)) return LOCAL_API.apiId;
      // A user pool's id, as its Arn names it (HttpUserPoolAuthorizer builds the issuer from it).
      if (r.Type === 'AWS::Cognito::UserPool') return `${region}_${id}`;
      return id;
    },
    getAtt(id, attribute) {
      const r = resources.get(id);
      return r && attributeOf(r, id, attribute, functionName);
    },
    condition(name) {
      if (evaluated.has(name)) return evaluated.get(name);
      if (!(name in conditions)) return undefined;
      if (evaluating.has(name))
        throw new TemplateIssue(['Conditions', name], 'refers to itself through other conditions');
      evaluating.add(name);
      const value = evaluateCondition(conditions[name], context, ['Conditions', name]);
      evaluated.set(name, value);
      return value;
    },
  };
  return {
    resources,
    context,
    resolve(value, path) {
      const v = resolveValue(value, context, path);
      return typeof v === 'symbol' ? undefined : v;
    },
    exists(id) {
      const condition = resources.get(id)?.Condition;
      if (condition === undefined) return resources.has(id);
      const value = context.condition(condition);
      if (value === undefined)
        throw new TemplateIssue(
          ['Resources', id, 'Condition'],
          `there is no condition ${condition} in Conditions`,
        );
      return value;
    },
  };
}

/** Fn::GetAtt for the attributes the readers use, with the local stack's region and account. */
function attributeOf(
  r: Resource,
  id: string,
  attribute: string,
  functionName: (id: string) => string,
): string | undefined {
  const { region, account } = LOCAL_API;
  if (FUNCTION_TYPES.has(r.Type) && attribute === 'Arn')
    return `arn:aws:lambda:${region}:${account}:function:${functionName(id)}`;
  if (r.Type === 'AWS::Cognito::UserPool' && attribute === 'Arn')
    return `arn:aws:cognito-idp:${region}:${account}:userpool/${region}_${id}`;
  if (r.Type === 'AWS::Cognito::UserPool' && attribute === 'ProviderURL')
    return `cognito-idp.${region}.amazonaws.com/${region}_${id}`;
  if (REST_TYPES.has(r.Type) && attribute === 'RootResourceId') return 'root';
  if (REST_TYPES.has(r.Type) && attribute === 'ApiEndpoint')
    return `https://${LOCAL_API.apiId}.execute-api.${region}.amazonaws.com`;
  if (r.Type === 'AWS::IAM::Role' && attribute === 'Arn')
    return `arn:aws:iam::${account}:role/${id}`;
  return undefined;
}

function readResources(value: unknown): Map<string, Resource> {
  if (!isObj(value)) throw new TemplateIssue(['Resources'], 'must be a mapping of resources');
  const out = new Map<string, Resource>();
  for (const [id, r] of Object.entries(value)) {
    if (!isObj(r) || typeof r.Type !== 'string')
      throw new TemplateIssue(['Resources', id], 'must be a mapping with a Type');
    if (r.Properties !== undefined && !isObj(r.Properties))
      throw new TemplateIssue(['Resources', id, 'Properties'], 'must be a mapping');
    out.set(id, {
      Type: r.Type,
      Properties: (r.Properties as Obj | undefined) ?? {},
      ...(typeof r.Condition === 'string' ? { Condition: r.Condition } : {}),
      ...(isObj(r.Metadata) ? { Metadata: r.Metadata } : {}),
    });
  }
  return out;
}

interface Parameters {
  readonly values: Map<string, string | number | readonly string[]>;
  /** Parameters with neither a Default nor an override: an error only where one is used. */
  readonly missing: Set<string>;
}

function readParameters(value: unknown, options: StackOptions): Parameters {
  const declared = isObj(value) ? value : {};
  const overrides = options.parameterOverrides ?? {};
  for (const name of Object.keys(overrides))
    if (!(name in declared))
      throw new TemplateIssue(
        ['Parameters'],
        `--parameter-overrides names ${name}, which the template does not declare`,
      );
  const values = new Map<string, string | number | readonly string[]>();
  const missing = new Set<string>();
  for (const [name, p] of Object.entries(declared)) {
    const spec = isObj(p) ? p : {};
    const raw = overrides[name] ?? spec.Default;
    if (raw === undefined) {
      missing.add(name);
      continue;
    }
    const text = Array.isArray(raw) ? raw.join(',') : String(raw);
    const allowed = spec.AllowedValues;
    if (Array.isArray(allowed) && !allowed.map(String).includes(text))
      throw new TemplateIssue(
        ['Parameters', name, 'AllowedValues'],
        `does not allow ${JSON.stringify(text)} (allowed: ${allowed.join(', ')})`,
      );
    if (
      typeof spec.AllowedPattern === 'string' &&
      !new RegExp(`^(?:${spec.AllowedPattern})$`).test(text)
    )
      throw new TemplateIssue(
        ['Parameters', name, 'AllowedPattern'],
        `does not match ${JSON.stringify(text)}`,
      );
    const listType = typeof spec.Type === 'string' && /^(CommaDelimitedList|List<)/.test(spec.Type);
    // SAM's translator substitutes a Default as the template wrote it (60, not "60").
    const plain = overrides[name] === undefined && typeof raw === 'number' ? raw : text;
    values.set(name, listType ? text.split(',').map((s) => s.trim()) : plain);
  }
  return { values, missing };
}
