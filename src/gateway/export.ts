// The OpenAPI document the local gateway serves, turned into the one API Gateway imports through
// CloudFormation (AWS::Include in deploy/template.yaml): each Lambda invocation URI becomes an
// Fn::Sub naming a function of the stack, and what only the local gateway reads is removed.
// Pure: document text in, document text and object out.
import { LineCounter, parseDocument, stringify } from 'yaml';
import { offsetOf } from '../settings/yaml-position.js';
import { formatKeyPath, type KeyPath } from '../core/key-path.js';
import { ApiDocumentError, parseApi } from './openapi.js';
import { TollgateError } from '../core/errors.js';

export type ExportFormat = 'yaml' | 'json';

/** How a function is used: it decides the default logical id. */
type FunctionRole = 'authorizer' | 'integration';

interface ExportOptions {
  /** Default `yaml`. */
  readonly format?: ExportFormat;
  /** Lambda function name, as in the document's ARNs → the template's logical id. Others get {@link defaultLogicalId}. */
  readonly logicalIds?: Readonly<Record<string, string>>;
  /** Named in the YAML header comment; default the `file` argument. */
  readonly sourceName?: string;
}

interface TemplatedFunction {
  readonly name: string;
  readonly logicalId: string;
  readonly role: FunctionRole;
  /** How many URIs named it. */
  readonly uris: number;
}

interface ExportResult {
  /** The exported document, with `{ "Fn::Sub": "..." }` objects where the URIs were. */
  readonly document: Record<string, unknown>;
  readonly text: string;
  readonly functions: readonly TemplatedFunction[];
  /** Key paths of what was removed: `x-tollgate-*` keys, objects marked `x-tollgate-local: true`, path items left empty. */
  readonly removed: readonly string[];
  /** Other strings that still name an AWS account (an IAM role in `credentials`, say): kept, for the caller to report. */
  readonly accountArns: readonly string[];
}

type ExportErrorCode =
  | 'FUNCTION_NOT_IN_DOCUMENT'
  | 'LOGICAL_ID_INVALID'
  | 'LOGICAL_ID_CONFLICT'
  | 'URI_NOT_TEMPLATABLE'
  | 'EXPORT_INVALID';

/** The document is valid for the local gateway but cannot be exported as asked. */
export class ExportError extends TollgateError<ExportErrorCode> {
  constructor(code: ExportErrorCode, message: string) {
    super(code, message);
    this.name = 'ExportError';
  }
}

/** Keys with this prefix are Tollgate's own, read by the local gateway only, and never exported. */
const LOCAL_KEY_PREFIX = 'x-tollgate-';
/** A mapping with `x-tollgate-local: true` (an operation, a path item, a scheme...) exists only locally: it is removed whole. */
const LOCAL_MARKER = 'x-tollgate-local';

// API Gateway's Lambda invocation URI, with an optional alias or version after the name.
const LAMBDA_URI =
  /^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path\/2015-03-31\/functions\/arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(:[A-Za-z0-9_$-]+)?\/invocations$/;
// A bare function ARN, which HTTP API integrations also accept as their uri.
const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(:[A-Za-z0-9_$-]+)?$/;
// The keys whose values API Gateway reads as Lambda invocation URIs: authorizers and integrations.
const URI_KEYS = new Set(['authorizerUri', 'uri']);
// A 12-digit account in an ARN (arn:partition:service:region:account:...).
const ACCOUNT_ARN = /arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{12}:/;
const LOGICAL_ID = /^[A-Za-z0-9]{1,255}$/;
const OPERATION_KEYS = new Set([
  'get',
  'put',
  'post',
  'delete',
  'options',
  'head',
  'patch',
  'trace',
  'x-amazon-apigateway-any-method',
]);

/**
 * The logical id a function gets unless told otherwise: its name in PascalCase, then
 * `AuthorizerFunction` for a function an authorizer names, `Function` otherwise.
 *
 * @example defaultLogicalId('tollgate', 'authorizer') // 'TollgateAuthorizerFunction'
 * @example defaultLogicalId('list-pets', 'integration') // 'ListPetsFunction'
 */
function defaultLogicalId(name: string, role: FunctionRole): string {
  const pascal = name
    .split(/[-_]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
  return `${pascal}${role === 'authorizer' ? 'AuthorizerFunction' : 'Function'}`;
}

/** The Fn::Sub string for a function's invocation URI (`qualifier`: `:alias` or `:version`, or empty). */
function invocationUriTemplate(logicalId: string, qualifier = ''): string {
  return `arn:\${AWS::Partition}:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${logicalId}.Arn}${qualifier}/invocations`;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One export's state: what the walk through the document found and where to point at it. */
interface Exporting {
  /** `FILE:LINE:COL: key.path` of a place in the source. */
  readonly at: (path: KeyPath) => string;
  /** Functions any authorizer names: authorizer functions everywhere. */
  readonly authorizerFunctions: ReadonlySet<string>;
  /** `--function NAME=LOGICALID`. */
  readonly given: Readonly<Record<string, string>>;
  readonly usage: Map<string, { role: FunctionRole; uris: number }>;
  readonly removed: string[];
  readonly accountArns: string[];
}

/**
 * Validates the document as the local gateway does (an {@link ApiDocumentError} at FILE:LINE:COL
 * otherwise), removes what is local-only, templates every Lambda invocation URI, and checks that
 * the result is still a document the gateway accepts.
 *
 * @example
 * const { text } = exportApi(source, 'examples/petstore.openapi.yaml', { logicalIds: { pets: 'PetsFunction' } });
 */
export function exportApi(source: string, file: string, options: ExportOptions = {}): ExportResult {
  const api = parseApi(source, file);
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, uniqueKeys: true });
  const x: Exporting = {
    at: (path) => {
      const { line, col } = lines.linePos(offsetOf(doc, path, false));
      return `${file}:${line}:${col}: ${formatKeyPath(path)}`;
    },
    // Roles first: a function any authorizer names is an authorizer function everywhere.
    authorizerFunctions: new Set(
      [...api.authorizers.values()].flatMap((a) => ('functionName' in a ? [a.functionName] : [])),
    ),
    given: options.logicalIds ?? {},
    usage: new Map(),
    removed: [],
    accountArns: [],
  };
  const document = transform(x, doc.toJS({ maxAliasCount: 100 }) as Obj, []) as Obj;
  dropEmptyPathItems(document, x.removed);
  checkGivenIds(x);
  const functions = templatedFunctions(x);
  checkExported(document, file);
  const format = options.format ?? 'yaml';
  const text =
    format === 'json'
      ? `${JSON.stringify(document, null, 2)}\n`
      : `# Exported by tollgate export from ${options.sourceName ?? file} for API Gateway (AWS::Include); edit the source, not this file.\n` +
        // YAML 1.1 quoting: CloudFormation reads `yes`, `on` or `0755` unquoted as booleans and numbers.
        stringify(document, { version: '1.1', lineWidth: 0 });
  return { document, text, functions, removed: x.removed, accountArns: x.accountArns };
}

function logicalIdOf(x: Exporting, name: string): string {
  return (
    (Object.hasOwn(x.given, name) ? x.given[name]! : undefined) ??
    defaultLogicalId(name, x.authorizerFunctions.has(name) ? 'authorizer' : 'integration')
  );
}

/** The document's copy without its local-only parts, invocation URIs templated, account ARNs noted. */
function transform(x: Exporting, value: unknown, path: KeyPath): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    value.forEach((item, i) => {
      if (isObj(item) && item[LOCAL_MARKER] === true) x.removed.push(formatKeyPath([...path, i]));
      else out.push(transform(x, item, [...path, i]));
    });
    return out;
  }
  if (isObj(value)) return transformObject(x, value, path);
  if (typeof value === 'string' && ACCOUNT_ARN.test(value))
    x.accountArns.push(`${formatKeyPath(path)}: ${value}`);
  return value;
}

function transformObject(x: Exporting, value: Obj, path: KeyPath): Obj {
  const out: Obj = {};
  for (const [key, item] of Object.entries(value)) {
    const here = [...path, key];
    if (key.startsWith(LOCAL_KEY_PREFIX) || (isObj(item) && item[LOCAL_MARKER] === true)) {
      x.removed.push(formatKeyPath(here));
      continue;
    }
    const v =
      URI_KEYS.has(key) && typeof item === 'string' && /^arn:.*:function:/.test(item)
        ? templated(x, item, here)
        : transform(x, item, here);
    // A key named __proto__ stays a key: assignment would set the copy's prototype instead.
    Object.defineProperty(out, key, {
      value: v,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** A Lambda invocation URI (or function ARN) as an Fn::Sub naming the stack's function. */
function templated(x: Exporting, uri: string, path: KeyPath): Obj {
  const m = LAMBDA_URI.exec(uri) ?? LAMBDA_ARN.exec(uri);
  if (!m) {
    throw new ExportError(
      'URI_NOT_TEMPLATABLE',
      `${x.at(path)} is neither an API Gateway Lambda invocation URI (arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/arn:aws:lambda:REGION:ACCOUNT:function:NAME/invocations) nor a function ARN, so it cannot be templated`,
    );
  }
  const name = m[1]!;
  const entry = x.usage.get(name) ?? {
    role: x.authorizerFunctions.has(name) ? 'authorizer' : 'integration',
    uris: 0,
  };
  x.usage.set(name, { ...entry, uris: entry.uris + 1 });
  const id = logicalIdOf(x, name);
  return {
    'Fn::Sub': m.input.includes(':apigateway:')
      ? invocationUriTemplate(id, m[2] ?? '')
      : `\${${id}.Arn}${m[2] ?? ''}`,
  };
}

/** Each `--function NAME=LOGICALID` must name a templated function and give a valid id. */
function checkGivenIds(x: Exporting): void {
  for (const [name, id] of Object.entries(x.given)) {
    if (!x.usage.has(name))
      throw new ExportError(
        'FUNCTION_NOT_IN_DOCUMENT',
        `--function ${name}=${id}: no exported URI names a function ${JSON.stringify(name)} (the document names: ${[...x.usage.keys()].join(', ') || 'none'})`,
      );
    if (!LOGICAL_ID.test(id))
      throw new ExportError(
        'LOGICAL_ID_INVALID',
        `--function ${name}=${id}: a CloudFormation logical id is 1 to 255 letters and digits`,
      );
  }
}

/** The functions the template must define, each with a valid logical id of its own. */
function templatedFunctions(x: Exporting): TemplatedFunction[] {
  const functions = [...x.usage].map(([name, u]): TemplatedFunction => ({
    name,
    logicalId: logicalIdOf(x, name),
    role: u.role,
    uris: u.uris,
  }));
  const seen = new Map<string, string>();
  for (const f of functions) {
    if (!LOGICAL_ID.test(f.logicalId))
      throw new ExportError(
        'LOGICAL_ID_INVALID',
        `function ${JSON.stringify(f.name)} gives the logical id ${JSON.stringify(f.logicalId)}, which is not letters and digits; pass --function ${f.name}=LOGICALID`,
      );
    const other = seen.get(f.logicalId);
    if (other !== undefined)
      throw new ExportError(
        'LOGICAL_ID_CONFLICT',
        `functions ${JSON.stringify(other)} and ${JSON.stringify(f.name)} both become ${f.logicalId}; pass --function NAME=LOGICALID for one of them`,
      );
    seen.set(f.logicalId, f.name);
  }
  return functions;
}

/** A path item whose operations were all local-only is removed too: API Gateway refuses a resource without methods. */
function dropEmptyPathItems(document: Obj, removed: string[]): void {
  if (!isObj(document.paths)) return;
  for (const [template, item] of Object.entries(document.paths)) {
    const hadOperations = removed.some((p) => p.startsWith(formatKeyPath(['paths', template])));
    if (hadOperations && isObj(item) && !Object.keys(item).some((k) => OPERATION_KEYS.has(k))) {
      delete document.paths[template];
      removed.push(formatKeyPath(['paths', template]));
    }
  }
}

/**
 * The exported document must still be one the gateway accepts (a local-only security scheme that
 * an exported operation names would not be): checked with each Fn::Sub filled in.
 */
function checkExported(document: Obj, file: string): void {
  const filled = JSON.parse(JSON.stringify(document), (_key, value: unknown) =>
    isObj(value) && typeof value['Fn::Sub'] === 'string' && Object.keys(value).length === 1
      ? (value['Fn::Sub'] as string)
          .replace(/\$\{AWS::Partition\}/g, 'aws')
          .replace(/\$\{AWS::Region\}/g, 'us-east-1')
          .replace(/\$\{(\w+)\.Arn\}/g, 'arn:aws:lambda:us-east-1:000000000000:function:$1')
      : value,
  ) as unknown;
  try {
    parseApi(JSON.stringify(filled), `${file} (exported)`);
  } catch (error) {
    if (error instanceof ApiDocumentError)
      throw new ExportError(
        'EXPORT_INVALID',
        `after removing the local-only parts, ${error.path.length ? `${formatKeyPath(error.path)} ` : ''}${error.problem}`,
      );
    throw error;
  }
}
