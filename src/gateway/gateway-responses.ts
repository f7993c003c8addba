// A REST API's customised gateway responses (`x-amazon-apigateway-gateway-responses`): per
// response type a status, header mappings and body templates, with DEFAULT_4XX / DEFAULT_5XX as
// the fallbacks AWS documents ("Gateway response types for API Gateway"; docs/emulation.md).
import type { KeyPath } from '../core/key-path.js';
import { SettingIssue, type ExtensionWarning } from './extensions.js';
import {
  GATEWAY_RESPONSES,
  gatewayResponse,
  type GatewayResponse,
  type GatewayResponseType,
} from './responses.js';
import { checkTemplate, renderVelocity } from './mapping-templates.js';

/** AWS's response types with their default statuses (DEFAULT_4XX/5XX have none). */
export const AWS_RESPONSE_TYPES: Readonly<Record<string, number | undefined>> = {
  DEFAULT_4XX: undefined,
  DEFAULT_5XX: undefined,
  ACCESS_DENIED: 403,
  API_CONFIGURATION_ERROR: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_PARAMETERS: 400,
  BAD_REQUEST_BODY: 400,
  EXPIRED_TOKEN: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  INVALID_API_KEY: 403,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  QUOTA_EXCEEDED: 429,
  REQUEST_TOO_LARGE: 413,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WAF_FILTERED: 403,
};

/** Types AWS raises only for features Tollgate does not emulate: a customisation of them never applies locally. */
const NEVER_LOCAL: Readonly<Record<string, string>> = {
  EXPIRED_TOKEN:
    'AWS raises it for expired SigV4 (AWS_IAM) credentials, not emulated; an expired JWT is UNAUTHORIZED on AWS and here',
  INVALID_SIGNATURE: 'AWS raises it for bad SigV4 (AWS_IAM) signatures, not emulated',
  WAF_FILTERED: 'AWS WAF is not emulated',
  RESOURCE_NOT_FOUND:
    'Tollgate answers an unknown route with MISSING_AUTHENTICATION_TOKEN, as AWS does',
};

/**
 * Which AWS types customise each answer Tollgate gives, most specific first. Which of the two
 * authorizer 500 types AWS uses is not documented (spec section 3): either customises it.
 */
const CHAIN: Readonly<Record<GatewayResponseType, readonly string[]>> = {
  UNAUTHORIZED: ['UNAUTHORIZED'],
  ACCESS_DENIED_EXPLICIT: ['ACCESS_DENIED'],
  ACCESS_DENIED: ['ACCESS_DENIED'],
  AUTHORIZER_CONFIGURATION_ERROR: ['AUTHORIZER_CONFIGURATION_ERROR', 'AUTHORIZER_FAILURE'],
  MISSING_AUTHENTICATION_TOKEN: ['MISSING_AUTHENTICATION_TOKEN'],
  REQUEST_TOO_LARGE: ['REQUEST_TOO_LARGE'],
  URI_TOO_LONG: [],
  BAD_REQUEST: [],
  // Tollgate's own bounds (README "Security"): no AWS type of their own, DEFAULT_4XX/5XX still apply.
  REQUEST_TIMEOUT: [],
  BODY_BUDGET_EXCEEDED: [],
  BAD_REQUEST_BODY: ['BAD_REQUEST_BODY'],
  BAD_REQUEST_PARAMETERS: ['BAD_REQUEST_PARAMETERS'],
  INTEGRATION_FAILURE: ['INTEGRATION_FAILURE'],
  INTEGRATION_TIMEOUT: ['INTEGRATION_TIMEOUT'],
  INTERNAL_ERROR: [],
  API_CONFIGURATION_ERROR: ['API_CONFIGURATION_ERROR'],
  UNSUPPORTED_MEDIA_TYPE: ['UNSUPPORTED_MEDIA_TYPE'],
  INVALID_API_KEY: ['INVALID_API_KEY'],
  THROTTLED: ['THROTTLED'],
  QUOTA_EXCEEDED: ['QUOTA_EXCEEDED'],
};

type HeaderSource =
  | { readonly kind: 'static'; readonly value: string }
  | {
      readonly kind: 'header' | 'querystring' | 'path' | 'stageVariables' | 'context';
      readonly name: string;
    };

export interface CustomResponse {
  readonly statusCode: number | undefined;
  readonly headers: ReadonlyArray<readonly [string, HeaderSource]>;
  /** By content type, in document order. */
  readonly templates: ReadonlyArray<readonly [string, string]>;
}

export type GatewayResponses = ReadonlyMap<string, CustomResponse>;

export interface ParseResult {
  readonly responses: GatewayResponses;
  readonly warnings: readonly ExtensionWarning[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const EXT = 'x-amazon-apigateway-gateway-responses';
const SOURCE = /^(?:method\.request\.(header|querystring|path)|(stageVariables)|(context))\.(.+)$/;

/** Reads the extension's value; throws SettingIssue for what AWS's import refuses. */
export function parseGatewayResponses(value: unknown, base: KeyPath = [EXT]): ParseResult {
  const responses = new Map<string, CustomResponse>();
  const warnings: ExtensionWarning[] = [];
  if (!isObj(value))
    throw new SettingIssue(
      base,
      'must be a mapping of response types (UNAUTHORIZED, ACCESS_DENIED, DEFAULT_4XX, ...)',
    );
  for (const [type, spec] of Object.entries(value)) {
    const path = [...base, type];
    if (!(type in AWS_RESPONSE_TYPES))
      throw new SettingIssue(
        path,
        `is not a gateway response type (${Object.keys(AWS_RESPONSE_TYPES).join(', ')})`,
        true,
      );
    if (!isObj(spec))
      throw new SettingIssue(
        path,
        'must be a mapping (statusCode, responseParameters, responseTemplates)',
      );
    if (NEVER_LOCAL[type])
      warnings.push({
        path,
        key: `${EXT}.${type}`,
        message: `${EXT}.${type} never applies locally: ${NEVER_LOCAL[type]}`,
      });
    responses.set(type, readResponse(spec, path, warnings));
  }
  return { responses, warnings };
}

function readResponse(spec: Obj, path: KeyPath, warnings: ExtensionWarning[]): CustomResponse {
  let statusCode: number | undefined;
  if (spec.statusCode !== undefined) {
    statusCode = Number(spec.statusCode);
    if (!/^[1-5]\d\d$/.test(String(spec.statusCode)))
      throw new SettingIssue([...path, 'statusCode'], 'must be an HTTP status code (100-599)');
  }
  const headers: Array<readonly [string, HeaderSource]> = [];
  const params = spec.responseParameters ?? {};
  if (!isObj(params)) throw new SettingIssue([...path, 'responseParameters'], 'must be a mapping');
  for (const [key, raw] of Object.entries(params)) {
    const at = [...path, 'responseParameters', key];
    const target = /^gatewayresponse\.(header|path|querystring)\.(.+)$/.exec(key);
    if (!target) throw new SettingIssue(at, 'must be gatewayresponse.header.NAME', true);
    if (target[1] !== 'header') {
      warnings.push({
        path: at,
        key: `${EXT}.gatewayresponse.${target[1]}`,
        message: `${key} is not emulated locally: a response has only headers to set; it is ignored`,
      });
      continue;
    }
    headers.push([target[2]!, headerSource(raw, at)]);
  }
  const templates = spec.responseTemplates ?? {};
  if (!isObj(templates))
    throw new SettingIssue(
      [...path, 'responseTemplates'],
      'must be a mapping of content types to templates',
    );
  for (const [type, t] of Object.entries(templates)) {
    if (typeof t !== 'string')
      throw new SettingIssue([...path, 'responseTemplates', type], 'must be a template (a string)');
    try {
      checkTemplate(t);
    } catch (error) {
      throw new SettingIssue(
        [...path, 'responseTemplates', type],
        `is not a valid Velocity template: ${(error as Error).message.split('\n')[0]}`,
      );
    }
  }
  for (const key of Object.keys(spec)) {
    if (
      !['statusCode', 'responseParameters', 'responseTemplates', 'defaultResponse'].includes(key)
    ) {
      warnings.push({
        path: [...path, key],
        key: `${EXT}.${key}`,
        message: `${EXT} field ${key} is not one API Gateway documents; it is ignored`,
      });
    }
  }
  return { statusCode, headers, templates: Object.entries(templates as Record<string, string>) };
}

function headerSource(raw: unknown, at: KeyPath): HeaderSource {
  if (typeof raw !== 'string')
    throw new SettingIssue(
      at,
      "must be a quoted literal ('value') or method.request.header|querystring|path.NAME",
    );
  const literal = /^'(.*)'$/s.exec(raw.trim());
  if (literal) return { kind: 'static', value: literal[1]! };
  const m = SOURCE.exec(raw.trim());
  if (!m)
    throw new SettingIssue(
      at,
      `has ${JSON.stringify(raw)}: use a quoted literal ('value'), method.request.header|querystring|path.NAME, stageVariables.NAME or context.NAME`,
    );
  const kind = (m[1] ?? m[2] ?? m[3]) as
    'header' | 'querystring' | 'path' | 'stageVariables' | 'context';
  return { kind, name: m[4]! };
}

/** What a response may read of the request; undefined parts (no route matched yet) read as empty. */
export interface ResponseInput {
  readonly requestId: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly stageVariables?: Readonly<Record<string, string>>;
  /** `$context` as the request has it (the REST event's requestContext). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** What the authorizer returned, when it ran: `$context.authorizer.*`. */
  readonly authorizer?:
    | {
        readonly principalId?: string | undefined;
        readonly context?: Readonly<Record<string, unknown>>;
      }
    | undefined;
  /** Replaces the default message (the list of missing parameters). */
  readonly message?: string;
  /** `$context.error.validationErrorString`: why a body failed validation. */
  readonly validationError?: string;
}

/** The message of a default body: `{"message": ...}` or the capital-M 403s; null for the authorizer 500. */
function defaultMessage(type: GatewayResponseType): string | null {
  const parsed = JSON.parse(GATEWAY_RESPONSES[type].body) as {
    message?: string | null;
    Message?: string;
  };
  return parsed.message ?? parsed.Message ?? null;
}

function lookup(
  headers: Readonly<Record<string, string>> | undefined,
  name: string,
): string | undefined {
  const lower = name.toLowerCase();
  return Object.entries(headers ?? {}).find(([k]) => k.toLowerCase() === lower)?.[1];
}

function resolveSource(
  source: HeaderSource,
  input: ResponseInput,
  context: Obj,
): string | undefined {
  switch (source.kind) {
    case 'static':
      return source.value;
    case 'header':
      return lookup(input.headers, source.name);
    case 'querystring':
      return input.query?.[source.name];
    case 'path':
      return input.pathParameters?.[source.name];
    case 'stageVariables':
      return input.stageVariables?.[source.name];
    case 'context': {
      const v = source.name
        .split('.')
        .reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), context);
      return v === undefined || v === null || isObj(v) ? undefined : String(v);
    }
  }
}

/** `Accept` picks the template; else application/json; else the first (AWS's selection for templates). */
function pickTemplate(
  templates: CustomResponse['templates'],
  accept: string | undefined,
): readonly [string, string] | undefined {
  const wanted = (accept ?? '')
    .split(',')
    .map((s) => s.split(';')[0]!.trim().toLowerCase())
    .filter(Boolean);
  return (
    templates.find(([t]) => wanted.includes(t.toLowerCase())) ??
    templates.find(([t]) => t.toLowerCase() === 'application/json') ??
    templates[0]
  );
}

export type Responder = (type: GatewayResponseType, input: ResponseInput) => GatewayResponse;

/** The answer to give for each response type: AWS's default, customised as the document says. */
export function createResponder(
  responses: GatewayResponses | undefined,
  flavour: 'rest' | 'http',
): Responder {
  return (type, input) => {
    const base = gatewayResponse(type, input.requestId, flavour, input.message);
    if (!responses || responses.size === 0 || flavour === 'http') return base;
    const fallback = base.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
    // A customised type answers alone; DEFAULT_4XX/5XX stand in for the others of their class, and
    // their status replaces the status of every response of the class that does not set its own.
    const specific = CHAIN[type].map((t) => responses.get(t)).find((r) => r !== undefined);
    const general = responses.get(fallback);
    const custom = specific ?? general;
    if (!custom) return base;
    const status = custom.statusCode ?? general?.statusCode ?? base.status;
    const message = input.message ?? defaultMessage(type);
    const awsType = CHAIN[type][0] ?? fallback;
    const context: Obj = {
      ...(input.context ?? { requestId: input.requestId }),
      error: {
        message: message ?? '',
        messageString: JSON.stringify(message),
        responseType: awsType,
        validationErrorString: input.validationError ?? '',
      },
      authorizer: {
        ...(input.authorizer?.context ?? {}),
        ...(input.authorizer?.principalId !== undefined
          ? { principalId: input.authorizer.principalId }
          : {}),
      },
    };
    const headers: Record<string, string | readonly string[]> = { ...base.headers };
    let body = base.body;
    const template = pickTemplate(custom.templates, lookup(input.headers, 'accept'));
    if (template) {
      body = renderVelocity(template[1], {
        context,
        stageVariables: { ...(input.stageVariables ?? {}) },
      });
      headers['content-type'] = template[0];
    }
    for (const [name, source] of custom.headers) {
      const v = resolveSource(source, input, context);
      if (v !== undefined) headers[name] = v;
    }
    return { status, headers, body };
  };
}
