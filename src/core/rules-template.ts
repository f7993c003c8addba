// Route templates (`GET /pets/{petId}`): parsing, matching a request path, and precedence.
import {
  HTTP_METHODS,
  type HttpMethod,
  type RouteMethod,
  type RouteRule,
  type Segment,
} from './rules-types.js';

/**
 * Characters a literal segment may have: letters, digits and `. _ ~ - : @`. Nothing that IAM
 * treats as a wildcard (`*`, `?`) can appear, so a literal goes into a policy Resource as is.
 */
const LITERAL = /^[A-Za-z0-9._~:@-]+$/;
const PARAM = /^\{([A-Za-z_][A-Za-z0-9_-]*)(\+?)\}$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function isHttpMethod(m: string): m is HttpMethod {
  return (HTTP_METHODS as readonly string[]).includes(m);
}

/** `METHOD /path` → its method and path, checked. Messages follow the key (`routes[0].route`). */
export function parseRoute(
  route: string,
): Parsed<{ method: RouteMethod; template: string; segments: Segment[] }> {
  const m = /^([^\s]+)[ \t]+([^\s]+)$/.exec(route.trim());
  if (m === null)
    return {
      ok: false,
      message: `must be "METHOD /path", e.g. "GET /pets/{petId}", got ${JSON.stringify(route)}`,
    };
  const method = m[1]!;
  if (method !== 'ANY' && !isHttpMethod(method)) {
    return {
      ok: false,
      message: `has an unknown method ${JSON.stringify(method)}; use one of ${HTTP_METHODS.join(', ')} or ANY (upper case)`,
    };
  }
  const template = m[2]!;
  const segments = parseTemplate(template);
  if (!segments.ok) return segments;
  return { ok: true, value: { method, template, segments: segments.value } };
}

/** A path template: `/`, or `/`-separated literal, `{param}` and (last only) `{proxy+}` segments. */
export function parseTemplate(template: string): Parsed<Segment[]> {
  if (!template.startsWith('/'))
    return {
      ok: false,
      message: `has a path that does not start with /: ${JSON.stringify(template)}`,
    };
  if (template === '/') return { ok: true, value: [] };
  if (template.endsWith('/')) {
    return {
      ok: false,
      message: `has a path ending with /: write ${JSON.stringify(template.replace(/\/+$/, '') || '/')} (a request with a trailing slash matches it)`,
    };
  }
  const parts = template.slice(1).split('/');
  const segments: Segment[] = [];
  const names = new Set<string>();
  for (const [i, part] of parts.entries()) {
    const segment = parseSegment(part, template);
    if (!segment.ok) return segment;
    const s = segment.value;
    if (s.kind !== 'literal') {
      if (names.has(s.name))
        return {
          ok: false,
          message: `uses the parameter {${s.name}} twice in ${JSON.stringify(template)}`,
        };
      names.add(s.name);
    }
    if (s.kind === 'greedy' && i !== parts.length - 1) {
      return {
        ok: false,
        message: `has {${s.name}+} before the end of ${JSON.stringify(template)}: a greedy parameter must be the last segment`,
      };
    }
    segments.push(s);
  }
  return { ok: true, value: segments };
}

function parseSegment(part: string, template: string): Parsed<Segment> {
  if (part === '')
    return { ok: false, message: `has an empty segment (//) in ${JSON.stringify(template)}` };
  const param = PARAM.exec(part);
  if (param)
    return {
      ok: true,
      value: param[2] ? { kind: 'greedy', name: param[1]! } : { kind: 'param', name: param[1]! },
    };
  const opens = part.split('{').length - 1;
  const closes = part.split('}').length - 1;
  if (opens !== closes)
    return { ok: false, message: `has an unbalanced brace in the segment ${JSON.stringify(part)}` };
  if (opens > 0) {
    return {
      ok: false,
      message: `has the segment ${JSON.stringify(part)}: a parameter must be a whole segment, {name} or {name+}, with a name of letters, digits, _ and -`,
    };
  }
  if (!LITERAL.test(part)) {
    const bad = [...part].find((c) => !LITERAL.test(c))!;
    return {
      ok: false,
      message: `has the segment ${JSON.stringify(part)} with ${JSON.stringify(bad)}; literal segments may only have letters, digits and . _ ~ - : @`,
    };
  }
  return { ok: true, value: { kind: 'literal', value: part } };
}

/**
 * A request path's segments: `/` → [], `/pets/1/` → ['pets', '1'] (one trailing slash ignored).
 * `undefined` for a path that is not `/` followed by non-empty segments (`/pets//1`, `pets`, ``):
 * no rule handles those, and they are always refused.
 */
export function requestSegments(path: string): string[] | undefined {
  if (!path.startsWith('/')) return undefined;
  const body = path.length > 1 && path.endsWith('/') ? path.slice(1, -1) : path.slice(1);
  if (body === '') return path === '/' ? [] : undefined;
  const parts = body.split('/');
  return parts.includes('') ? undefined : parts;
}

/** Does the template match these request segments? Case-sensitive; `{proxy+}` takes one or more. */
export function templateMatches(segments: readonly Segment[], parts: readonly string[]): boolean {
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i]!;
    if (s.kind === 'greedy') return parts.length > i;
    if (i >= parts.length) return false;
    if (s.kind === 'literal' && s.value !== parts[i]) return false;
  }
  return parts.length === segments.length;
}

const KIND_RANK = { literal: 0, param: 1, greedy: 2 } as const;

/**
 * API Gateway's precedence, as a sort order (most specific first): segment by segment, a literal
 * beats a parameter, which beats a greedy parameter; then a method beats ANY. Among routes that
 * match the same request this order is total, because two such routes with the same segment kinds
 * and method would be duplicates, which validation refuses.
 */
export function compareSpecificity(a: RouteRule, b: RouteRule): number {
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const d = KIND_RANK[a.segments[i]!.kind] - KIND_RANK[b.segments[i]!.kind];
    if (d !== 0) return d;
  }
  if (a.segments.length !== b.segments.length) return a.segments.length - b.segments.length;
  return (a.method === 'ANY' ? 1 : 0) - (b.method === 'ANY' ? 1 : 0) || a.index - b.index;
}

/** Two routes with the same method and shape (`/pets/{id}` and `/pets/{petId}`) are the same route. */
export function routeKey(method: RouteMethod, segments: readonly Segment[]): string {
  const shape = segments.map((s) =>
    s.kind === 'literal' ? s.value : s.kind === 'param' ? '{}' : '{+}',
  );
  return `${method} /${shape.join('/')}`;
}
