// What `tollgate serve` says when it starts: the API's own routes and who may call each, and a curl
// command for one of them. Pure: the caller prints the lines.
import type { ApiDefinition, Operation } from '../gateway/openapi.js';
import type { PageEndpoint } from '../web/page-config.js';

/** A long API lists this many routes, then says how many more it has. */
const MAX_LISTED = 12;

function access(op: Operation): string {
  const parts: string[] = [];
  if (op.authorizer)
    parts.push(
      `authorizer ${op.authorizer}${op.scopes.length ? ` (scopes ${op.scopes.join(' ')})` : ''}`,
    );
  if (op.apiKeyRequired) parts.push('API key');
  return parts.join(', ') || 'open';
}

const label = (op: Operation): string =>
  op.isDefault ? '$default' : `${op.method} ${op.template}`;

/** One line per route, in the document's words: `GET /pets  authorizer tollgate`. */
export function routeLines(api: ApiDefinition): string[] {
  const ops = api.routes.operations;
  const width = Math.max(0, ...ops.slice(0, MAX_LISTED).map((op) => label(op).length));
  const lines = ops.slice(0, MAX_LISTED).map((op) => `  ${label(op).padEnd(width)}  ${access(op)}`);
  if (ops.length > MAX_LISTED) lines.push(`  … and ${ops.length - MAX_LISTED} more`);
  return lines.length ? lines : ['  (no routes)'];
}

/**
 * The route a curl example calls: a GET behind an authorizer with no path parameter if there is
 * one, else any route behind an authorizer, else the first route.
 */
export function exampleRoute(api: ApiDefinition): Operation | undefined {
  const ops = api.routes.operations.filter((op) => !op.isDefault);
  const plain = (op: Operation): boolean => !op.template.includes('{');
  return (
    ops.find((op) => op.authorizer && op.method === 'GET' && plain(op)) ??
    ops.find((op) => op.authorizer && plain(op)) ??
    ops.find((op) => op.authorizer) ??
    ops[0]
  );
}

/** The curl command for a route, with the token when the route has an authorizer. */
export function curlLine(op: Operation, url: string, token: string | undefined): string {
  const method = op.method === 'GET' || op.method === 'ANY' ? '' : `-X ${op.method} `;
  const auth = op.authorizer && token ? `-H "Authorization: Bearer ${token}" ` : '';
  return `curl ${method}${auth}${url}${op.template}`;
}

/** The page's buttons this API does not serve: the page is not mounted for such an API. */
export function missingPageRoutes(
  api: ApiDefinition,
  endpoints: Readonly<Record<string, PageEndpoint>>,
): PageEndpoint[] {
  return Object.values(endpoints).filter((e) => api.routes.match(e.method, e.path) === undefined);
}
