// The JSONPath subset mapping templates use in `$input.json(...)`, `$input.path(...)` and
// `integration.response.body.X`: `$`, `.name`, `['name']`, `["name"]`, `[0]`, `[-1]`, `[*]`, `.*`.
// Small and exact rather than a general library: API Gateway's documentation and examples use
// only these forms, and anything else is refused with a message naming the path.
import { TollgateError } from '../core/errors.js';

type Step =
  | { readonly kind: 'key'; readonly key: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'all' };

export class JsonPathError extends TollgateError<'JSONPATH_UNSUPPORTED'> {
  constructor(message: string) {
    super('JSONPATH_UNSUPPORTED', message);
  }
}

/** The steps of a path, or a JsonPathError naming what is not supported. */
export function parsePath(path: string): Step[] {
  const text = path.trim();
  if (!text.startsWith('$'))
    throw new JsonPathError(`JSONPath ${JSON.stringify(path)} must start with $`);
  const steps: Step[] = [];
  let i = 1;
  while (i < text.length) {
    const rest = text.slice(i);
    const dot = /^\.(\*|[A-Za-z_$@-][\w$@-]*)/.exec(rest);
    const quoted = /^\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\]/.exec(rest);
    const index = /^\[\s*(-?\d+)\s*\]/.exec(rest);
    const all = /^\[\s*\*\s*\]/.exec(rest);
    if (dot) steps.push(dot[1] === '*' ? { kind: 'all' } : { kind: 'key', key: dot[1]! });
    else if (quoted)
      steps.push({ kind: 'key', key: (quoted[1] ?? quoted[2]!).replace(/\\(.)/g, '$1') });
    else if (index) steps.push({ kind: 'index', index: Number(index[1]) });
    else if (all) steps.push({ kind: 'all' });
    else
      throw new JsonPathError(
        `JSONPath ${JSON.stringify(path)} is not supported at ${JSON.stringify(rest)} (use $, .name, ['name'], [0] or [*])`,
      );
    i += (dot ?? quoted ?? index ?? all)![0].length;
  }
  return steps;
}

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The value at `path`: one value (undefined when absent), or, once the path has a wildcard, the
 * list of every match.
 */
export function queryPath(root: unknown, path: string): unknown {
  const steps = parsePath(path);
  let values: unknown[] = [root];
  let many = false;
  for (const step of steps) {
    const next: unknown[] = [];
    for (const v of values) {
      if (step.kind === 'all') {
        many = true;
        if (Array.isArray(v)) next.push(...(v as unknown[]));
        else if (typeof v === 'object' && v !== null) next.push(...Object.values(v));
      } else if (step.kind === 'index') {
        if (Array.isArray(v)) {
          const at = step.index < 0 ? v.length + step.index : step.index;
          if (at >= 0 && at < v.length) next.push(v[at]);
        }
      } else if (typeof v === 'object' && v !== null && !Array.isArray(v) && own(v, step.key)) {
        next.push((v as Record<string, unknown>)[step.key]);
      }
    }
    values = next;
  }
  return many ? values : values[0];
}
