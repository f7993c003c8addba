// Which route handles a request: the compiled rules' match and resolve.
import {
  compareSpecificity,
  isHttpMethod,
  requestSegments,
  templateMatches,
} from './rules-template.js';
import type { CompiledRules, DefaultAccess, RouteRule } from './rules-types.js';

function builtIn(route: string, access: 'deny' | 'authenticated'): RouteRule {
  return {
    route,
    method: 'ANY',
    template: '',
    segments: [],
    access,
    scopes: undefined,
    groups: undefined,
    claims: [],
    index: -1,
  };
}

/**
 * The rule for requests no route can handle: a path with an empty segment or without a leading
 * `/`, or a method API Gateway does not have. Always refused, whatever the default: were API
 * Gateway to route `/admin//x` to `/admin/{proxy+}`, a lenient reading here could allow it.
 */
export const UNROUTABLE: RouteRule = builtIn('(unroutable)', 'deny');

const DEFAULT_RULES: Record<DefaultAccess, RouteRule> = {
  deny: builtIn('(default)', 'deny'),
  authenticated: builtIn('(default)', 'authenticated'),
};

export function defaultRuleFor(access: DefaultAccess): RouteRule {
  return DEFAULT_RULES[access];
}

/** Routes in precedence order; `routes` must be valid (no duplicates). */
export function compileRules(
  defaultAccess: DefaultAccess,
  routes: readonly RouteRule[],
): CompiledRules {
  const byPrecedence = [...routes].sort(compareSpecificity);
  const defaultRule = defaultRuleFor(defaultAccess);
  const match = (method: string, path: string): RouteRule | undefined => {
    const parts = requestSegments(path);
    if (parts === undefined || !isHttpMethod(method)) return UNROUTABLE;
    // The first match in precedence order is the most specific one.
    return byPrecedence.find(
      (r) => (r.method === method || r.method === 'ANY') && templateMatches(r.segments, parts),
    );
  };
  return Object.freeze({
    default: defaultAccess,
    routes: Object.freeze([...routes]),
    defaultRule,
    match,
    resolve: (method: string, path: string) => match(method, path) ?? defaultRule,
  });
}

// `arn:{partition}:execute-api:{region}:{account}:{apiId}/{stage}/{VERB}/{path}`: stage names have
// no `/`, and the path (which may hold anything a path parameter can) is the rest, root included.
const METHOD_ARN_REQUEST = /^arn:[^:]+:execute-api:[^:]+:[^:]+:[^/:]+\/[^/]+\/([^/]+)\/(.*)$/s;

/**
 * The method and request path in a REST methodArn or an HTTP API routeArn, for `resolve`:
 * `.../prod/GET/pets/1` → `{ method: 'GET', path: '/pets/1' }`; `.../prod/GET/` → path `/`.
 */
export function methodArnRequest(methodArn: string): { method: string; path: string } | undefined {
  const m = METHOD_ARN_REQUEST.exec(methodArn);
  return m ? { method: m[1]!, path: `/${m[2]!}` } : undefined;
}
