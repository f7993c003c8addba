// A REST API's request validators (`x-amazon-apigateway-request-validators`, and
// `x-amazon-apigateway-request-validator` on the API or a method): required parameters present and
// non-blank, and the body against the method's JSON schema model, as "Use request validation in
// API Gateway" describes (docs/emulation.md). Parsing here; checking is pure.
import { createRequire } from 'node:module';
import type { Ajv, Options, ValidateFunction } from 'ajv';
import type { KeyPath } from '../core/key-path.js';
import { SettingIssue } from './extensions.js';

// API Gateway models are JSON Schema draft 4: ajv-draft-04 is Ajv for that draft (boolean
// exclusiveMaximum, `id`). It is CommonJS with its class as `default`.
const AjvDraft04 = (
  createRequire(import.meta.url)('ajv-draft-04') as { default: new (options: Options) => Ajv }
).default;

export interface ParameterRule {
  readonly in: 'header' | 'querystring' | 'path';
  readonly name: string;
}

export interface OperationValidation {
  /** Required parameters to check; empty when the validator does not validate parameters. */
  readonly parameters: readonly ParameterRule[];
  /** Body validators by content type (lower case); empty when the validator does not validate bodies. */
  readonly bodies: ReadonlyMap<string, ValidateFunction>;
}

/**
 * Validation per operation, keyed `METHOD /template` (ANY for x-amazon-apigateway-any-method) with
 * the template as the document's `paths` key: it must equal `Operation.template` for the gateway's lookup.
 */
export type Validations = ReadonlyMap<string, OperationValidation>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const METHODS: Record<string, string> = {
  get: 'GET',
  put: 'PUT',
  post: 'POST',
  delete: 'DELETE',
  options: 'OPTIONS',
  head: 'HEAD',
  patch: 'PATCH',
  'x-amazon-apigateway-any-method': 'ANY',
};
const VALIDATORS = 'x-amazon-apigateway-request-validators';
const VALIDATOR = 'x-amazon-apigateway-request-validator';

interface Validator {
  readonly body: boolean;
  readonly parameters: boolean;
}

function readValidators(value: unknown): Map<string, Validator> {
  const out = new Map<string, Validator>();
  if (value === undefined) return out;
  if (!isObj(value))
    throw new SettingIssue(
      [VALIDATORS],
      'must be a mapping of validator names to { validateRequestBody, validateRequestParameters }',
    );
  for (const [name, v] of Object.entries(value)) {
    if (!isObj(v))
      throw new SettingIssue(
        [VALIDATORS, name],
        'must be a mapping { validateRequestBody, validateRequestParameters }',
      );
    for (const key of ['validateRequestBody', 'validateRequestParameters']) {
      if (v[key] !== undefined && typeof v[key] !== 'boolean')
        throw new SettingIssue([VALIDATORS, name, key], 'must be true or false');
    }
    out.set(name, {
      body: v.validateRequestBody === true,
      parameters: v.validateRequestParameters === true,
    });
  }
  return out;
}

function pick(
  validators: Map<string, Validator>,
  name: unknown,
  path: KeyPath,
): Validator | undefined {
  if (name === undefined) return undefined;
  if (typeof name !== 'string' || !validators.has(name))
    throw new SettingIssue(
      path,
      `must name a validator of ${VALIDATORS} (${[...validators.keys()].join(', ') || 'none defined'})`,
    );
  return validators.get(name);
}

/** `#/components/parameters/X`, `#/definitions/X`, ...: a local JSON pointer into the document. */
function deref(doc: Obj, v: unknown, path: KeyPath): unknown {
  for (let hops = 0; isObj(v) && typeof v.$ref === 'string'; hops++) {
    const ref = v.$ref;
    if (!ref.startsWith('#/') || hops > 10)
      throw new SettingIssue(
        [...path, '$ref'],
        'must be a local reference (#/...) for request validation',
      );
    v = ref
      .slice(2)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), doc);
    if (v === undefined) throw new SettingIssue([...path, '$ref'], `points at nothing: ${ref}`);
  }
  return v;
}

const IN: Record<string, ParameterRule['in']> = {
  header: 'header',
  query: 'querystring',
  path: 'path',
};

/** Required parameters: path-item ones, overridden by the operation's of the same name and place. */
function requiredParameters(doc: Obj, item: Obj, op: Obj, path: KeyPath): ParameterRule[] {
  const byKey = new Map<string, { rule: ParameterRule; required: boolean }>();
  for (const [owner, at] of [
    [item, path.slice(0, -1)],
    [op, path],
  ] as const) {
    const list = owner.parameters;
    if (!Array.isArray(list)) continue;
    list.forEach((p, i) => {
      const param = deref(doc, p, [...at, 'parameters', i]);
      if (!isObj(param) || typeof param.name !== 'string' || !IN[String(param.in)]) return;
      const rule: ParameterRule = { in: IN[String(param.in)]!, name: param.name };
      byKey.set(`${rule.in}:${rule.in === 'header' ? rule.name.toLowerCase() : rule.name}`, {
        rule,
        required: param.required === true || param.in === 'path',
      });
    });
  }
  return [...byKey.values()].filter((p) => p.required).map((p) => p.rule);
}

/** Body schemas by content type: OpenAPI 3 requestBody.content, or Swagger 2.0's body parameter with consumes. */
function bodySchemas(doc: Obj, item: Obj, op: Obj, path: KeyPath): Array<[string, unknown]> {
  if (op.requestBody !== undefined) {
    const body = deref(doc, op.requestBody, [...path, 'requestBody']);
    const content = isObj(body) && isObj(body.content) ? body.content : {};
    return Object.entries(content).flatMap(([type, media]) =>
      isObj(media) && media.schema !== undefined
        ? [[type.toLowerCase(), media.schema] as [string, unknown]]
        : [],
    );
  }
  const params = [
    ...(Array.isArray(item.parameters) ? item.parameters : []),
    ...(Array.isArray(op.parameters) ? op.parameters : []),
  ].map((p, i) => deref(doc, p, [...path, 'parameters', i]));
  const body = params.find((p) => isObj(p) && p.in === 'body') as Obj | undefined;
  if (!body || body.schema === undefined) return [];
  const consumes = Array.isArray(op.consumes)
    ? op.consumes
    : Array.isArray(doc.consumes)
      ? doc.consumes
      : ['application/json'];
  return consumes
    .filter((c): c is string => typeof c === 'string')
    .map((c) => [c.toLowerCase(), body.schema]);
}

/**
 * Reads the validators and what each method must validate. Throws SettingIssue for a validator
 * name that is not defined (AWS's import refuses it) or a body schema ajv cannot compile.
 */
export function readValidations(doc: Obj): Validations {
  const validators = readValidators(doc[VALIDATORS]);
  const apiDefault = pick(validators, doc[VALIDATOR], [VALIDATOR]);
  const out = new Map<string, OperationValidation>();
  if (validators.size === 0 || !isObj(doc.paths)) return out;
  const ajv = new AjvDraft04({ strict: false, allErrors: true, validateFormats: false });
  // Schemas refer to each other by pointers into the document (#/components/schemas/X, #/definitions/X).
  const roots = {
    components: isObj(doc.components) ? { schemas: doc.components.schemas } : undefined,
    definitions: doc.definitions,
  };
  for (const [template, item] of Object.entries(doc.paths)) {
    if (!isObj(item)) continue;
    for (const [key, op] of Object.entries(item)) {
      const method = METHODS[key];
      if (!method || !isObj(op)) continue;
      const path: KeyPath = ['paths', template, key];
      const validator = pick(validators, op[VALIDATOR], [...path, VALIDATOR]) ?? apiDefault;
      if (!validator || (!validator.body && !validator.parameters)) continue;
      const bodies = new Map<string, ValidateFunction>();
      if (validator.body) {
        for (const [type, schema] of bodySchemas(doc, item, op, path)) {
          try {
            bodies.set(type, ajv.compile({ ...roots, ...(isObj(schema) ? schema : {}) }));
          } catch (error) {
            throw new SettingIssue(
              [...path],
              `has a request body schema for ${type} that cannot be compiled: ${(error as Error).message}`,
            );
          }
        }
      }
      out.set(`${method} ${template}`, {
        parameters: validator.parameters ? requiredParameters(doc, item, op, path) : [],
        bodies,
      });
    }
  }
  return out;
}

export interface RequestParts {
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  readonly pathParameters: Readonly<Record<string, string>>;
}

/** The required parameters missing or blank, in the document's order (API Gateway lists them all). */
export function missingParameters(rules: readonly ParameterRule[], req: RequestParts): string[] {
  const value = (r: ParameterRule): string | undefined =>
    r.in === 'header'
      ? Object.entries(req.headers).find(([k]) => k.toLowerCase() === r.name.toLowerCase())?.[1]
      : r.in === 'querystring'
        ? req.query[r.name]
        : req.pathParameters[r.name];
  return rules.filter((r) => !value(r)?.trim()).map((r) => r.name);
}

/**
 * Why the body fails its model, or undefined when it passes or no model applies. The model is the
 * request's Content-Type's (application/json when none is sent); a type without a model passes.
 */
export function bodyProblem(
  bodies: ReadonlyMap<string, ValidateFunction>,
  contentType: string | undefined,
  body: Buffer | undefined,
): string | undefined {
  const type = (contentType ?? 'application/json').split(';')[0]!.trim().toLowerCase();
  const validate = bodies.get(type);
  if (!validate) return undefined;
  let value: unknown;
  try {
    // An empty body is validated as an empty object: stricter than passing it, so it shows here first.
    value = body === undefined || body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    return '[the body is not valid JSON]';
  }
  if (validate(value)) return undefined;
  return `[${(validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join(', ')}]`;
}
