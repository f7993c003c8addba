// Every `x-amazon-apigateway-*` extension AWS documents ("OpenAPI extensions for API Gateway"),
// and whether the local gateway emulates it. A setting is honoured or named in a start-up
// warning, never dropped silently (docs/emulation.md). Edit the table when a feature lands.
import type { KeyPath } from '../core/key-path.js';
import { TollgateError } from '../core/errors.js';

export type Support = 'emulated' | 'not-emulated';

export interface FieldInfo {
  readonly support: Support;
  /** For not-emulated fields: what happens locally instead, in the warning. */
  readonly note?: string;
}

export interface ExtensionInfo {
  readonly support: Support;
  /** Emulated: how (for the docs); not emulated: what happens locally instead (in the warning). */
  readonly note: string;
  /** The API kinds API Gateway reads it for; others ignore it on import. Undefined: both. */
  readonly only?: 'rest' | 'http';
  /** For object-valued extensions: the fields AWS documents. Others are warned about as unknown. */
  readonly fields?: Readonly<Record<string, FieldInfo>>;
  /** For extensions that map names to entries (validators): the fields each entry may have. */
  readonly entryFields?: Readonly<Record<string, FieldInfo>>;
}

const yes: FieldInfo = { support: 'emulated' };
const no = (note: string): FieldInfo => ({ support: 'not-emulated', note });

export const EXTENSIONS: Readonly<Record<string, ExtensionInfo>> = {
  'x-amazon-apigateway-any-method': { support: 'emulated', note: 'an operation for every method' },
  'x-amazon-apigateway-api-key-source': {
    support: 'emulated',
    note: 'where usage plans read the API key',
    only: 'rest',
  },
  'x-amazon-apigateway-auth': {
    support: 'not-emulated',
    note: 'AWS_IAM (SigV4) authorization is not checked: the method is served without it',
  },
  'x-amazon-apigateway-authorizer': {
    support: 'emulated',
    note: 'Lambda TOKEN/REQUEST authorizers, JWT authorizers and Cognito user pool authorizers',
    fields: {
      type: yes,
      authorizerUri: yes,
      identitySource: yes,
      identityValidationExpression: yes,
      authorizerResultTtlInSeconds: yes,
      authorizerPayloadFormatVersion: yes,
      enableSimpleResponses: yes,
      jwtConfiguration: yes,
      authorizerCredentials: no(
        'the function is invoked directly, so a role that may not invoke it fails only on AWS (500)',
      ),
      enableFunctionDefaultPermissions: no(
        'the function is invoked directly, without resource-based permissions',
      ),
      providerARNs: yes,
    },
  },
  // Informational: it names the kind of authorizer; API Gateway decides by the authorizer's type.
  'x-amazon-apigateway-authtype': {
    support: 'emulated',
    note: 'informational; the authorizer type decides',
  },
  'x-amazon-apigateway-binary-media-types': {
    support: 'emulated',
    note: 'bodies of these types reach functions base64-encoded',
    only: 'rest',
  },
  'x-amazon-apigateway-cors': {
    support: 'emulated',
    note: 'preflight answered by the gateway, CORS headers added to responses',
    only: 'http',
    fields: {
      allowOrigins: yes,
      allowCredentials: yes,
      exposeHeaders: yes,
      maxAge: yes,
      allowMethods: yes,
      allowHeaders: yes,
    },
  },
  'x-amazon-apigateway-documentation': {
    support: 'emulated',
    note: 'documentation only; no effect on requests on AWS either',
  },
  'x-amazon-apigateway-endpoint-access-mode': {
    support: 'not-emulated',
    note: 'the local gateway is plain HTTP on 127.0.0.1; endpoint access modes apply to AWS endpoints only',
    only: 'rest',
  },
  'x-amazon-apigateway-endpoint-configuration': {
    support: 'not-emulated',
    note: 'endpoint types, VPC endpoints and disableExecuteApiEndpoint do not apply to the local endpoint',
  },
  'x-amazon-apigateway-gateway-responses': {
    support: 'emulated',
    note: 'status, header mappings and templates of every response type Tollgate produces',
    only: 'rest',
  },
  'x-amazon-apigateway-importexport-version': {
    support: 'emulated',
    note: 'marks an HTTP API export',
  },
  'x-amazon-apigateway-importer-version': {
    support: 'emulated',
    note: 'marks an HTTP API import (older name)',
  },
  'x-amazon-apigateway-integration': {
    support: 'emulated',
    note: 'aws_proxy, http_proxy, mock and aws (Lambda) integrations, with mapping templates for mock and aws',
    fields: {
      type: yes,
      uri: yes,
      httpMethod: yes,
      payloadFormatVersion: yes,
      requestTemplates: yes,
      responses: yes,
      requestParameters: no(
        'request parameter mappings are not applied: the integration gets the request as sent',
      ),
      responseParameters: no('response parameter mappings are not applied'),
      passthroughBehavior: yes,
      contentHandling: no('bodies are not converted'),
      timeoutInMillis: no('the gateway-wide integration timeout (29 s) applies'),
      cacheKeyParameters: no('API caching is not emulated'),
      cacheNamespace: no('API caching is not emulated'),
      connectionType: no('VPC links are not emulated: the uri is called directly'),
      connectionId: no('VPC links are not emulated: the uri is called directly'),
      credentials: no('the integration is invoked directly, without the role'),
      tlsConfig: no('TLS settings of the integration are not applied'),
      integrationSubtype: no('AWS service integrations of HTTP APIs are not emulated'),
      responseTransferMode: no('responses are buffered, not streamed'),
    },
  },
  'x-amazon-apigateway-integrations': {
    support: 'not-emulated',
    note: 'reusable HTTP API integrations under components are not resolved; give each route its own x-amazon-apigateway-integration',
    only: 'http',
  },
  'x-amazon-apigateway-minimum-compression-size': {
    support: 'not-emulated',
    note: 'responses are not compressed',
    only: 'rest',
  },
  'x-amazon-apigateway-policy': {
    support: 'not-emulated',
    note: 'the resource policy is not evaluated: requests it would refuse on AWS are served',
    only: 'rest',
  },
  'x-amazon-apigateway-request-validator': {
    support: 'emulated',
    note: "the method's (or API's default) request validator",
    only: 'rest',
  },
  'x-amazon-apigateway-request-validators': {
    support: 'emulated',
    note: 'required parameters and JSON-schema bodies',
    only: 'rest',
    entryFields: { validateRequestBody: yes, validateRequestParameters: yes },
  },
  'x-amazon-apigateway-security-policy': {
    support: 'not-emulated',
    note: 'the local gateway is plain HTTP; TLS security policies apply to AWS endpoints only',
    only: 'rest',
  },
  'x-amazon-apigateway-tag-value': {
    support: 'emulated',
    note: 'a tag value; no effect on requests on AWS either',
  },
};

const PREFIX = 'x-amazon-apigateway-';

/** A setting the document cannot be loaded with (AWS's import refuses it too), with where it is. */
export class SettingIssue extends TollgateError<'API_DOCUMENT_INVALID'> {
  constructor(
    readonly path: KeyPath,
    message: string,
    readonly atKey = false,
  ) {
    super('API_DOCUMENT_INVALID', message);
  }
}

export interface ExtensionWarning {
  readonly path: KeyPath;
  /** One warning per kind of problem: the same key met again only adds to the count. */
  readonly key: string;
  readonly message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What the registry says about one extension found at `path`, as warnings. */
function check(
  name: string,
  value: unknown,
  path: KeyPath,
  flavour: 'rest' | 'http',
): ExtensionWarning[] {
  const info = EXTENSIONS[name];
  if (!info)
    return [
      {
        path,
        key: name,
        message: `${name} is not an extension API Gateway documents; it is ignored`,
      },
    ];
  if (info.only && info.only !== flavour) {
    return [
      {
        path,
        key: name,
        message: `${name} is ${info.only === 'rest' ? 'a REST' : 'an HTTP'} API setting; API Gateway ignores it in ${flavour === 'rest' ? 'a REST' : 'an HTTP'} API, and so does Tollgate`,
      },
    ];
  }
  if (info.support === 'not-emulated')
    return [{ path, key: name, message: `${name} is not emulated locally: ${info.note}` }];
  if (!isObj(value)) return [];
  if (info.fields) return checkFields(name, value, path, info.fields);
  const entryFields = info.entryFields;
  if (!entryFields) return [];
  return Object.entries(value).flatMap(([entry, v]) =>
    isObj(v) ? checkFields(`${name}.${entry}`, v, [...path, entry], entryFields, name) : [],
  );
}

/** Warnings for the fields of one object that AWS does not document or Tollgate does not apply. */
function checkFields(
  name: string,
  value: Obj,
  path: KeyPath,
  fields: Readonly<Record<string, FieldInfo>>,
  key = name,
): ExtensionWarning[] {
  const out: ExtensionWarning[] = [];
  for (const field of Object.keys(value)) {
    const f = fields[field];
    const at = [...path, field];
    if (!f)
      out.push({
        path: at,
        key: `${key}.${field}`,
        message: `${name}.${field} is not a field API Gateway documents; it is ignored`,
      });
    else if (f.support === 'not-emulated')
      out.push({
        path: at,
        key: `${key}.${field}`,
        message: `${name}.${field} is not emulated locally: ${f.note ?? 'ignored'}`,
      });
  }
  return out;
}

/**
 * Every `x-amazon-apigateway-*` key in the document that is not (or not fully) emulated, in
 * document order. Depth-bounded: extensions sit at most a few levels down (operations, schemes).
 */
export function scanExtensions(doc: unknown, flavour: 'rest' | 'http'): ExtensionWarning[] {
  const out: ExtensionWarning[] = [];
  const walk = (node: unknown, path: KeyPath, depth: number): void => {
    if (depth > 8) return;
    if (Array.isArray(node)) node.forEach((item, i) => walk(item, [...path, i], depth + 1));
    if (!isObj(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key.startsWith(PREFIX)) out.push(...check(key, value, [...path, key], flavour));
      // Schemas and examples hold user data, not settings.
      else if (
        key !== 'example' &&
        key !== 'examples' &&
        key !== 'schema' &&
        key !== 'schemas' &&
        key !== 'definitions'
      )
        walk(value, [...path, key], depth + 1);
    }
  };
  walk(doc, [], 0);
  return out;
}

/** Merges warnings of one kind into one, naming the first place and how many more there are. */
export function mergeWarnings<T extends { readonly key: string; readonly message: string }>(
  warnings: readonly T[],
): Array<T & { readonly more: number }> {
  const first = new Map<string, T & { more: number }>();
  for (const w of warnings) {
    const seen = first.get(w.key);
    if (seen) seen.more++;
    else first.set(w.key, { ...w, more: 0 });
  }
  return [...first.values()];
}
