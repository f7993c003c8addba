// Reads an OpenAPI 3.0 or Swagger 2.0 document with API Gateway's extensions, as API Gateway
// imports it for a REST API, into the authorizers and the route table the gateway serves.
import { readFile } from 'node:fs/promises';
import { isScalar, LineCounter, parseDocument, visit, type Node } from 'yaml';
import { formatKeyPath, type KeyPath } from '../core/key-path.js';
import { parseTemplate } from '../core/rules-template.js';
import type { RouteMethod, Segment } from '../core/rules-types.js';
import { offsetOf } from '../config/yaml-position.js';
import { compileRoutes, type RouteTable } from './routes.js';

/** Where an authorizer reads one identity value (spec sections 1 and 2). */
export interface IdentitySource {
  readonly kind: 'header' | 'query' | 'stageVariable' | 'context';
  readonly name: string;
  /** As the document wrote it, e.g. `method.request.header.Authorization`. */
  readonly expression: string;
}

export interface AuthorizerSpec {
  /** The security scheme's name, which operations list in `security`. */
  readonly name: string;
  readonly type: 'token' | 'request';
  /** The Lambda function's name, from `authorizerUri`; the gateway's `functions` map is keyed by it. */
  readonly functionName: string;
  readonly identitySources: readonly IdentitySource[];
  /** TOKEN only; API Gateway ignores it for REQUEST authorizers. */
  readonly validationExpression: RegExp | undefined;
  /** 0 disables the result cache. */
  readonly ttlSeconds: number;
}

export type Integration =
  | { readonly type: 'aws_proxy'; readonly functionName: string }
  | { readonly type: 'http_proxy'; readonly uri: string; readonly httpMethod: string }
  | { readonly type: 'mock'; readonly statusCode: number; readonly headers: Readonly<Record<string, string>>; readonly body: string };

export interface Operation {
  readonly method: RouteMethod;
  /** The path template, e.g. `/pets/{petId}`. */
  readonly template: string;
  readonly segments: readonly Segment[];
  /** The authorizer's name, or undefined for an operation without one (open to anyone). */
  readonly authorizer: string | undefined;
  readonly integration: Integration;
}

export interface ApiDefinition {
  readonly title: string;
  readonly authorizers: ReadonlyMap<string, AuthorizerSpec>;
  readonly routes: RouteTable;
}

/** A problem in the document, named by file, line, column and key path. */
export class ApiDocumentError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly path: KeyPath,
    readonly problem: string,
  ) {
    super(`${file}:${line}:${column}: ${path.length ? `${formatKeyPath(path)} ` : ''}${problem}`);
    this.name = 'ApiDocumentError';
  }
}

/** Thrown inside validation with a key path; turned into an ApiDocumentError with a position. */
class Issue {
  constructor(
    readonly path: KeyPath,
    readonly message: string,
    readonly atKey = false,
  ) {}
}

const fail = (path: KeyPath, message: string, atKey = false): never => {
  throw new Issue(path, message, atKey);
};

export async function loadApi(file: string): Promise<ApiDefinition> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    throw new ApiDocumentError(file, 0, 0, [], `cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseApi(source, file);
}

/** Parses and validates the document text as if read from `file` (named in errors). The first problem is thrown. */
export function parseApi(source: string, file: string): ApiDefinition {
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number, path: KeyPath, message: string): ApiDocumentError => {
    const { line, col } = lines.linePos(offset);
    return new ApiDocumentError(file, line, col, path, message);
  };
  const syntax = doc.errors[0];
  if (syntax) throw at(syntax.pos[0], [], `is not valid YAML or JSON: ${syntax.message.split('\n')[0]}`);
  let complexKey: Node | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key)) {
        complexKey = pair.key as Node;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (complexKey) throw at(complexKey.range?.[0] ?? 0, [], 'has a list or a mapping as a key');
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw at(0, [], `cannot be read: ${(error as Error).message}`);
  }
  try {
    return validateApi(value);
  } catch (error) {
    if (error instanceof Issue) throw at(offsetOf(doc, error.path, error.atKey), error.path, error.message);
    throw error;
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function object(v: unknown, path: KeyPath, what = 'a mapping'): Obj {
  return isObj(v) ? v : fail(path, `must be ${what}`);
}

function string(v: unknown, path: KeyPath): string {
  return typeof v === 'string' && v !== '' ? v : fail(path, 'must be a non-empty string');
}

// Swagger/OpenAPI operation keys; API Gateway's extension stands for every method.
const OPERATION_KEYS: Record<string, RouteMethod> = {
  get: 'GET',
  put: 'PUT',
  post: 'POST',
  delete: 'DELETE',
  options: 'OPTIONS',
  head: 'HEAD',
  patch: 'PATCH',
  'x-amazon-apigateway-any-method': 'ANY',
};
// Keys a path item may have besides operations.
const PATH_ITEM_OTHER = new Set(['parameters', 'summary', 'description', 'servers', '$ref']);

// Keys that mark an HTTP API (v2) document: this gateway emulates REST APIs only, so far.
const HTTP_API_ONLY = ['authorizerPayloadFormatVersion', 'enableSimpleResponses'];

function validateApi(root: unknown): ApiDefinition {
  const doc = object(root, [], 'an OpenAPI 3.0 or Swagger 2.0 document (a mapping)');
  const swagger = doc.swagger !== undefined;
  if (swagger ? String(doc.swagger) !== '2.0' : !/^3\.0(\.\d+)?$/.test(String(doc.openapi ?? ''))) {
    fail(swagger ? ['swagger'] : doc.openapi === undefined ? [] : ['openapi'], swagger ? 'must be "2.0"' : 'must be an OpenAPI 3.0 document (openapi: 3.0.x) or Swagger 2.0 (swagger: "2.0")');
  }
  const info = doc.info === undefined ? {} : object(doc.info, ['info']);
  const title = typeof info.title === 'string' ? info.title : 'API';

  const schemesPath: KeyPath = swagger ? ['securityDefinitions'] : ['components', 'securitySchemes'];
  const schemes = swagger ? doc.securityDefinitions : isObj(doc.components) ? doc.components.securitySchemes : undefined;
  const authorizers = new Map<string, AuthorizerSpec>();
  const otherSchemes = new Set<string>();
  for (const [name, scheme] of Object.entries(schemes === undefined ? {} : object(schemes, schemesPath))) {
    const path = [...schemesPath, name];
    const s = object(scheme, path);
    if (s['x-amazon-apigateway-authorizer'] === undefined) otherSchemes.add(name);
    else authorizers.set(name, readAuthorizer(name, s, path));
  }

  const globalSecurity = doc.security === undefined ? undefined : readSecurity(doc.security, ['security'], authorizers, otherSchemes);
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(object(doc.paths ?? fail([], 'has no paths'), ['paths']))) {
    const itemPath: KeyPath = ['paths', template];
    const parsed = parseTemplate(template);
    if (!parsed.ok) fail(itemPath, parsed.message, true);
    const segments = (parsed as { value: Segment[] }).value;
    for (const [key, op] of Object.entries(object(item, itemPath))) {
      const opPath = [...itemPath, key];
      const method = OPERATION_KEYS[key];
      if (method === undefined) {
        if (PATH_ITEM_OTHER.has(key) || key.startsWith('x-')) continue;
        fail(opPath, `is not an operation API Gateway knows (${Object.keys(OPERATION_KEYS).join(', ')})`, true);
      }
      const o = object(op, opPath);
      const authorizer = o.security === undefined ? globalSecurity : readSecurity(o.security, [...opPath, 'security'], authorizers, otherSchemes);
      const integration = readIntegration(o['x-amazon-apigateway-integration'], [...opPath, 'x-amazon-apigateway-integration']);
      operations.push({ method: method!, template, segments, authorizer, integration });
    }
  }
  const table = compileRoutes(operations);
  if (!table.ok) fail(['paths', table.duplicate.template], table.message, true);
  return { title, authorizers, routes: (table as { ok: true; table: RouteTable }).table };
}

/**
 * `security: [{ tollgate: [] }]` → the authorizer's name; `[]` → none. API Gateway attaches one
 * authorizer per method, so a requirement naming two, or alternatives, are refused rather than
 * half-applied.
 */
function readSecurity(v: unknown, path: KeyPath, authorizers: ReadonlyMap<string, AuthorizerSpec>, other: ReadonlySet<string>): string | undefined {
  if (!Array.isArray(v)) fail(path, 'must be a list of security requirements');
  const list = v as unknown[];
  if (list.length === 0) return undefined;
  if (list.length > 1) fail(path, 'lists alternatives; API Gateway applies one authorizer per method');
  const names = Object.keys(object(list[0], [...path, 0]));
  if (names.length === 0) return undefined;
  if (names.length > 1) fail([...path, 0], `names ${names.join(' and ')}; API Gateway applies one authorizer per method`);
  const name = names[0]!;
  if (authorizers.has(name)) return name;
  // Fail closed: an API key scheme the gateway does not enforce yet must not leave the route open.
  if (other.has(name)) fail([...path, 0, name], `is a security scheme without x-amazon-apigateway-authorizer (API keys and usage plans are not supported yet)`, true);
  return fail([...path, 0, name], 'is not a security scheme defined in the document', true);
}

// `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:{region}:{account}:function:{name}[:{alias}]/invocations`
const FUNCTION_IN_URI = /:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9_$-]+)?(?:\/invocations)?$/;

function functionName(uri: unknown, path: KeyPath): string {
  const m = FUNCTION_IN_URI.exec(string(uri, path));
  return m ? m[1]! : fail(path, 'must name a Lambda function (…:function:NAME/invocations)');
}

const IDENTITY_SOURCE = /^(method\.request\.header|method\.request\.querystring|stageVariables|context)\.([^\s,]+)$/;
const SOURCE_KIND = {
  'method.request.header': 'header',
  'method.request.querystring': 'query',
  stageVariables: 'stageVariable',
  context: 'context',
} as const;

function readAuthorizer(name: string, scheme: Obj, schemePath: KeyPath): AuthorizerSpec {
  const path = [...schemePath, 'x-amazon-apigateway-authorizer'];
  const ext = object(scheme['x-amazon-apigateway-authorizer'], path);
  for (const key of HTTP_API_ONLY) if (ext[key] !== undefined) fail([...path, key], 'is an HTTP API setting; only REST API authorizers are supported so far', true);
  const type = String(ext.type ?? '').toLowerCase();
  if (type !== 'token' && type !== 'request') fail([...path, 'type'], 'must be "token" or "request" (cognito_user_pools and jwt are not supported yet)');

  let ttlSeconds = 300;
  if (ext.authorizerResultTtlInSeconds !== undefined) {
    const ttl = ext.authorizerResultTtlInSeconds;
    if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 3600) fail([...path, 'authorizerResultTtlInSeconds'], 'must be a whole number of seconds from 0 (no caching) to 3600');
    ttlSeconds = ttl as number;
  }

  // A TOKEN authorizer reads one header: the scheme's `name` (in: header) unless identitySource says otherwise.
  let sourceText: string | undefined;
  if (ext.identitySource !== undefined) sourceText = string(ext.identitySource, [...path, 'identitySource']);
  else if (type === 'token') {
    if (scheme.in !== 'header' || typeof scheme.name !== 'string' || !scheme.name) fail(schemePath, 'a token authorizer needs `in: header` and the header `name` (or identitySource)');
    sourceText = `method.request.header.${scheme.name as string}`;
  }
  const identitySources = (sourceText ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((expression): IdentitySource => {
      const m = IDENTITY_SOURCE.exec(expression);
      if (m === null) return fail([...path, 'identitySource'], `has ${JSON.stringify(expression)}; use method.request.header.NAME, method.request.querystring.NAME, stageVariables.NAME or context.NAME`);
      return { kind: SOURCE_KIND[m![1] as keyof typeof SOURCE_KIND], name: m![2]!, expression };
    });
  if (type === 'token' && (identitySources.length !== 1 || identitySources[0]!.kind !== 'header')) {
    fail([...path, 'identitySource'], 'must be one header (method.request.header.NAME) for a token authorizer');
  }
  // Spec section 2: the identity sources are the cache key, so caching needs at least one.
  if (type === 'request' && ttlSeconds > 0 && identitySources.length === 0) fail(path, 'needs an identitySource when authorizerResultTtlInSeconds is not 0');

  let validationExpression: RegExp | undefined;
  if (ext.identityValidationExpression !== undefined && type === 'token') {
    const source = string(ext.identityValidationExpression, [...path, 'identityValidationExpression']);
    try {
      validationExpression = new RegExp(source);
    } catch (error) {
      fail([...path, 'identityValidationExpression'], `is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  return { name, type: type as 'token' | 'request', functionName: functionName(ext.authorizerUri, [...path, 'authorizerUri']), identitySources, validationExpression, ttlSeconds };
}

function readIntegration(v: unknown, path: KeyPath): Integration {
  if (v === undefined) fail(path, 'is missing: every operation needs an integration (aws_proxy, http_proxy or mock)', true);
  const ext = object(v, path);
  const type = String(ext.type ?? '').toLowerCase();
  switch (type) {
    case 'aws_proxy':
      return { type, functionName: functionName(ext.uri, [...path, 'uri']) };
    case 'http_proxy': {
      const uri = string(ext.uri, [...path, 'uri']);
      if (!/^https?:\/\//.test(uri)) fail([...path, 'uri'], 'must be an http:// or https:// URL');
      return { type, uri, httpMethod: typeof ext.httpMethod === 'string' ? ext.httpMethod.toUpperCase() : 'ANY' };
    }
    case 'mock':
      return readMock(ext, path);
    default:
      return fail([...path, 'type'], 'must be aws_proxy, http_proxy or mock (aws and http with mapping templates are not supported yet)');
  }
}

/**
 * A mock integration's answer: `responses.default` with its statusCode, static header values
 * (`method.response.header.X: "'value'"`) and the `application/json` response template, used as
 * the body verbatim (templates are not evaluated).
 */
function readMock(ext: Obj, path: KeyPath): Integration {
  const responses = ext.responses === undefined ? {} : object(ext.responses, [...path, 'responses']);
  const def = responses.default === undefined ? {} : object(responses.default, [...path, 'responses', 'default']);
  const base: KeyPath = [...path, 'responses', 'default'];
  const statusCode = def.statusCode === undefined ? 200 : Number(def.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) fail([...base, 'statusCode'], 'must be an HTTP status code');
  const headers: Record<string, string> = {};
  const params = def.responseParameters === undefined ? {} : object(def.responseParameters, [...base, 'responseParameters']);
  for (const [key, value] of Object.entries(params)) {
    const m = /^method\.response\.header\.(.+)$/.exec(key);
    const literal = typeof value === 'string' ? /^'(.*)'$/s.exec(value) : null;
    if (!m || !literal) fail([...base, 'responseParameters', key], "must map method.response.header.NAME to a quoted literal ('value')", true);
    headers[m![1]!] = literal![1]!;
  }
  const templates = def.responseTemplates === undefined ? {} : object(def.responseTemplates, [...base, 'responseTemplates']);
  const body = templates['application/json'] ?? '';
  if (typeof body !== 'string') fail([...base, 'responseTemplates', 'application/json'], 'must be a string');
  if (body !== '' && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  return { type: 'mock', statusCode, headers, body: body as string };
}
