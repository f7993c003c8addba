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

/** What serve prints once it is ready. */
export interface Banner {
  readonly api: ApiDefinition;
  readonly url: string;
  readonly page: boolean;
  /** The development provider and a token for its first user, when it runs. */
  readonly dev:
    | {
        readonly issuer: string;
        readonly users: readonly { readonly id: string; readonly scopes: readonly string[] }[];
        readonly token: string;
      }
    | undefined;
  /** The issuer trusted otherwise (undefined: the config file's issuers). */
  readonly trusting: string | undefined;
  readonly webSocketUrl: string | undefined;
}

/** The start-up lines: where the API is, its routes, who issues tokens, a curl command to try. */
export function bannerLines(b: Banner): string[] {
  const flavour = b.api.flavour === 'http' ? 'HTTP API' : 'REST API';
  const lines = [`tollgate: serving ${b.api.title} (${flavour}) at ${b.url}, routes:`];
  lines.push(...routeLines(b.api));
  if (b.page) lines.push(`tollgate: sign-in page       ${b.url}/`);
  const example = exampleRoute(b.api);
  if (b.dev) {
    const users = b.dev.users.map((u) => `${u.id}: ${u.scopes.join(' ')}`).join('; ');
    lines.push(`tollgate: development OpenID provider ${b.dev.issuer} (users: ${users})`);
    if (example)
      lines.push(
        `tollgate: try it${example.authorizer ? ' (token valid for 1 h)' : ''}:\n  ${curlLine(example, b.url, b.dev.token)}`,
      );
  } else lines.push(`tollgate: trusting ${b.trusting ?? 'the issuers of the config file'}`);
  if (b.webSocketUrl) lines.push(`tollgate: WebSocket API     ${b.webSocketUrl}`);
  lines.push('tollgate: Ctrl-C to stop');
  return lines;
}
