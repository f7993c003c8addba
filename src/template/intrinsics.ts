// CloudFormation's intrinsic functions, resolved as CloudFormation resolves them when it creates the
// stack, with local values for what only a deployment knows (pseudo parameters, resource ids).
// Pure: the caller says what each Ref and Fn::GetAtt is. Anything that cannot be known locally is
// a ResolveIssue at its key path, which the reader turns into FILE:LINE:COL naming the property.
import type { KeyPath } from '../core/key-path.js';
import { TemplateIssue, UnsetParameterIssue } from './issue.js';

export interface ResolveContext {
  /** Parameters (with overrides applied) and pseudo parameters (`AWS::Region`...). */
  readonly parameters: ReadonlyMap<string, string | number | readonly string[]>;
  /** Declared parameters with neither a Default nor an override: an error only where used. */
  readonly unsetParameters: ReadonlySet<string>;
  /** What `Ref` of a resource gives, or undefined for a resource the template lacks. */
  ref(logicalId: string): string | undefined;
  /** What `Fn::GetAtt` gives, or undefined when the attribute cannot be known locally. */
  getAtt(logicalId: string, attribute: string): unknown;
  /** A condition's value by name (the caller evaluates Conditions with `evaluateCondition`). */
  condition(name: string): boolean | undefined;
  readonly mappings: Readonly<Record<string, unknown>>;
}

/** `Ref: AWS::NoValue`: the property is removed, as CloudFormation removes it. */
export const NO_VALUE = Symbol('AWS::NoValue');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const fail = (path: KeyPath, message: string): never => {
  throw new TemplateIssue(path, message);
};

/** The value with every intrinsic function resolved; `NO_VALUE` for a removed property. */
export function resolveValue(value: unknown, ctx: ResolveContext, path: KeyPath): unknown {
  if (Array.isArray(value))
    return value.map((v, i) => resolveValue(v, ctx, [...path, i])).filter((v) => v !== NO_VALUE);
  if (!isObj(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::')))
    return resolveFunction(keys[0]!, value[keys[0]!], ctx, [...path, keys[0]!]);
  const out: Obj = {};
  for (const [k, v] of Object.entries(value)) {
    const resolved = resolveValue(v, ctx, [...path, k]);
    if (resolved !== NO_VALUE) out[k] = resolved;
  }
  return out;
}

function resolveFunction(name: string, arg: unknown, ctx: ResolveContext, path: KeyPath): unknown {
  switch (name) {
    case 'Ref':
      return resolveRef(arg, ctx, path);
    case 'Fn::GetAtt':
      return resolveGetAtt(arg, ctx, path);
    case 'Fn::Sub':
      return resolveSub(arg, ctx, path);
    case 'Fn::Join':
      return resolveJoin(arg, ctx, path);
    case 'Fn::If':
      return resolveIf(arg, ctx, path);
    case 'Fn::Select':
      return resolveSelect(arg, ctx, path);
    case 'Fn::Split':
      return resolveSplit(arg, ctx, path);
    case 'Fn::FindInMap':
      return resolveFindInMap(arg, ctx, path);
    case 'Fn::Base64':
      return Buffer.from(text(resolveValue(arg, ctx, path), path), 'utf8').toString('base64');
    case 'Fn::Equals':
    case 'Fn::And':
    case 'Fn::Or':
    case 'Fn::Not':
      return evaluateCondition({ [name]: arg }, ctx, path);
    default:
      return fail(path, `${name} cannot be resolved locally (it needs a deployed stack)`);
  }
}

function text(v: unknown, path: KeyPath): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(path, `must resolve to a string, got ${JSON.stringify(v)}`);
}

function list(v: unknown, path: KeyPath, length?: number): unknown[] {
  if (!Array.isArray(v) || (length !== undefined && v.length !== length))
    fail(path, length ? `must be a list of ${length} items` : 'must be a list');
  return v as unknown[];
}

function resolveRef(arg: unknown, ctx: ResolveContext, path: KeyPath): unknown {
  const name = text(arg, path);
  if (name === 'AWS::NoValue') return NO_VALUE;
  const parameter = ctx.parameters.get(name);
  if (parameter !== undefined) return parameter;
  if (ctx.unsetParameters.has(name))
    throw new UnsetParameterIssue(
      path,
      name,
      `Ref ${name}: the parameter has no Default; give it with --parameter-overrides ${name}=VALUE`,
    );
  if (name.startsWith('AWS::'))
    return fail(path, `${name} is not a pseudo parameter Tollgate knows`);
  const ref = ctx.ref(name);
  return ref ?? fail(path, `Ref ${name}: there is no parameter or resource of that name`);
}

function resolveGetAtt(arg: unknown, ctx: ResolveContext, path: KeyPath): unknown {
  const parts =
    typeof arg === 'string'
      ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)]
      : arg;
  const [id, attribute] = list(parts, path, 2).map((p, i) =>
    text(resolveValue(p, ctx, [...path, i]), [...path, i]),
  );
  const value = ctx.getAtt(id!, attribute!);
  if (value === undefined)
    return fail(
      path,
      `Fn::GetAtt ${id}.${attribute} cannot be known locally${ctx.ref(id!) === undefined ? ` (there is no resource ${id})` : ''}`,
    );
  return value;
}

function resolveSub(arg: unknown, ctx: ResolveContext, path: KeyPath): string {
  const [template, vars] = Array.isArray(arg) ? list(arg, path, 2) : [arg, {}];
  const source = text(template, Array.isArray(arg) ? [...path, 0] : path);
  if (!isObj(vars)) return fail([...path, 1], 'must be a mapping of variables');
  const local = new Map<string, unknown>();
  for (const [k, v] of Object.entries(vars)) local.set(k, resolveValue(v, ctx, [...path, 1, k]));
  // `${!Literal}` writes `${Literal}`; `${Name}` is a variable, a parameter, a resource or `A.Attr`.
  return source.replace(/\$\{([^}]*)\}/g, (_, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    if (local.has(name)) return text(local.get(name), path);
    const dot = name.indexOf('.');
    if (dot > 0 && !name.startsWith('AWS::'))
      return text(resolveGetAtt([name.slice(0, dot), name.slice(dot + 1)], ctx, path), path);
    const value = resolveRef(name, ctx, path);
    return Array.isArray(value) ? value.join(',') : text(value, path);
  });
}

function resolveJoin(arg: unknown, ctx: ResolveContext, path: KeyPath): string {
  const [sep, items] = list(arg, path, 2);
  const values = resolveValue(items, ctx, [...path, 1]);
  return list(values, [...path, 1])
    .map((v, i) => text(v, [...path, 1, i]))
    .join(text(sep, [...path, 0]));
}

function resolveIf(arg: unknown, ctx: ResolveContext, path: KeyPath): unknown {
  const [name, whenTrue, whenFalse] = list(arg, path, 3);
  const chosen = conditionNamed(text(name, [...path, 0]), ctx, [...path, 0]);
  return chosen
    ? resolveValue(whenTrue, ctx, [...path, 1])
    : resolveValue(whenFalse, ctx, [...path, 2]);
}

function resolveSelect(arg: unknown, ctx: ResolveContext, path: KeyPath): unknown {
  const [index, items] = list(arg, path, 2);
  const i = Number(text(resolveValue(index, ctx, [...path, 0]), [...path, 0]));
  const values = list(resolveValue(items, ctx, [...path, 1]), [...path, 1]);
  if (!Number.isInteger(i) || i < 0 || i >= values.length)
    fail([...path, 0], `index ${i} is outside the list of ${values.length}`);
  return values[i];
}

function resolveSplit(arg: unknown, ctx: ResolveContext, path: KeyPath): string[] {
  const [sep, source] = list(arg, path, 2);
  return text(resolveValue(source, ctx, [...path, 1]), [...path, 1]).split(text(sep, [...path, 0]));
}

function resolveFindInMap(arg: unknown, ctx: ResolveContext, path: KeyPath): unknown {
  const [map, top, second] = list(arg, path, 3).map((p, i) =>
    text(resolveValue(p, ctx, [...path, i]), [...path, i]),
  );
  const found = (ctx.mappings[map!] as Obj | undefined)?.[top!] as Obj | undefined;
  if (!isObj(found) || !(second! in found))
    return fail(path, `Mappings ${map}.${top}.${second} does not exist`);
  return found[second!];
}

function conditionNamed(name: string, ctx: ResolveContext, path: KeyPath): boolean {
  const value = ctx.condition(name);
  return value ?? fail(path, `there is no condition ${name} in Conditions`);
}

/** A condition's body (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`) as a boolean. */
export function evaluateCondition(body: unknown, ctx: ResolveContext, path: KeyPath): boolean {
  if (!isObj(body) || Object.keys(body).length !== 1)
    return fail(path, 'must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition');
  const [name, arg] = Object.entries(body)[0]!;
  const at = [...path, name];
  switch (name) {
    case 'Condition':
      return conditionNamed(text(arg, at), ctx, at);
    case 'Fn::Equals': {
      const [a, b] = list(arg, at, 2).map((v, i) => resolveValue(v, ctx, [...at, i]));
      return JSON.stringify(a) === JSON.stringify(b) || String(a) === String(b);
    }
    case 'Fn::Not':
      return !evaluateCondition(list(arg, at, 1)[0], ctx, [...at, 0]);
    case 'Fn::And':
      return list(arg, at).every((c, i) => evaluateCondition(c, ctx, [...at, i]));
    case 'Fn::Or':
      return list(arg, at).some((c, i) => evaluateCondition(c, ctx, [...at, i]));
    default:
      return fail(at, 'must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition');
  }
}
