// The sign-in page as a mount of the local gateway: `/` and its assets under `/_tollgate/`, built by
// scripts/build-web.mjs into dist/page/. Served with a strict Content-Security-Policy: the page has
// no inline script or style, and talks only to this server and the identity provider.
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Mount } from '../gateway/server.js';
import { checkPageConfig, PageConfigError, type PageConfig } from './page-config.js';

export {
  checkPageConfig,
  discoveryUrl,
  PageConfigError,
  PETSTORE_ENDPOINTS,
  type PageConfig,
  type PageEndpoint,
  type PageCreateEndpoint,
} from './page-config.js';

export interface PageMountOptions {
  /** Where the built page is; default: `dist/page/` of the Tollgate package this module belongs to. */
  readonly assetsDir?: string;
  /**
   * Origins the browser must reach besides this server and the issuer's, for the connect-src of the
   * CSP: e.g. Cognito's token endpoint on the user pool's domain (`https://DOMAIN.auth.REGION.amazoncognito.com`).
   */
  readonly connectOrigins?: readonly string[];
}

type AssetFile = 'index.html' | 'app.js' | 'app.css' | 'favicon.svg';

interface Route {
  readonly file?: AssetFile;
  readonly type: string;
  /** HTML and config say no-store (the page handles the callback's code); the assets are revalidated. */
  readonly cache: string;
}

const ROUTES: Readonly<Record<string, Route>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8', cache: 'no-store' },
  '/_tollgate/app.js': {
    file: 'app.js',
    type: 'text/javascript; charset=utf-8',
    cache: 'no-cache',
  },
  '/_tollgate/app.css': { file: 'app.css', type: 'text/css; charset=utf-8', cache: 'no-cache' },
  '/_tollgate/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml', cache: 'no-cache' },
  '/_tollgate/config.json': { type: 'application/json; charset=utf-8', cache: 'no-store' },
};

/** `dist/page/` in the first folder above this module holding Tollgate's package.json (dist/ or a test build). */
function defaultAssetsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    try {
      if (
        existsSync(pkg) &&
        (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: unknown }).name === 'tollgate'
      )
        return join(dir, 'dist', 'page');
    } catch {
      // An unreadable package.json is not ours: keep looking upwards.
    }
    if (dirname(dir) === dir) return join(here, '..', 'page');
  }
}

function originOf(url: string, setting: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PageConfigError(setting, `must be an absolute URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new PageConfigError(
      setting,
      `must be an http or https origin, got ${JSON.stringify(url)}`,
    );
  return parsed.origin;
}

/** The page's CSP: scripts and styles from this server only; fetches to it and the provider. */
export function contentSecurityPolicy(
  config: PageConfig,
  connectOrigins: readonly string[] = [],
): string {
  const connect = new Set([
    "'self'",
    originOf(config.issuer, 'issuer'),
    ...connectOrigins.map((o, i) => originOf(o, `connectOrigins[${i}]`)),
  ]);
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src ${[...connect].join(' ')}`,
    "form-action 'self'",
    "base-uri 'none'",
    "object-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function answer(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: string | Buffer,
  head: boolean,
): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-length', bytes.length);
  res.end(head ? undefined : bytes);
}

/**
 * A gateway mount serving the sign-in page at `/` (also with the callback's `?code=…`) and its
 * assets and configuration under `/_tollgate/`. Throws PageConfigError for a bad configuration.
 *
 * @example
 * const page = createPageMount({ issuer: 'http://localhost:3000/idp', clientId: 'tollgate-web', scope: 'openid read:pets write:pets', endpoints: PETSTORE_ENDPOINTS });
 * createGatewayServer(gateway, { mounts: [idp, page] });
 */
export function createPageMount(config: PageConfig, options: PageMountOptions = {}): Mount {
  const checked = checkPageConfig(config);
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  const common: Record<string, string> = {
    'content-security-policy': contentSecurityPolicy(checked, options.connectOrigins),
    'x-content-type-options': 'nosniff',
    // The callback URL carries the authorization code: never in a Referer.
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
  const configJson = JSON.stringify(checked);
  const problem = (
    res: ServerResponse,
    status: number,
    message: string,
    head: boolean,
    extra: Record<string, string> = {},
  ): void => sendProblem(res, { ...common, ...extra }, status, message, head);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Nothing here reads a body: drain it so the connection stays usable.
    req.resume();
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = ROUTES[pathname];
    if (!route) return problem(res, 404, `Not found: ${pathname}`, req.method === 'HEAD');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return problem(
        res,
        405,
        `Method ${req.method ?? ''} not allowed on ${pathname}: use GET`,
        false,
        { allow: 'GET, HEAD' },
      );
    const head = req.method === 'HEAD';
    if (!route.file)
      return answer(
        res,
        200,
        { ...common, 'content-type': route.type, 'cache-control': route.cache },
        configJson,
        head,
      );
    let body: Buffer;
    try {
      body = await readFile(join(assetsDir, route.file));
    } catch {
      return problem(
        res,
        500,
        `The web page is not built: ${join(assetsDir, route.file)} is missing. Run npm run build.`,
        head,
      );
    }
    answer(
      res,
      200,
      { ...common, 'content-type': route.type, 'cache-control': route.cache },
      body,
      head,
    );
  }

  return {
    name: 'page',
    // Only GET and HEAD of / are the page's: other methods on / belong to the API.
    matches: (pathname, method) =>
      pathname === '/'
        ? method === 'GET' || method === 'HEAD'
        : pathname === '/_tollgate' || pathname.startsWith('/_tollgate/'),
    handle: (req, res) =>
      handle(req, res).catch(() => {
        problem(res, 500, 'The web page could not be served', false);
      }),
  };
}

/** A JSON `{ message }` answer with the page's headers; never cached. */
function sendProblem(
  res: ServerResponse,
  headers: Record<string, string>,
  status: number,
  message: string,
  head: boolean,
): void {
  const all = {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  };
  answer(res, status, all, JSON.stringify({ message }), head);
}
