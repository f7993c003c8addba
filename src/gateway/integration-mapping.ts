// Reads the mapping settings of a non-proxy integration (`type: mock` or `type: aws`) from
// `x-amazon-apigateway-integration`: request templates, passthrough behaviour and the integration
// responses with their selection patterns, parameters and templates. Templates are checked as
// Velocity here so a syntax error stops the start, not a request.
import type { KeyPath } from '../core/key-path.js';
import { parsePath } from './jsonpath.js';
import { checkTemplate } from './mapping-templates.js';

export type PassthroughBehavior = 'WHEN_NO_MATCH' | 'WHEN_NO_TEMPLATES' | 'NEVER';

/** Where a method response header takes its value from. */
export type HeaderSource =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'body'; readonly path: string | undefined }
  | { readonly kind: 'integrationHeader'; readonly name: string }
  | { readonly kind: 'context'; readonly path: string }
  | { readonly kind: 'stageVariable'; readonly name: string };

export interface IntegrationResponse {
  /** As written: `default` or a regular expression. */
  readonly key: string;
  /** Undefined for `default`; otherwise matched against the whole selection input. */
  readonly pattern: RegExp | undefined;
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, HeaderSource>>;
  /** Content type → Velocity template. */
  readonly templates: Readonly<Record<string, string>>;
}

export interface Mapping {
  readonly requestTemplates: Readonly<Record<string, string>>;
  readonly passthroughBehavior: PassthroughBehavior;
  readonly responses: readonly IntegrationResponse[];
}

type Obj = Record<string, unknown>;
type Fail = (path: KeyPath, message: string, atKey?: boolean) => never;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function templates(v: unknown, path: KeyPath, fail: Fail): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) return fail(path, 'must map content types to templates');
  const out: Record<string, string> = {};
  for (const [type, template] of Object.entries(v)) {
    // API Gateway stores a null template as none: the content type passes through.
    if (template === null) continue;
    if (typeof template !== 'string') fail([...path, type], 'must be a template (a string)');
    try {
      checkTemplate(template as string);
    } catch (error) {
      fail(
        [...path, type],
        `is not a valid Velocity template: ${(error as Error).message.split('\n')[0]}`,
      );
    }
    out[type.toLowerCase()] = template as string;
  }
  return out;
}

function headerSource(value: unknown, path: KeyPath, fail: Fail): HeaderSource {
  const text = typeof value === 'string' ? value.trim() : fail(path, 'must be a string');
  const literal = /^'(.*)'$/s.exec(text);
  if (literal) return { kind: 'literal', value: literal[1]! };
  if (text === 'integration.response.body') return { kind: 'body', path: undefined };
  const body = /^integration\.response\.body\.(.+)$/.exec(text);
  if (body) {
    const jsonPath = `$.${body[1]!}`;
    try {
      parsePath(jsonPath);
    } catch (error) {
      fail(path, (error as Error).message);
    }
    return { kind: 'body', path: jsonPath };
  }
  const header = /^integration\.response\.header\.(.+)$/.exec(text);
  if (header) return { kind: 'integrationHeader', name: header[1]! };
  const context = /^context\.(.+)$/.exec(text);
  if (context) return { kind: 'context', path: context[1]! };
  const stage = /^stageVariables\.(.+)$/.exec(text);
  if (stage) return { kind: 'stageVariable', name: stage[1]! };
  return fail(
    path,
    "must be a quoted literal ('value'), integration.response.body[.PATH], integration.response.header.NAME, context.NAME or stageVariables.NAME",
  );
}

function integrationResponse(
  key: string,
  v: unknown,
  path: KeyPath,
  fail: Fail,
): IntegrationResponse {
  if (!isObj(v))
    return fail(path, 'must be a mapping (statusCode, responseParameters, responseTemplates)');
  let pattern: RegExp | undefined;
  if (key !== 'default') {
    try {
      // API Gateway matches the whole input (Java's Pattern.matches).
      pattern = new RegExp(`^(?:${key})$`);
    } catch (error) {
      fail(path, `is not a valid selection pattern: ${(error as Error).message}`, true);
    }
  }
  const statusCode = v.statusCode === undefined ? 200 : Number(v.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
    fail([...path, 'statusCode'], 'must be an HTTP status code');
  if (v.contentHandling !== undefined)
    fail(
      [...path, 'contentHandling'],
      'is not emulated by tollgate serve (CONVERT_TO_TEXT/CONVERT_TO_BINARY); remove it to run locally',
      true,
    );
  const headers: Record<string, HeaderSource> = {};
  const params =
    v.responseParameters === undefined
      ? {}
      : isObj(v.responseParameters)
        ? v.responseParameters
        : fail([...path, 'responseParameters'], 'must be a mapping');
  for (const [name, source] of Object.entries(params)) {
    const m = /^method\.response\.header\.(.+)$/.exec(name);
    if (!m)
      fail([...path, 'responseParameters', name], 'must name method.response.header.NAME', true);
    headers[m![1]!] = headerSource(source, [...path, 'responseParameters', name], fail);
  }
  return {
    key,
    pattern,
    statusCode,
    headers,
    templates: templates(v.responseTemplates, [...path, 'responseTemplates'], fail),
  };
}

/** The mapping settings of one mock or aws integration. */
export function readMapping(ext: Obj, path: KeyPath, fail: Fail): Mapping {
  const behavior =
    ext.passthroughBehavior === undefined
      ? 'WHEN_NO_MATCH'
      : String(ext.passthroughBehavior).toUpperCase();
  if (behavior !== 'WHEN_NO_MATCH' && behavior !== 'WHEN_NO_TEMPLATES' && behavior !== 'NEVER')
    fail([...path, 'passthroughBehavior'], 'must be WHEN_NO_MATCH, WHEN_NO_TEMPLATES or NEVER');
  // An integration-level contentHandling is named in a start-up warning (extensions.ts).
  const responses =
    ext.responses === undefined
      ? {}
      : isObj(ext.responses)
        ? ext.responses
        : fail([...path, 'responses'], 'must map selection patterns to integration responses');
  return {
    requestTemplates: templates(ext.requestTemplates, [...path, 'requestTemplates'], fail),
    passthroughBehavior: behavior as PassthroughBehavior,
    responses: Object.entries(responses).map(([key, r]) =>
      integrationResponse(key, r, [...path, 'responses', key], fail),
    ),
  };
}
