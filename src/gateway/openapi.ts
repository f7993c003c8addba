// Reads an OpenAPI 3.0 or Swagger 2.0 document with API Gateway's extensions, as API Gateway
// imports it for a REST API, into the authorizers and the route table the gateway serves.
import { readFile } from 'node:fs/promises';
import { isScalar, LineCounter, parseDocument, visit, type Node } from 'yaml';
import { formatKeyPath, type KeyPath } from '../core/key-path.js';
import { parseTemplate } from '../core/rules-template.js';
import type { RouteMethod, Segment } from '../core/rules-types.js';
import type { Algorithm } from '../core/algorithms.js';
import { offsetOf } from '../settings/yaml-position.js';
import { readApiSettings, type ApiSettings } from './api-settings.js';
import { SettingIssue } from './extensions.js';
import { readMapping, type Mapping } from './integration-mapping.js';
import { compileRoutes, type RouteTable } from './routes.js';
import { documentBasePath, mountTemplate, type BasePathMode } from './base-path.js';
import {
  cognitoWarnings,
  readCognitoAuthorizer,
  type CognitoAuthorizerSpec,
} from './cognito-spec.js';
import { TollgateError } from '../core/errors.js';

/** Where an authorizer reads one identity value (spec sections 1, 2 and 6). */
export interface IdentitySource {
  readonly kind: 'header' | 'query' | 'stageVariable' | 'context';
  readonly name: string;
  /** As the document wrote it, e.g. `method.request.header.Authorization` or `$request.header.Authorization`. */
  readonly expression: string;
}

/** REST APIs (API Gateway v1) and HTTP APIs (v2) import the same extensions but behave differently. */
export type ApiFlavour = 'rest' | 'http';

interface AuthorizerBase {
  /** The security scheme's name, which operations list in `security`. */
  readonly name: string;
  readonly identitySources: readonly IdentitySource[];
  /** 0 disables the result cache. */
  readonly ttlSeconds: number;
}

export interface LambdaAuthorizerSpec extends AuthorizerBase {
  readonly type: 'token' | 'request';
  /** The Lambda function's name, from `authorizerUri`; the gateway's `functions` map is keyed by it. */
  readonly functionName: string;
  /** TOKEN only; API Gateway ignores it for REQUEST authorizers. */
  readonly validationExpression: RegExp | undefined;
  /** HTTP APIs only: the authorizer event's version (spec section 6); undefined for REST. */
  readonly payloadFormatVersion: '1.0' | '2.0' | undefined;
  /** HTTP APIs, payload 2.0 only: `{ isAuthorized, context }` answers instead of IAM policies. */
  readonly simpleResponses: boolean;
}

/** A claim rule of a REST JWT authorizer's issuer (`additionalClaims`, AWS's JwtAdditionalClaim). */
export interface JwtAdditionalClaim {
  readonly name: string;
  /** The token must carry the claim. */
  readonly required: boolean;
  /** When not empty, a present claim must equal one of these exactly (case-sensitive). */
  readonly expectedValues: readonly string[];
}

export interface JwtIssuerSpec {
  readonly issuer: string;
  readonly audiences: readonly string[];
  readonly additionalClaims: readonly JwtAdditionalClaim[];
}

/**
 * API Gateway's native JWT authorizer: no function, API Gateway verifies. HTTP APIs (spec section
 * 7): one issuer, RSA only, `client_id` when `aud` is absent. REST APIs (docs/emulation.md): several
 * issuers with their own audiences and claim rules, an algorithm allow-list.
 */
export interface JwtAuthorizerSpec extends AuthorizerBase {
  readonly type: 'jwt';
  readonly issuers: readonly JwtIssuerSpec[];
  readonly algorithms: readonly Algorithm[];
  /** HTTP APIs check `client_id` when the token has no `aud`; REST JWT authorizers document only `aud`. */
  readonly clientIdWithoutAud: boolean;
}

type AuthorizerSpec = LambdaAuthorizerSpec | JwtAuthorizerSpec | CognitoAuthorizerSpec;

export type Integration =
  /** `payloadFormatVersion`: the proxy event's shape; REST APIs always send 1.0. */
  | {
      readonly type: 'aws_proxy';
      readonly functionName: string;
      readonly payloadFormatVersion: '1.0' | '2.0';
    }
  | { readonly type: 'http_proxy'; readonly uri: string; readonly httpMethod: string }
  /** A fixed answer shaped by mapping templates. */
  | { readonly type: 'mock'; readonly mapping: Mapping }
  /** A Lambda function invoked with the request template's output (non-proxy), its answer mapped back. */
  | { readonly type: 'aws'; readonly functionName: string; readonly mapping: Mapping };

export interface Operation {
  readonly method: RouteMethod;
  /** The path template, e.g. `/pets/{petId}`. */
  readonly template: string;
  readonly segments: readonly Segment[];
  /** The authorizer's name, or undefined for an operation without one (open to anyone). */
  readonly authorizer: string | undefined;
  /** HTTP API JWT authorizers: the route's `authorizationScopes` (the token needs one of them). */
  readonly scopes: readonly string[];
  /** REST: the method requires an API key (a security requirement naming an `apiKey` scheme). */
  readonly apiKeyRequired: boolean;
  readonly integration: Integration;
  /** HTTP APIs: the `$default` route, which serves every request no other route matches. */
  readonly isDefault?: boolean;
}

/** A setting the local gateway does not (fully) emulate, for a start-up warning. */
interface ApiWarning {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
  /** `warning: FILE:LINE:COL: MESSAGE`, with how many more places say the same. */
  readonly text: string;
}

export interface ApiDefinition extends Partial<ApiSettings> {
  readonly title: string;
  readonly flavour: ApiFlavour;
  /** REST: where usage plans read the API key (`x-amazon-apigateway-api-key-source`). */
  readonly apiKeySource: 'HEADER' | 'AUTHORIZER';
  readonly authorizers: ReadonlyMap<string, AuthorizerSpec>;
  readonly routes: RouteTable;
  /** The document's base path (Swagger `basePath`, or OpenAPI 3.0's server), whatever the mode. */
  readonly basePath?: string | undefined;
  /** How it was applied to the paths (API Gateway's import `basepath` parameter). */
  readonly basePathMode?: BasePathMode;
  /** REST: `x-amazon-apigateway-binary-media-types` (`image/png`, `image/*`, `*\/*`); empty when unset. */
  readonly binaryMediaTypes: readonly string[];
  /** What the document sets that is not emulated; parseApi fills it in. */
  readonly warnings?: readonly ApiWarning[];
}

/** A problem in the document, named by file, line, column and key path. */
export class ApiDocumentError extends TollgateError<'API_DOCUMENT_INVALID'> {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly path: KeyPath,
    readonly problem: string,
  ) {
    // A file that cannot be read has no position to name.
    super(
      'API_DOCUMENT_INVALID',
      `${file}${line > 0 ? `:${line}:${column}` : ''}: ${path.length ? `${formatKeyPath(path)} ` : ''}${problem}`,
    );
    this.name = 'ApiDocumentError';
  }
}

// Thrown inside validation with a key path; turned into an ApiDocumentError with a position.
const fail = (path: KeyPath, message: string, atKey = false): never => {
  throw new SettingIssue(path, message, atKey);
};

/** How the document is imported: API Gateway's `basepath` import parameter (default `ignore`). */
export interface ImportOptions {
  readonly basePath?: BasePathMode;
}

export async function loadApi(file: string, options: ImportOptions = {}): Promise<ApiDefinition> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ApiDocumentError(
      file,
      0,
      0,
      [],
      `cannot be read: ${code === 'ENOENT' ? 'there is no such file' : (code ?? String(error))}`,
    );
  }
  return parseApi(source, file, options);
}

/** Parses and validates the document text as if read from `file` (named in errors). The first problem is thrown. */
export function parseApi(source: string, file: string, options: ImportOptions = {}): ApiDefinition {
  const lines = new LineCounter();
  // merge: YAML merge keys (`<<: *defaults`), common in hand-written OpenAPI files, as YAML 1.1 has them.
  const doc = parseDocument(source, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    merge: true,
  });
  const at = (offset: number, path: KeyPath, message: string): ApiDocumentError => {
    const { line, col } = lines.linePos(offset);
    return new ApiDocumentError(file, line, col, path, message);
  };
  const syntax = doc.errors[0];
  if (syntax)
    throw at(syntax.pos[0], [], `is not valid YAML or JSON: ${syntax.message.split('\n')[0]}`);
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
    const api = validateApi(value, options.basePath ?? 'ignore');
    const { settings, warnings } = readApiSettings(value as Obj, api.flavour);
    warnings.push(...cognitoWarningsIn(value as Obj));
    const positioned = warnings.map((w): ApiWarning => {
      const { line, col } = lines.linePos(offsetOf(doc, w.path, true));
      const more = w.more ? ` (and ${w.more} more place${w.more > 1 ? 's' : ''})` : '';
      return {
        file,
        line,
        column: col,
        message: w.message,
        text: `warning: ${file}:${line}:${col}: ${w.message}${more}`,
      };
    });
    return { ...api, ...settings, warnings: positioned };
  } catch (error) {
    if (error instanceof SettingIssue)
      throw at(offsetOf(doc, error.path, error.atKey), error.path, error.message);
    throw error;
  }
}

type Obj = Record<string, unknown>;

/** The document's Cognito authorizers' settings that are read but not emulated. */
function cognitoWarningsIn(doc: Obj): ReturnType<typeof cognitoWarnings> {
  const swagger = doc.swagger !== undefined;
  const schemes = swagger
    ? doc.securityDefinitions
    : isObj(doc.components)
      ? doc.components.securitySchemes
      : undefined;
  const at: KeyPath = swagger ? ['securityDefinitions'] : ['components', 'securitySchemes'];
  return isObj(schemes) ? cognitoWarnings(schemes, at) : [];
}
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

/**
 * Which API Gateway the document is for. HTTP API exports carry `x-amazon-apigateway-importexport-version`;
 * otherwise HTTP-only settings (payload versions, simple responses, JWT authorizers, `$request.` identity
 * sources, `$default`) mark one. A document with both kinds of settings is refused, not guessed.
 */
function detectFlavour(doc: Obj): ApiFlavour {
  const httpSigns: KeyPath[] = [];
  const restSigns: KeyPath[] = [];
  if (doc['x-amazon-apigateway-importexport-version'] !== undefined)
    httpSigns.push(['x-amazon-apigateway-importexport-version']);
  if (doc['x-amazon-apigateway-api-key-source'] !== undefined)
    restSigns.push(['x-amazon-apigateway-api-key-source']);
  const schemesPath: KeyPath =
    doc.swagger !== undefined ? ['securityDefinitions'] : ['components', 'securitySchemes'];
  const schemes =
    doc.swagger !== undefined
      ? doc.securityDefinitions
      : isObj(doc.components)
        ? doc.components.securitySchemes
        : undefined;
  for (const [name, scheme] of Object.entries(isObj(schemes) ? schemes : {})) {
    const ext = isObj(scheme) ? scheme['x-amazon-apigateway-authorizer'] : undefined;
    if (!isObj(ext)) continue;
    const at = [...schemesPath, name, 'x-amazon-apigateway-authorizer'];
    for (const key of ['authorizerPayloadFormatVersion', 'enableSimpleResponses'])
      if (ext[key] !== undefined) httpSigns.push([...at, key]);
    // A REST API's JWT authorizer lists `issuers`; an HTTP API's names one `issuer`.
    const restJwt = isObj(ext.jwtConfiguration) && ext.jwtConfiguration.issuers !== undefined;
    if (ext.jwtConfiguration !== undefined)
      (restJwt ? restSigns : httpSigns).push([...at, 'jwtConfiguration']);
    const sources = Array.isArray(ext.identitySource)
      ? ext.identitySource
      : typeof ext.identitySource === 'string'
        ? ext.identitySource.split(',')
        : [];
    for (const src of sources) {
      if (typeof src !== 'string') continue;
      if (src.trim().startsWith('$')) httpSigns.push([...at, 'identitySource']);
      else if (/^(method\.request\.|stageVariables\.|context\.)/.test(src.trim()))
        restSigns.push([...at, 'identitySource']);
    }
    if (['token', 'cognito_user_pools'].includes(String(ext.type ?? '').toLowerCase()))
      restSigns.push([...at, 'type']);
  }
  for (const [template, item] of Object.entries(isObj(doc.paths) ? doc.paths : {})) {
    if (template === '$default' || template === '/$default') httpSigns.push(['paths', template]);
    for (const [key, op] of Object.entries(isObj(item) ? item : {})) {
      const integration = isObj(op) ? op['x-amazon-apigateway-integration'] : undefined;
      if (isObj(integration) && integration.payloadFormatVersion !== undefined)
        httpSigns.push([
          'paths',
          template,
          key,
          'x-amazon-apigateway-integration',
          'payloadFormatVersion',
        ]);
    }
  }
  if (httpSigns.length && restSigns.length) {
    fail(
      restSigns[0]!,
      `is a REST API setting, but ${formatKeyPath(httpSigns[0]!)} is an HTTP API one: a document is imported as one kind of API`,
      true,
    );
  }
  return httpSigns.length ? 'http' : 'rest';
}

function validateApi(root: unknown, basePathMode: BasePathMode): ApiDefinition {
  const doc = object(root, [], 'an OpenAPI 3.0 or Swagger 2.0 document (a mapping)');
  checkVersion(doc);
  const info = doc.info === undefined ? {} : object(doc.info, ['info']);
  const title = typeof info.title === 'string' ? info.title : 'API';
  const flavour = detectFlavour(doc);
  const apiKeySource = readApiKeySource(doc);
  const schemeSets = readSchemes(doc, flavour);
  const globalSecurity =
    doc.security === undefined ? undefined : readSecurity(doc.security, ['security'], schemeSets);
  const base = documentBasePath(doc);
  if (!base.ok) fail(base.path, base.message);
  const basePath = (base as { basePath: string | undefined }).basePath;
  const paths: PathContext = { flavour, basePath, basePathMode, globalSecurity, schemeSets };
  const operations: Operation[] = [];
  for (const [template, item] of Object.entries(
    object(doc.paths ?? fail([], 'has no paths'), ['paths']),
  ))
    operations.push(...readPathItem(paths, template, item));
  const table = compileRoutes(operations);
  if (!table.ok) fail(['paths', table.duplicate.template], table.message, true);
  const binaryMediaTypes = readBinaryMediaTypes(doc['x-amazon-apigateway-binary-media-types']);
  return {
    title,
    flavour,
    apiKeySource,
    authorizers: schemeSets.authorizers,
    routes: (table as { ok: true; table: RouteTable }).table,
    binaryMediaTypes,
    basePath,
    basePathMode,
  };
}

function checkVersion(doc: Obj): void {
  const swagger = doc.swagger !== undefined;
  if (swagger ? String(doc.swagger) !== '2.0' : !/^3\.0(\.\d+)?$/.test(String(doc.openapi ?? ''))) {
    fail(
      swagger ? ['swagger'] : doc.openapi === undefined ? [] : ['openapi'],
      swagger
        ? 'must be "2.0"'
        : 'must be an OpenAPI 3.0 document (openapi: 3.0.x) or Swagger 2.0 (swagger: "2.0")',
    );
  }
}

function readApiKeySource(doc: Obj): 'HEADER' | 'AUTHORIZER' {
  if (doc['x-amazon-apigateway-api-key-source'] === undefined) return 'HEADER';
  const source = String(doc['x-amazon-apigateway-api-key-source']).toUpperCase();
  if (source !== 'HEADER' && source !== 'AUTHORIZER')
    fail(['x-amazon-apigateway-api-key-source'], 'must be HEADER or AUTHORIZER');
  return source as 'HEADER' | 'AUTHORIZER';
}

/** The security schemes, sorted: authorizers, API keys, and the rest (which API Gateway ignores). */
function readSchemes(doc: Obj, flavour: ApiFlavour): SchemeSets {
  const swagger = doc.swagger !== undefined;
  const schemesPath: KeyPath = swagger
    ? ['securityDefinitions']
    : ['components', 'securitySchemes'];
  const schemes = swagger
    ? doc.securityDefinitions
    : isObj(doc.components)
      ? doc.components.securitySchemes
      : undefined;
  const authorizers = new Map<string, AuthorizerSpec>();
  const apiKeySchemes = new Set<string>();
  const otherSchemes = new Set<string>();
  for (const [name, scheme] of Object.entries(
    schemes === undefined ? {} : object(schemes, schemesPath),
  )) {
    const path = [...schemesPath, name];
    const s = object(scheme, path);
    if (s['x-amazon-apigateway-authorizer'] !== undefined)
      authorizers.set(name, readAuthorizer(name, s, path, flavour));
    // API Gateway's API key: an apiKey scheme in the x-api-key header without an authorizer.
    else if (
      s.type === 'apiKey' &&
      s.in === 'header' &&
      typeof s.name === 'string' &&
      s.name.toLowerCase() === 'x-api-key'
    )
      apiKeySchemes.add(name);
    else otherSchemes.add(name);
  }
  return { authorizers, apiKeySchemes, otherSchemes, flavour };
}

/** What reading a path item needs from the rest of the document. */
interface PathContext {
  readonly flavour: ApiFlavour;
  readonly basePath: string | undefined;
  readonly basePathMode: BasePathMode;
  /** The document's `security`, which an operation without its own inherits. */
  readonly globalSecurity: Security | undefined;
  readonly schemeSets: SchemeSets;
}

/** A path item's operations, its template mounted under the base path as the import mode says. */
function readPathItem(c: PathContext, template: string, item: unknown): Operation[] {
  const itemPath: KeyPath = ['paths', template];
  const isDefault = c.flavour === 'http' && (template === '$default' || template === '/$default');
  let segments: Segment[] = [];
  if (!isDefault) {
    const parsed = parseTemplate(mountTemplate(template, c.basePath, c.basePathMode));
    if (!parsed.ok) fail(itemPath, parsed.message, true);
    segments = (parsed as { value: Segment[] }).value;
  }
  const operations: Operation[] = [];
  for (const [key, op] of Object.entries(object(item, itemPath))) {
    const opPath = [...itemPath, key];
    const method = OPERATION_KEYS[key];
    if (method === undefined) {
      if (PATH_ITEM_OTHER.has(key) || key.startsWith('x-')) continue;
      fail(
        opPath,
        `is not an operation API Gateway knows (${Object.keys(OPERATION_KEYS).join(', ')})`,
        true,
      );
    }
    if (isDefault && method !== 'ANY')
      fail(
        opPath,
        'the $default route takes every method: use x-amazon-apigateway-any-method',
        true,
      );
    const o = object(op, opPath);
    const security =
      o.security === undefined
        ? (c.globalSecurity ?? NO_SECURITY)
        : readSecurity(o.security, [...opPath, 'security'], c.schemeSets);
    const integration = readIntegration(
      o['x-amazon-apigateway-integration'],
      [...opPath, 'x-amazon-apigateway-integration'],
      c.flavour,
    );
    operations.push({
      method: method!,
      template: isDefault ? '$default' : mountTemplate(template, c.basePath, c.basePathMode),
      segments,
      ...security,
      integration,
      ...(isDefault ? { isDefault } : {}),
    });
  }
  return operations;
}

/** A list of media types; `~1` (the JSON-Patch escape the API Gateway CLI needs for `/`) is read as `/`. */
function readBinaryMediaTypes(v: unknown): string[] {
  const path: KeyPath = ['x-amazon-apigateway-binary-media-types'];
  if (v === undefined) return [];
  if (!Array.isArray(v)) fail(path, 'must be a list of media types (e.g. [image/png, "*/*"])');
  return (v as unknown[]).map((t, i) => {
    const type = typeof t === 'string' ? t.trim().replace(/~1/g, '/') : '';
    if (!/^[^/\s]+\/[^/\s]+$/.test(type))
      fail([...path, i], 'must be a media type such as image/png, image/* or */*');
    return type;
  });
}

interface Security {
  readonly authorizer: string | undefined;
  readonly scopes: readonly string[];
  readonly apiKeyRequired: boolean;
}

const NO_SECURITY: Security = { authorizer: undefined, scopes: [], apiKeyRequired: false };

interface SchemeSets {
  readonly authorizers: ReadonlyMap<string, AuthorizerSpec>;
  readonly apiKeySchemes: ReadonlySet<string>;
  readonly otherSchemes: ReadonlySet<string>;
  readonly flavour: ApiFlavour;
}

/**
 * `security: [{ tollgate: [] }]` → the authorizer's name; `[]` → none; an `api_key: []` beside it →
 * an API key is required too. API Gateway attaches one authorizer per method, so a requirement naming
 * two, or alternatives, are refused rather than half-applied. Scopes are a JWT authorizer route's
 * `authorizationScopes`.
 */
function readSecurity(v: unknown, path: KeyPath, sets: SchemeSets): Security {
  if (!Array.isArray(v)) fail(path, 'must be a list of security requirements');
  const list = v as unknown[];
  if (list.length === 0) return NO_SECURITY;
  if (list.length > 1)
    fail(path, 'lists alternatives; API Gateway applies one authorizer per method');
  const requirement = object(list[0], [...path, 0]);
  let authorizer: string | undefined;
  let scopes: string[] = [];
  let apiKeyRequired = false;
  for (const [name, value] of Object.entries(requirement)) {
    const at: KeyPath = [...path, 0, name];
    if (sets.apiKeySchemes.has(name)) {
      if (sets.flavour === 'http')
        fail(at, 'is an API key; HTTP APIs have no API keys or usage plans', true);
      apiKeyRequired = true;
      continue;
    }
    if (sets.otherSchemes.has(name))
      fail(
        at,
        'is a security scheme API Gateway does not enforce (no x-amazon-apigateway-authorizer, and not an x-api-key header key): refused rather than leaving the route open',
        true,
      );
    const spec = sets.authorizers.get(name);
    if (!spec) fail(at, 'is not a security scheme defined in the document', true);
    if (authorizer !== undefined)
      fail(
        [...path, 0],
        `names ${authorizer} and ${name}; API Gateway applies one authorizer per method`,
      );
    authorizer = name;
    if (!Array.isArray(value) || !value.every((x) => typeof x === 'string' && x !== ''))
      fail(at, 'must be a list of scopes (usually [])');
    scopes = value as string[];
    if (scopes.length && spec!.type !== 'jwt' && spec!.type !== 'cognito')
      fail(
        at,
        'lists scopes, which only JWT authorizers check (a Lambda authorizer decides scopes itself)',
      );
  }
  return { authorizer, scopes, apiKeyRequired };
}

// `arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:{region}:{account}:function:{name}[:{alias}]/invocations`
const FUNCTION_IN_URI = /:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9_$-]+)?(?:\/invocations)?$/;

function functionName(uri: unknown, path: KeyPath): string {
  const m = FUNCTION_IN_URI.exec(string(uri, path));
  return m ? m[1]! : fail(path, 'must name a Lambda function (…:function:NAME/invocations)');
}

const REST_SOURCE =
  /^(method\.request\.header|method\.request\.querystring|stageVariables|context)\.([^\s,]+)$/;
const HTTP_SOURCE = /^\$(request\.header|request\.querystring|stageVariables|context)\.([^\s,]+)$/;
const SOURCE_KIND = {
  'method.request.header': 'header',
  'method.request.querystring': 'query',
  'request.header': 'header',
  'request.querystring': 'query',
  stageVariables: 'stageVariable',
  context: 'context',
} as const;

function readIdentitySources(v: unknown, path: KeyPath, flavour: ApiFlavour): IdentitySource[] {
  // REST writes one comma-separated string; HTTP API exports write a string or a list.
  const items = Array.isArray(v)
    ? v.map((x, i) => (typeof x === 'string' ? x : fail([...path, i], 'must be a string')))
    : string(v, path).split(',');
  const pattern = flavour === 'rest' ? REST_SOURCE : HTTP_SOURCE;
  const forms =
    flavour === 'rest'
      ? 'method.request.header.NAME, method.request.querystring.NAME, stageVariables.NAME or context.NAME'
      : '$request.header.NAME, $request.querystring.NAME, $stageVariables.NAME or $context.NAME';
  return items
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((expression): IdentitySource => {
      const m = pattern.exec(expression);
      if (m === null) return fail(path, `has ${JSON.stringify(expression)}; use ${forms}`);
      return { kind: SOURCE_KIND[m![1] as keyof typeof SOURCE_KIND], name: m![2]!, expression };
    });
}

function readTtl(ext: Obj, path: KeyPath, fallback: number): number {
  if (ext.authorizerResultTtlInSeconds === undefined) return fallback;
  const ttl = ext.authorizerResultTtlInSeconds;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > 3600)
    fail(
      [...path, 'authorizerResultTtlInSeconds'],
      'must be a whole number of seconds from 0 (no caching) to 3600',
    );
  return ttl as number;
}

function readAuthorizer(
  name: string,
  scheme: Obj,
  schemePath: KeyPath,
  flavour: ApiFlavour,
): AuthorizerSpec {
  const path = [...schemePath, 'x-amazon-apigateway-authorizer'];
  const ext = object(scheme['x-amazon-apigateway-authorizer'], path);
  const type = String(ext.type ?? '').toLowerCase();
  if (flavour === 'http') return readHttpAuthorizer(name, ext, path, type);
  if (type === 'jwt') return readRestJwtAuthorizer(name, scheme, ext, path, schemePath);
  if (type === 'cognito_user_pools') return readCognitoAuthorizer(name, scheme, ext, path, fail);
  if (type !== 'token' && type !== 'request')
    fail([...path, 'type'], 'must be "token", "request", "jwt" or "cognito_user_pools"');
  const ttlSeconds = readTtl(ext, path, 300);

  // A TOKEN authorizer reads one header: the scheme's `name` (in: header) unless identitySource says otherwise.
  let identitySources: IdentitySource[] = [];
  if (ext.identitySource !== undefined)
    identitySources = readIdentitySources(ext.identitySource, [...path, 'identitySource'], 'rest');
  else if (type === 'token') {
    if (scheme.in !== 'header' || typeof scheme.name !== 'string' || !scheme.name)
      fail(
        schemePath,
        'a token authorizer needs `in: header` and the header `name` (or identitySource)',
      );
    identitySources = readIdentitySources(
      `method.request.header.${scheme.name as string}`,
      schemePath,
      'rest',
    );
  }
  if (type === 'token' && (identitySources.length !== 1 || identitySources[0]!.kind !== 'header')) {
    fail(
      [...path, 'identitySource'],
      'must be one header (method.request.header.NAME) for a token authorizer',
    );
  }
  // Spec section 2: the identity sources are the cache key, so caching needs at least one.
  if (type === 'request' && ttlSeconds > 0 && identitySources.length === 0)
    fail(path, 'needs an identitySource when authorizerResultTtlInSeconds is not 0');

  let validationExpression: RegExp | undefined;
  if (ext.identityValidationExpression !== undefined && type === 'token') {
    const source = string(ext.identityValidationExpression, [
      ...path,
      'identityValidationExpression',
    ]);
    try {
      validationExpression = new RegExp(source);
    } catch (error) {
      fail(
        [...path, 'identityValidationExpression'],
        `is not a valid regular expression: ${(error as Error).message}`,
      );
    }
  }
  return {
    name,
    type: type as 'token' | 'request',
    functionName: functionName(ext.authorizerUri, [...path, 'authorizerUri']),
    identitySources,
    validationExpression,
    ttlSeconds,
    payloadFormatVersion: undefined,
    simpleResponses: false,
  };
}

/** HTTP API authorizers (spec sections 6 and 7): Lambda REQUEST authorizers with a payload version, or JWT. */
function readHttpAuthorizer(name: string, ext: Obj, path: KeyPath, type: string): AuthorizerSpec {
  if (type === 'jwt') {
    const config = object(
      ext.jwtConfiguration ??
        fail(path, 'needs jwtConfiguration (issuer and audience) for a jwt authorizer'),
      [...path, 'jwtConfiguration'],
    );
    const issuer = jwtIssuerUrl(config.issuer, [...path, 'jwtConfiguration', 'issuer']);
    const audiences = audienceList(config.audience, [...path, 'jwtConfiguration', 'audience']);
    const identitySources = readIdentitySources(
      ext.identitySource ?? '$request.header.Authorization',
      [...path, 'identitySource'],
      'http',
    );
    if (
      identitySources.length !== 1 ||
      (identitySources[0]!.kind !== 'header' && identitySources[0]!.kind !== 'query')
    ) {
      fail(
        [...path, 'identitySource'],
        'must be one header or query parameter for a jwt authorizer',
      );
    }
    // "Only RSA-based algorithms are supported" (AWS's HTTP API JWT authorizer docs).
    return {
      name,
      type: 'jwt',
      issuers: [{ issuer, audiences, additionalClaims: [] }],
      algorithms: ['RS256', 'RS384', 'RS512'],
      clientIdWithoutAud: true,
      identitySources,
      ttlSeconds: 0,
    };
  }
  if (type !== 'request') fail([...path, 'type'], 'must be "request" or "jwt" for an HTTP API');
  const version = String(ext.authorizerPayloadFormatVersion ?? '');
  if (version !== '1.0' && version !== '2.0')
    fail(
      [...path, 'authorizerPayloadFormatVersion'],
      'must be "1.0" or "2.0" (required for HTTP API Lambda authorizers)',
      ext.authorizerPayloadFormatVersion === undefined,
    );
  const simpleResponses = ext.enableSimpleResponses === true;
  if (ext.enableSimpleResponses !== undefined && typeof ext.enableSimpleResponses !== 'boolean')
    fail([...path, 'enableSimpleResponses'], 'must be true or false');
  if (simpleResponses && version !== '2.0')
    fail([...path, 'enableSimpleResponses'], 'needs authorizerPayloadFormatVersion "2.0"');
  const ttlSeconds = readTtl(ext, path, 0);
  const identitySources =
    ext.identitySource === undefined
      ? []
      : readIdentitySources(ext.identitySource, [...path, 'identitySource'], 'http');
  if (ttlSeconds > 0 && identitySources.length === 0)
    fail(path, 'needs an identitySource when authorizerResultTtlInSeconds is not 0');
  if (ext.identityValidationExpression !== undefined)
    fail(
      [...path, 'identityValidationExpression'],
      'is a REST API setting; HTTP APIs have no validation expression',
      true,
    );
  return {
    name,
    type: 'request',
    functionName: functionName(ext.authorizerUri, [...path, 'authorizerUri']),
    identitySources,
    validationExpression: undefined,
    ttlSeconds,
    payloadFormatVersion: version as '1.0' | '2.0',
    simpleResponses,
  };
}

function jwtIssuerUrl(v: unknown, path: KeyPath): string {
  const issuer = string(v, path);
  if (!/^https?:\/\/[^/?#]+/.test(issuer) || /[?#]/.test(issuer))
    fail(path, 'must be an https:// URL without query or fragment (http:// for a local issuer)');
  return issuer;
}

function audienceList(v: unknown, path: KeyPath): string[] {
  if (!Array.isArray(v) || v.length === 0 || !v.every((a) => typeof a === 'string' && a !== ''))
    fail(path, 'must be a non-empty list of audiences');
  if ((v as string[]).length > 50) fail(path, "has more than 50 audiences, API Gateway's limit");
  return v as string[];
}

const REST_JWT_ALGORITHMS: readonly Algorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
];
// AWS's JwtAdditionalClaim: these are checked by the authorizer itself and cannot be rules.
const RESERVED_CLAIMS = new Set(['iss', 'aud', 'exp', 'nbf', 'iat', 'scope', 'scp']);

/**
 * A REST API's JWT authorizer (AWS's JwtConfigurationInput, docs/emulation.md): `issuers` with
 * their `audiences` and `additionalClaims`, `defaultAlgorithms`, and one header as identity source.
 */
function readRestJwtAuthorizer(
  name: string,
  scheme: Obj,
  ext: Obj,
  path: KeyPath,
  schemePath: KeyPath,
): JwtAuthorizerSpec {
  const configPath: KeyPath = [...path, 'jwtConfiguration'];
  const config = object(
    ext.jwtConfiguration ??
      fail(path, 'needs jwtConfiguration (issuers and defaultAlgorithms) for a jwt authorizer'),
    configPath,
  );
  const list = config.issuers;
  if (!Array.isArray(list) || list.length === 0)
    fail(
      [...configPath, 'issuers'],
      'must be a non-empty list of { issuer, audiences, additionalClaims? }',
    );
  const issuers = (list as unknown[]).map((item, i): JwtIssuerSpec => {
    const at: KeyPath = [...configPath, 'issuers', i];
    const o = object(item, at);
    const claims = o.additionalClaims === undefined ? [] : o.additionalClaims;
    if (!Array.isArray(claims))
      fail(
        [...at, 'additionalClaims'],
        'must be a list of { claimName, format, required?, expectedValues? }',
      );
    return {
      issuer: jwtIssuerUrl(o.issuer, [...at, 'issuer']),
      audiences: audienceList(o.audiences, [...at, 'audiences']),
      additionalClaims: (claims as unknown[]).map((c, j) =>
        readClaimRule(c, [...at, 'additionalClaims', j]),
      ),
    };
  });
  const seen = issuers.map((x) => x.issuer).find((x, i, all) => all.indexOf(x) !== i);
  if (seen !== undefined)
    fail([...configPath, 'issuers'], `names ${seen} twice; issuer URLs must be unique`);
  const algorithms = config.defaultAlgorithms;
  if (
    !Array.isArray(algorithms) ||
    algorithms.length === 0 ||
    !algorithms.every((a) => REST_JWT_ALGORITHMS.includes(a as Algorithm))
  ) {
    fail(
      [...configPath, 'defaultAlgorithms'],
      `must be a non-empty list of ${REST_JWT_ALGORITHMS.join(', ')}`,
    );
  }
  const header =
    typeof scheme.name === 'string' && scheme.in === 'header' ? scheme.name : 'Authorization';
  const identitySources = readIdentitySources(
    ext.identitySource ?? `method.request.header.${header}`,
    ext.identitySource === undefined ? schemePath : [...path, 'identitySource'],
    'rest',
  );
  if (identitySources.length !== 1 || identitySources[0]!.kind !== 'header')
    fail(
      [...path, 'identitySource'],
      'must be one header (method.request.header.NAME) for a jwt authorizer',
    );
  return {
    name,
    type: 'jwt',
    issuers,
    algorithms: algorithms as Algorithm[],
    clientIdWithoutAud: false,
    identitySources,
    ttlSeconds: 0,
  };
}

function readClaimRule(v: unknown, path: KeyPath): JwtAdditionalClaim {
  const o = object(v, path);
  const claimName = string(o.claimName, [...path, 'claimName']);
  if (RESERVED_CLAIMS.has(claimName))
    fail([...path, 'claimName'], `cannot be ${claimName}: the authorizer checks it itself`);
  if (o.format !== 'SINGLE_STRING')
    fail(
      [...path, 'format'],
      'must be SINGLE_STRING (the only format API Gateway has)',
      o.format === undefined,
    );
  if (o.required !== undefined && typeof o.required !== 'boolean')
    fail([...path, 'required'], 'must be true or false');
  const expected = o.expectedValues ?? [];
  if (!Array.isArray(expected) || !expected.every((x) => typeof x === 'string' && x !== ''))
    fail([...path, 'expectedValues'], 'must be a list of non-empty strings');
  return { name: claimName, required: o.required === true, expectedValues: expected as string[] };
}

function readIntegration(v: unknown, path: KeyPath, flavour: ApiFlavour): Integration {
  if (v === undefined)
    fail(
      path,
      'is missing: every operation needs an integration (aws_proxy, http_proxy or mock)',
      true,
    );
  const ext = object(v, path);
  const type = String(ext.type ?? '').toLowerCase();
  switch (type) {
    case 'aws_proxy': {
      let payloadFormatVersion: '1.0' | '2.0' = flavour === 'http' ? '2.0' : '1.0';
      if (ext.payloadFormatVersion !== undefined) {
        const v = String(ext.payloadFormatVersion);
        if (v !== '1.0' && v !== '2.0')
          fail([...path, 'payloadFormatVersion'], 'must be "1.0" or "2.0"');
        if (flavour === 'rest' && v !== '1.0')
          fail([...path, 'payloadFormatVersion'], 'REST APIs send payload 1.0 only');
        payloadFormatVersion = v as '1.0' | '2.0';
      }
      return { type, functionName: functionName(ext.uri, [...path, 'uri']), payloadFormatVersion };
    }
    case 'http_proxy': {
      const uri = string(ext.uri, [...path, 'uri']);
      if (!/^https?:\/\//.test(uri)) fail([...path, 'uri'], 'must be an http:// or https:// URL');
      return {
        type,
        uri,
        httpMethod: typeof ext.httpMethod === 'string' ? ext.httpMethod.toUpperCase() : 'ANY',
      };
    }
    case 'mock':
      if (flavour === 'http')
        fail(
          [...path, 'type'],
          'mock integrations are REST only; HTTP APIs take aws_proxy or http_proxy',
        );
      return { type, mapping: readMapping(ext, path, fail) };
    case 'aws': {
      if (flavour === 'http')
        fail(
          [...path, 'type'],
          'aws (non-proxy) integrations are REST only here; HTTP APIs take aws_proxy or http_proxy',
        );
      const uri = string(ext.uri, [...path, 'uri']);
      if (!/:lambda:path\/[^/]+\/functions\//.test(uri))
        fail(
          [...path, 'uri'],
          'an aws integration is emulated for Lambda only (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/…/invocations)',
        );
      return {
        type,
        functionName: functionName(uri, [...path, 'uri']),
        mapping: readMapping(ext, path, fail),
      };
    }
    default:
      return fail(
        [...path, 'type'],
        'must be aws_proxy, http_proxy, mock or aws (http with mapping templates is not supported yet)',
      );
  }
}
