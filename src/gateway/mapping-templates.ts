// API Gateway mapping templates (REST, non-proxy integrations) rendered with a real Velocity
// engine, velocityjs, over the variables API Gateway defines: $context, $input, $util,
// $stageVariables (docs/emulation.md, "Mapping templates").
import { Compile, parse } from 'velocityjs';
import { queryPath } from './jsonpath.js';
import type { RequestView } from './events.js';
import { TollgateError } from '../core/errors.js';

/** The request body could not be read as JSON for `$input.json`/`$input.path`: API Gateway answers 400. */
export class BodyNotJson extends TollgateError<'BODY_NOT_JSON'> {
  constructor(message: string) {
    super('BODY_NOT_JSON', message);
  }
}

// Parsed once per template text: documents hold few templates, and requests reuse them.
const parsed = new Map<string, ReturnType<typeof parse>>();
function compiled(template: string): ReturnType<typeof parse> {
  let asts = parsed.get(template);
  if (asts === undefined) {
    asts = parse(template);
    parsed.set(template, asts);
  }
  return asts;
}

/** Throws a SyntaxError-like Error when the template is not valid Velocity (checked at load). */
export function checkTemplate(template: string): void {
  compiled(template);
}

export interface TemplateInput {
  readonly view: RequestView;
  /** The payload `$input` reads: the method request body, or the integration's answer in a response template. */
  readonly body: string;
  /** `$context.authorizer`: principalId and the context, stringified (spec section 5). */
  readonly authorizer: Readonly<Record<string, string>> | undefined;
}

/**
 * Java's StringEscapeUtils.escapeJavaScript, which `$util.escapeJavaScript` is: quotes, `\`, `/`,
 * control characters and everything outside printable ASCII escaped.
 */
export function escapeJavaScript(value: unknown): string {
  const named: Record<string, string> = {
    '"': '\\"',
    "'": "\\'",
    '\\': '\\\\',
    '/': '\\/',
    '\b': '\\b',
    '\f': '\\f',
    '\n': '\\n',
    '\r': '\\r',
    '\t': '\\t',
  };
  return String(value ?? '').replace(/[\s\S]/g, (c) => {
    if (named[c] !== undefined) return named[c]!;
    const code = c.charCodeAt(0);
    return code < 0x20 || code > 0x7e
      ? `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`
      : c;
  });
}

/** Java's URLEncoder (UTF-8): spaces as `+`, only `A-Za-z0-9.-*_` kept. */
export function urlEncode(value: unknown): string {
  return encodeURIComponent(String(value ?? ''))
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

export function urlDecode(value: unknown): string {
  try {
    return decodeURIComponent(String(value ?? '').replace(/\+/g, ' '));
  } catch {
    return String(value ?? '');
  }
}

export const util = {
  escapeJavaScript,
  parseJson: (text: unknown): unknown => JSON.parse(String(text)),
  urlEncode,
  urlDecode,
  base64Encode: (v: unknown): string => Buffer.from(String(v ?? ''), 'utf8').toString('base64'),
  base64Decode: (v: unknown): string => Buffer.from(String(v ?? ''), 'base64').toString('utf8'),
};

/** `$input`: the payload and the method request's parameters. */
function inputVariable(input: TemplateInput): Record<string, unknown> {
  const { view } = input;
  let parsed: { value: unknown } | undefined;
  const json = (): unknown => {
    if (parsed) return parsed.value;
    // An empty payload reads as `{}`.
    if (input.body.trim() === '') parsed = { value: {} };
    else {
      try {
        parsed = { value: JSON.parse(input.body) };
      } catch (error) {
        throw new BodyNotJson(
          `Could not parse request body into json: ${(error as Error).message}`,
        );
      }
    }
    return parsed.value;
  };
  const params = {
    path: { ...view.pathParameters },
    querystring: { ...view.queryStringParameters },
    header: { ...view.headers },
  };
  const header = (name: string): string | undefined =>
    Object.entries(view.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  return {
    body: input.body,
    json: (path: string): string => {
      const value = queryPath(json(), String(path));
      return value === undefined ? '' : JSON.stringify(value);
    },
    path: (path: string): unknown => queryPath(json(), String(path)),
    // Path, then query string, then header, as API Gateway looks a name up.
    params: (name?: string): unknown =>
      name === undefined
        ? params
        : (params.path[String(name)] ??
          params.querystring[String(name)] ??
          header(String(name)) ??
          ''),
  };
}

/** `$context`: the request context with the authorizer's output, stringified. */
function contextVariable(input: TemplateInput): Record<string, unknown> {
  const rc = input.view.requestContext;
  return { ...rc, ...(input.authorizer ? { authorizer: { ...input.authorizer } } : {}) };
}

/** Java String methods templates call on strings (velocityjs leaves them to JavaScript otherwise). */
const STRING_METHODS: Record<string, (s: string, ...args: unknown[]) => unknown> = {
  length: (s) => s.length,
  contains: (s, x) => s.includes(String(x)),
  equals: (s, x) => s === String(x),
  equalsIgnoreCase: (s, x) => s.toLowerCase() === String(x).toLowerCase(),
  isEmpty: (s) => s.length === 0,
  matches: (s, re) => new RegExp(`^(?:${String(re)})$`).test(s),
  replaceAll: (s, re, to) => s.replace(new RegExp(String(re), 'g'), String(to)),
  split: (s, re) => s.split(new RegExp(String(re))),
};

const customMethodHandlers = [
  {
    uid: 'java-string',
    match: ({ property, context }: { property: string; context: unknown }): boolean =>
      typeof context === 'string' && Object.prototype.hasOwnProperty.call(STRING_METHODS, property),
    resolve: ({
      property,
      context,
      params,
    }: {
      property: string;
      context: unknown;
      params: unknown[];
    }): unknown => STRING_METHODS[property]!(context as string, ...params),
  },
];

/**
 * Renders a template. A reference to something undefined renders as nothing, as API Gateway's
 * templates do. Throws BodyNotJson when the template reads a payload that is not JSON.
 */
export function renderTemplate(template: string, input: TemplateInput): string {
  const variables = {
    context: contextVariable(input),
    input: inputVariable(input),
    util,
    stageVariables: { ...input.view.stageVariables },
  };
  return renderVelocity(template, variables);
}

/**
 * Renders Velocity over `variables` (parsed once per template text); a reference to something
 * undefined renders as nothing, as in API Gateway's templates (mapping and gateway responses).
 */
export function renderVelocity(template: string, variables: Record<string, unknown>): string {
  return new Compile(compiled(template), { escape: false, customMethodHandlers }).render(
    variables,
    undefined,
    true,
  );
}
