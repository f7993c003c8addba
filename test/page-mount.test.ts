// The sign-in page's mount over real HTTP: routes, content types, caching, the CSP, and the answers
// for wrong methods, unknown paths and an unbuilt page. (The page itself runs in test/browser/.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPageMount,
  discoveryUrl,
  PageConfigError,
  PETSTORE_ENDPOINTS,
  type PageConfig,
} from '../src/web/page-mount.js';
import type { Mount } from '../src/gateway/server.js';

const config: PageConfig = {
  issuer: 'https://tenant.example.auth0.com/',
  clientId: 'web-client',
  audience: 'https://petstore.example.com',
  scope: 'openid read:pets write:pets',
  extraAuthorizeParams: { prompt: 'login' },
  endpoints: PETSTORE_ENDPOINTS,
};

const servers: Server[] = [];
const dirs: string[] = [];

/** A plain node:http server in front of one mount, as the gateway server tries it. */
async function serveMount(mount: Mount): Promise<string> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (mount.matches(path, req.method ?? 'GET')) void mount.handle(req, res);
    else res.writeHead(418).end('not the mount');
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let url: string;
before(async () => {
  url = await serveMount(
    createPageMount(config, {
      connectOrigins: ['https://pool.auth.eu-west-1.amazoncognito.com/oauth2/token'],
    }),
  );
});
after(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('GET / serves the built page as HTML, uncached, under a strict CSP that names the provider', async () => {
  for (const path of ['/', '/?code=abc&state=xyz&iss=https%3A%2F%2Ftenant.example.auth0.com%2F']) {
    const r = await fetch(`${url}${path}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /(^|; )default-src 'self'(;|$)/);
    assert.match(csp, /(^|; )script-src 'self'(;|$)/);
    assert.match(
      csp,
      /(^|; )connect-src 'self' https:\/\/tenant\.example\.auth0\.com https:\/\/pool\.auth\.eu-west-1\.amazoncognito\.com(;|$)/,
    );
    assert.match(csp, /frame-ancestors 'none'/);
    const html = await r.text();
    assert.match(html, /<html lang="en">/);
    assert.match(html, /<script type="module" src="\/_tollgate\/app\.js"><\/script>/);
    // No inline script or style: the CSP above would block them.
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/);
    assert.doesNotMatch(html, /<style|\sstyle=|\son[a-z]+=/i);
  }
});

test('the script, the stylesheet and the configuration have their content types', async () => {
  const js = await fetch(`${url}/_tollgate/app.js`);
  assert.equal(js.status, 200);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.match(await js.text(), /_tollgate\/config\.json/);
  const css = await fetch(`${url}/_tollgate/app.css`);
  assert.equal(css.status, 200);
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  assert.match(await css.text(), /:focus-visible/);
  const icon = await fetch(`${url}/_tollgate/favicon.svg`);
  assert.equal(icon.status, 200);
  assert.equal(icon.headers.get('content-type'), 'image/svg+xml');
  assert.match(await icon.text(), /^<svg /);
  const cfg = await fetch(`${url}/_tollgate/config.json`);
  assert.equal(cfg.status, 200);
  assert.equal(cfg.headers.get('content-type'), 'application/json; charset=utf-8');
  assert.equal(cfg.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await cfg.json(), JSON.parse(JSON.stringify(config)));
});

test('HEAD answers like GET without a body', async () => {
  const r = await fetch(`${url}/`, { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.ok(Number(r.headers.get('content-length')) > 100);
  assert.equal(await r.text(), '');
});

test('other methods get 405 with Allow; unknown paths under /_tollgate/ get 404', async () => {
  for (const path of ['/_tollgate/config.json', '/_tollgate/app.js']) {
    const r = await fetch(`${url}${path}`, { method: 'POST', body: 'x=1' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.get('allow'), 'GET, HEAD');
    assert.match(((await r.json()) as { message: string }).message, /not allowed/);
  }
  assert.equal(
    (await fetch(`${url}/`, { method: 'POST', body: 'x=1' })).status,
    418,
    'POST / is left to the API',
  );
  // A fixed table of files: no path from the request ever reaches the file system.
  for (const path of [
    '/_tollgate',
    '/_tollgate/',
    '/_tollgate/app.js.map',
    '/_tollgate/index.html',
    '/_tollgate/x/app.js',
  ]) {
    const r = await fetch(`${url}${path}`);
    assert.equal(r.status, 404, path);
    assert.match(((await r.json()) as { message: string }).message, /^Not found/);
  }
});

test('the mount claims GET / and /_tollgate/… only, leaving the API its paths and other methods on /', () => {
  const mount = createPageMount(config);
  assert.equal(mount.matches('/', 'GET'), true);
  assert.equal(mount.matches('/', 'HEAD'), true);
  assert.equal(mount.matches('/', 'POST'), false, "POST / is the API's");
  assert.equal(mount.matches('/_tollgate/app.js', 'GET'), true);
  assert.equal(mount.matches('/_tollgate', 'GET'), true);
  assert.equal(mount.matches('/pets', 'GET'), false);
  assert.equal(mount.matches('/_tollgatex', 'GET'), false);
  assert.equal(mount.matches('/public', 'GET'), false);
});

test('an unbuilt page is a 500 naming the missing file, and the server keeps serving', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'tollgate-page-'));
  dirs.push(empty);
  const bare = await serveMount(createPageMount(config, { assetsDir: empty }));
  const r = await fetch(`${bare}/`);
  assert.equal(r.status, 500);
  assert.match(
    ((await r.json()) as { message: string }).message,
    /not built: .*index\.html is missing\. Run npm run build/,
  );
  const cfg = await fetch(`${bare}/_tollgate/config.json`);
  assert.equal(cfg.status, 200);
  assert.equal(((await cfg.json()) as PageConfig).clientId, 'web-client');
});

test('a bad configuration is refused when mounting, naming the setting', () => {
  const bad = (change: Record<string, unknown>, setting: string): void => {
    assert.throws(
      () => createPageMount({ ...config, ...change } as PageConfig),
      (e: unknown) =>
        e instanceof PageConfigError && e.code === 'PAGE_CONFIG_INVALID' && e.setting === setting,
      setting,
    );
  };
  bad({ issuer: 'not a url' }, 'issuer');
  bad({ issuer: 'ftp://idp.example.com' }, 'issuer');
  bad({ clientId: '' }, 'clientId');
  bad({ scope: undefined }, 'scope');
  bad({ extraAuthorizeParams: { state: 'fixed' } }, 'extraAuthorizeParams.state');
  bad({ extraAuthorizeParams: { prompt: 1 } }, 'extraAuthorizeParams.prompt');
  // The page sends its token only to this server: no absolute or protocol-relative URLs.
  bad(
    {
      endpoints: {
        ...PETSTORE_ENDPOINTS,
        private: { method: 'GET', path: 'https://evil.example/pets' },
      },
    },
    'endpoints.private.path',
  );
  bad(
    {
      endpoints: { ...PETSTORE_ENDPOINTS, private: { method: 'GET', path: '//evil.example/pets' } },
    },
    'endpoints.private.path',
  );
  bad(
    { endpoints: { ...PETSTORE_ENDPOINTS, public: { method: 'FETCH', path: '/public' } } },
    'endpoints.public.method',
  );
  bad(
    { endpoints: { ...PETSTORE_ENDPOINTS, create: { method: 'POST', path: '/pets' } } },
    'endpoints.create.body',
  );
  assert.throws(
    () => createPageMount(config, { connectOrigins: ['not an origin'] }),
    (e: unknown) => e instanceof PageConfigError && e.setting === 'connectOrigins[0]',
  );
});

test('discovery is found under the issuer with one slash, whether or not the issuer ends with one', () => {
  assert.equal(
    discoveryUrl('https://tenant.us.auth0.com/'),
    'https://tenant.us.auth0.com/.well-known/openid-configuration',
  );
  assert.equal(
    discoveryUrl('https://dev-1.okta.com/oauth2/default'),
    'https://dev-1.okta.com/oauth2/default/.well-known/openid-configuration',
  );
  assert.equal(
    discoveryUrl('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123'),
    'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123/.well-known/openid-configuration',
  );
  assert.equal(
    discoveryUrl('http://localhost:3000/idp'),
    'http://localhost:3000/idp/.well-known/openid-configuration',
  );
});
