// The embedded development OpenID provider, over a real node:http server on 127.0.0.1, driven by
// fetch with a hand-kept cookie jar (the browser tests live elsewhere).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import {
  DEV_AUDIENCE,
  DEV_ISSUER,
  defaultDevIssuer,
  devIssuerFor,
  loadDevKey,
  type DevKey,
} from '../src/idp/dev-issuer.js';
import { mintDevToken } from '../src/cli/token-command.js';
import { configFromEnv } from '../src/settings/env.js';
import type { Mount } from '../src/gateway/server.js';
import { createDevProvider, type DevProvider } from '../src/idp/dev-provider.js';
import { DevProviderError } from '../src/idp/errors.js';
import { signInPage } from '../src/idp/pages.js';
import { createRuntime } from '../src/lambda/runtime.js';

let home: string;
let key: DevKey;
let server: Server;
let origin: string;
let issuer: string;
let redirectUri: string;
let idp: DevProvider;
const providerLog: Record<string, unknown>[] = [];
const consoleLines: string[] = [];
const consoleOriginals = {
  warn: console.warn,
  info: console.info,
  log: console.log,
  error: console.error,
};

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'tollgate-idp-'));
  // mintDevToken reads the key through process.env: keep it out of the repository's .tollgate/.
  process.env.TOLLGATE_HOME = home;
  delete process.env.PORT;
  key = loadDevKey({ create: true, env: { TOLLGATE_HOME: home } })!;
  // Everything oidc-provider prints (its notices use console) is collected, and must stay empty.
  for (const name of ['warn', 'info', 'log', 'error'] as const)
    console[name] = (...args: unknown[]) => void consoleLines.push(args.map(String).join(' '));

  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (idp.matches(path)) return void idp.handle(req, res);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not the provider\n');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  issuer = `${origin}/idp`;
  redirectUri = `${origin}/`;
  // `satisfies`: the compiler checks it fits the gateway's Mount interface.
  idp = (await createDevProvider({
    issuer,
    audience: DEV_AUDIENCE,
    scopes: ['read:pets', 'write:pets'],
    redirectUris: [redirectUri],
    key,
    log: (e) => void providerLog.push(e),
  })) satisfies Mount;
});

after(() => {
  Object.assign(console, consoleOriginals);
  server.closeAllConnections();
  server.close();
  rmSync(home, { recursive: true, force: true });
});

// --- a minimal cookie jar: name, path, expiry; enough for oidc-provider's cookies ---

interface Cookie {
  readonly value: string;
  readonly path: string;
}

class Jar {
  private readonly cookies = new Map<string, Cookie>();

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      let path = '/';
      let expired = false;
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        if (k!.toLowerCase() === 'path') path = v;
        if (k!.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) expired = true;
        if (k!.toLowerCase() === 'max-age' && Number(v) <= 0) expired = true;
      }
      const id = `${name}\0${path}`;
      if (expired) this.cookies.delete(id);
      else this.cookies.set(id, { value: pair!.slice(eq + 1), path });
    }
  }

  header(url: string): string {
    const path = new URL(url).pathname;
    return [...this.cookies]
      .filter(
        ([, c]) => path === c.path || path.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
      )
      .map(([id, c]) => `${id.slice(0, id.indexOf('\0'))}=${c.value}`)
      .join('; ');
  }

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.header(url);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    this.store(res);
    return res;
  }
}

const pkce = (): { verifier: string; challenge: string } => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

function authorizeUrl(params: Record<string, string>): string {
  const url = new URL(`${issuer}/auth`);
  for (const [k, v] of Object.entries({
    client_id: 'tollgate-web',
    response_type: 'code',
    redirect_uri: redirectUri,
    ...params,
  }))
    url.searchParams.set(k, v);
  return url.href;
}

/** The form's action and its radio values, read from the sign-in page. */
function readSignInForm(html: string): { action: string; users: string[] } {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  assert.ok(action, 'the sign-in page has a POST form');
  return {
    action: action.replaceAll('&amp;', '&'),
    users: [...html.matchAll(/type="radio" name="user" id="[^"]+" value="([^"]+)"/g)].map(
      (m) => m[1]!,
    ),
  };
}

/** The client's redirect URI is the page root, as in `tollgate serve`: compare without the query. */
const atRedirectUri = (url: string | URL): boolean => {
  const u = new URL(url);
  return u.origin + u.pathname === redirectUri;
};

interface Outcome {
  /** The final redirect to the client's redirect URI. */
  readonly callback: URL;
  readonly signInPages: number;
}

/**
 * Drives the authorization endpoint like a browser: follows redirects within the provider, and on
 * the sign-in page submits `form` (user and action). Stops at the client's redirect URI.
 */
async function authorize(
  jar: Jar,
  params: Record<string, string>,
  form: Record<string, string>,
): Promise<Outcome> {
  let url = authorizeUrl(params);
  let signInPages = 0;
  for (let hop = 0; hop < 12; hop++) {
    const res = await jar.fetch(url);
    if (res.status === 200) {
      const html = await res.text();
      let posted: Response;
      if (html.includes('<title>Submitting Callback</title>')) {
        // oidc-provider's self-submitting form (a browser runs its script): here, when another
        // user signs in, it ends the previous user's session first.
        const action = /<form method="post" action="([^"]+)"/.exec(html)![1]!;
        const fields = new URLSearchParams(
          [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/>/g)].map(
            (m) => [m[1]!, m[2]!] as [string, string],
          ),
        );
        posted = await jar.fetch(new URL(action, url).href, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: fields.toString(),
        });
      } else {
        signInPages++;
        const { action, users } = readSignInForm(html);
        assert.deepEqual(users, ['alice', 'bob']);
        posted = await jar.fetch(new URL(action, url).href, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(form).toString(),
        });
      }
      await posted.arrayBuffer();
      assert.ok(
        [302, 303].includes(posted.status),
        `the form at ${url} answers with a redirect, not ${posted.status}`,
      );
      url = new URL(posted.headers.get('location')!, url).href;
    } else {
      const text = await res.text();
      assert.ok(
        [302, 303].includes(res.status),
        `hop ${hop} to ${url}: expected a redirect, got ${res.status}: ${text}`,
      );
      url = new URL(res.headers.get('location')!, url).href;
    }
    if (atRedirectUri(url)) return { callback: new URL(url), signInPages };
  }
  assert.fail('too many redirects');
}

async function tokenRequest(
  body: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body).toString(),
  });
}

/** Signs in as `user` asking for `scope`, and exchanges the code. */
async function signInAndExchange(
  user: string,
  scope: string,
  extra: Record<string, string> = {},
): Promise<{ tokens: Record<string, unknown>; response: Response }> {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const { callback } = await authorize(
    new Jar(),
    { scope, state, code_challenge: challenge, code_challenge_method: 'S256', ...extra },
    { user, action: 'sign-in' },
  );
  assert.equal(callback.searchParams.get('state'), state);
  assert.equal(
    callback.searchParams.get('iss'),
    issuer,
    'RFC 9207 iss in the authorization response',
  );
  const code = callback.searchParams.get('code');
  assert.ok(code, `a code at the redirect URI: ${callback.href}`);
  const response = await tokenRequest(
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: 'tollgate-web',
      code_verifier: verifier,
    },
    { origin },
  );
  const tokens = (await response.json()) as Record<string, unknown>;
  assert.equal(response.status, 200, JSON.stringify(tokens));
  return { tokens, response };
}

const jwks = () => createRemoteJWKSet(new URL(`${issuer}/jwks`));
const machineAuth = (secret = idp.clients.machine.clientSecret) => ({
  authorization: `Basic ${Buffer.from(`${idp.clients.machine.clientId}:${secret}`).toString('base64')}`,
});

// --- discovery and keys ---

test('discovery: the configured issuer, endpoints under the mount, S256 PKCE, code and client credentials', async () => {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  assert.equal(res.status, 200);
  assert.equal(idp.discoveryUrl, `${issuer}/.well-known/openid-configuration`);
  const doc = (await res.json()) as Record<string, unknown>;
  assert.equal(doc.issuer, issuer);
  assert.equal(doc.jwks_uri, `${issuer}/jwks`);
  assert.equal(doc.authorization_endpoint, `${issuer}/auth`);
  assert.equal(doc.token_endpoint, `${issuer}/token`);
  assert.equal(doc.end_session_endpoint, `${issuer}/session/end`);
  assert.deepEqual(doc.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(doc.response_types_supported, ['code']);
  for (const g of ['authorization_code', 'client_credentials'])
    assert.ok((doc.grant_types_supported as string[]).includes(g), g);
  assert.ok((doc.id_token_signing_alg_values_supported as string[]).includes('RS256'));
  assert.equal(
    res.headers.get('access-control-allow-origin'),
    '*',
    'discovery is readable from any page',
  );
});

test('JWKS: exactly the development key, public parts only', async () => {
  const res = await fetch(`${issuer}/jwks`);
  assert.equal(res.status, 200);
  const { keys } = (await res.json()) as { keys: Record<string, unknown>[] };
  assert.equal(keys.length, 1);
  const [jwk] = keys;
  assert.equal(jwk!.kid, key.kid);
  assert.equal(jwk!.n, key.publicJwk.n);
  assert.equal(jwk!.e, key.publicJwk.e);
  assert.equal(jwk!.alg, 'RS256');
  for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi'])
    assert.equal(jwk![secret], undefined, `no ${secret}`);
});

// --- client credentials ---

test("client credentials: a JWT access token for the API, scope limited to the machine client's", async () => {
  const res = await tokenRequest(
    { grant_type: 'client_credentials', scope: 'read:pets write:pets' },
    machineAuth(),
  );
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.scope, 'read:pets');
  const { payload, protectedHeader } = await jwtVerify(body.access_token as string, jwks(), {
    issuer,
    audience: DEV_AUDIENCE,
    algorithms: ['RS256'],
  });
  assert.equal(protectedHeader.kid, key.kid);
  assert.equal(payload.sub, 'tollgate-machine');
  assert.equal(payload.client_id, 'tollgate-machine');
  assert.equal(payload.scope, 'read:pets');
  assert.equal(payload.exp! - payload.iat!, 3600);
});

test('client credentials: a wrong secret is invalid_client (401 JSON); the web client may not use the grant', async () => {
  const wrong = await tokenRequest(
    { grant_type: 'client_credentials', scope: 'read:pets' },
    machineAuth('not-the-secret-at-all'),
  );
  assert.equal(wrong.status, 401);
  assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_client');
  const web = await tokenRequest({
    grant_type: 'client_credentials',
    client_id: 'tollgate-web',
    scope: 'read:pets',
  });
  const refused = (await web.json()) as { error: string; error_description: string };
  assert.equal(web.status, 400, JSON.stringify(refused));
  assert.equal(refused.error, 'invalid_request');
  assert.match(refused.error_description, /grant type is not allowed for this client/);
});

test('the machine secret is random per provider unless given', async () => {
  const options = {
    issuer: 'http://localhost:1/idp',
    audience: DEV_AUDIENCE,
    scopes: ['read:pets', 'write:pets'],
    redirectUris: ['http://localhost:1/'],
    key,
  };
  const other = await createDevProvider(options);
  assert.notEqual(other.clients.machine.clientSecret, idp.clients.machine.clientSecret);
  assert.ok(other.clients.machine.clientSecret.length >= 32);
  const given = await createDevProvider({
    ...options,
    clients: { machineSecret: 'a-fixed-secret-for-ci-1234' },
  });
  assert.equal(given.clients.machine.clientSecret, 'a-fixed-secret-for-ci-1234');
});

// --- authorization code with PKCE ---

test('bob asks for read:pets write:pets and gets read:pets only; the token verifies with jose', async () => {
  const { tokens, response } = await signInAndExchange('bob', 'openid read:pets write:pets');
  assert.equal(
    response.headers.get('access-control-allow-origin'),
    origin,
    "CORS for the web client's origin",
  );
  assert.equal(tokens.scope, 'read:pets');
  const { payload, protectedHeader } = await jwtVerify(tokens.access_token as string, jwks(), {
    issuer,
    audience: DEV_AUDIENCE,
    algorithms: ['RS256'],
  });
  assert.equal(protectedHeader.kid, key.kid);
  assert.equal(payload.sub, 'bob');
  assert.equal(payload.scope, 'read:pets');
  assert.equal(payload.client_id, 'tollgate-web');
  const id = await jwtVerify(tokens.id_token as string, jwks(), {
    issuer,
    audience: 'tollgate-web',
  });
  assert.equal(id.payload.sub, 'bob');
});

test('alice gets read:pets and write:pets', async () => {
  const { tokens } = await signInAndExchange('alice', 'openid read:pets write:pets');
  const { payload } = await jwtVerify(tokens.access_token as string, jwks(), {
    issuer,
    audience: DEV_AUDIENCE,
  });
  assert.equal(payload.sub, 'alice');
  assert.equal(payload.scope, 'read:pets write:pets');
});

test("a client that names the API with Auth0's audience parameter gets the same token; another audience is refused", async () => {
  const { tokens } = await signInAndExchange('alice', 'openid read:pets', {
    audience: DEV_AUDIENCE,
  });
  assert.equal(decodeJwt(tokens.access_token as string).aud, DEV_AUDIENCE);
  const { challenge } = pkce();
  const { callback } = await authorize(
    new Jar(),
    {
      scope: 'openid read:pets',
      audience: 'https://other.example.com',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 's',
    },
    { user: 'alice', action: 'sign-in' },
  );
  assert.equal(callback.searchParams.get('error'), 'invalid_target');
  assert.equal(callback.searchParams.get('code'), null);
});

test('a wrong code_verifier is invalid_grant; the right one then succeeds once, and the code is spent', async () => {
  const { verifier, challenge } = pkce();
  const { callback } = await authorize(
    new Jar(),
    {
      scope: 'openid read:pets',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    },
    { user: 'alice', action: 'sign-in' },
  );
  const exchange = (code_verifier: string) =>
    tokenRequest({
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: redirectUri,
      client_id: 'tollgate-web',
      code_verifier,
    });
  const wrong = await exchange(pkce().verifier);
  assert.equal(wrong.status, 400);
  assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_grant');
  const right = await exchange(verifier);
  assert.equal(right.status, 200);
  await right.arrayBuffer();
  const replay = await exchange(verifier);
  assert.equal(replay.status, 400);
  assert.equal(((await replay.json()) as { error: string }).error, 'invalid_grant');
});

test("signing in again as another user (prompt=login) gives that user's scopes, not the previous user's", async () => {
  const jar = new Jar();
  const first = pkce();
  await authorize(
    jar,
    {
      scope: 'openid read:pets write:pets',
      state: 's',
      code_challenge: first.challenge,
      code_challenge_method: 'S256',
    },
    { user: 'bob', action: 'sign-in' },
  );
  // Same browser, bob still signed in: no sign-in page, and still no write:pets.
  const { verifier, challenge } = pkce();
  const silent = await authorize(
    jar,
    {
      scope: 'openid read:pets write:pets',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    },
    { user: 'alice', action: 'sign-in' },
  );
  assert.equal(silent.signInPages, 0);
  const bobAgain = await tokenRequest({
    grant_type: 'authorization_code',
    code: silent.callback.searchParams.get('code')!,
    redirect_uri: redirectUri,
    client_id: 'tollgate-web',
    code_verifier: verifier,
  });
  const bobToken = decodeJwt(((await bobAgain.json()) as { access_token: string }).access_token);
  assert.deepEqual([bobToken.sub, bobToken.scope], ['bob', 'read:pets']);
  const second = pkce();
  const switched = await authorize(
    jar,
    {
      scope: 'openid read:pets write:pets',
      state: 's',
      prompt: 'login',
      code_challenge: second.challenge,
      code_challenge_method: 'S256',
    },
    { user: 'alice', action: 'sign-in' },
  );
  assert.equal(switched.signInPages, 1);
  const res = await tokenRequest({
    grant_type: 'authorization_code',
    code: switched.callback.searchParams.get('code')!,
    redirect_uri: redirectUri,
    client_id: 'tollgate-web',
    code_verifier: second.verifier,
  });
  const alice = decodeJwt(((await res.json()) as { access_token: string }).access_token);
  assert.deepEqual([alice.sub, alice.scope], ['alice', 'read:pets write:pets']);
});

test('the token endpoint refuses a page on another origin (no CORS grant)', async () => {
  const { verifier, challenge } = pkce();
  const { callback } = await authorize(
    new Jar(),
    {
      scope: 'openid read:pets',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    },
    { user: 'bob', action: 'sign-in' },
  );
  const res = await tokenRequest(
    {
      grant_type: 'authorization_code',
      code: callback.searchParams.get('code')!,
      redirect_uri: redirectUri,
      client_id: 'tollgate-web',
      code_verifier: verifier,
    },
    { origin: 'https://evil.example' },
  );
  assert.equal(res.status, 403);
  assert.equal(res.headers.get('access-control-allow-origin'), null);
  assert.match(
    ((await res.json()) as { error_description: string }).error_description,
    /cross-origin requests are accepted only from the sign-in page/,
  );
});

/** A raw request, so the test chooses the Host header (fetch sets its own). */
function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${origin}${path}`, { method, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test("a foreign Host (DNS rebinding) gets 403; discovery names the configured issuer whatever this machine's name", async () => {
  const port = new URL(origin).port;
  const foreign = await rawRequest('GET', '/idp/.well-known/openid-configuration', {
    host: `attacker.example:${port}`,
  });
  assert.equal(foreign.status, 403);
  assert.doesNotMatch(foreign.body, /attacker/);
  assert.equal(
    (await rawRequest('GET', '/idp/jwks', { host: `127.0.0.1:${Number(port) + 1}` })).status,
    403,
    'another port is another server',
  );
  for (const host of [
    `localhost:${port}`,
    `127.0.0.1:${port}`,
    `[::1]:${port}`,
    `LOCALHOST:${port}`,
  ]) {
    const r = await rawRequest('GET', '/idp/.well-known/openid-configuration', { host });
    assert.equal(r.status, 200, host);
    const discovery = JSON.parse(r.body) as {
      issuer: string;
      jwks_uri: string;
      token_endpoint: string;
    };
    assert.equal(discovery.issuer, issuer);
    assert.equal(
      discovery.jwks_uri,
      `${issuer}/jwks`,
      `${host}: URLs name the issuer, not the Host header`,
    );
    assert.ok(discovery.token_endpoint.startsWith(`${issuer}/`));
  }
});

test("CORS: only the sign-in page's origin may preflight the token endpoint", async () => {
  const preflight = (from: string) =>
    rawRequest('OPTIONS', '/idp/token', {
      origin: from,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
  const evil = await preflight('https://evil.example');
  assert.equal(evil.status, 403);
  assert.equal(evil.headers['access-control-allow-origin'], undefined);
  const page = await preflight(new URL(redirectUri).origin);
  assert.ok(page.status >= 200 && page.status < 300, String(page.status));
  assert.equal(page.headers['access-control-allow-origin'], new URL(redirectUri).origin);
  // Public documents stay readable from anywhere: a page may fetch the JWKS.
  assert.equal(
    (await rawRequest('GET', '/idp/jwks', { origin: 'https://jwt.example' })).status,
    200,
  );
});

test('a post with an opaque Origin passes only when the browser says it is same-origin (the sign-in form)', async () => {
  const post = (fetchSite: string) =>
    rawRequest('POST', '/idp/token', {
      origin: 'null',
      'sec-fetch-site': fetchSite,
      'content-type': 'application/x-www-form-urlencoded',
    });
  const crossSite = await post('cross-site');
  assert.equal(crossSite.status, 403);
  assert.match(crossSite.body, /cross-origin requests are accepted only from the sign-in page/);
  const sameOrigin = await post('same-origin');
  assert.notEqual(
    sameOrigin.status,
    403,
    'reaches the provider, which judges the (empty) grant itself',
  );
});

test('PKCE is required: an authorization request without code_challenge is refused at the redirect URI', async () => {
  const res = await new Jar().fetch(authorizeUrl({ scope: 'openid read:pets', state: 's' }));
  assert.ok([302, 303].includes(res.status));
  const location = new URL(res.headers.get('location')!);
  assert.ok(atRedirectUri(location), location.href);
  assert.equal(location.searchParams.get('error'), 'invalid_request');
  assert.match(location.searchParams.get('error_description') ?? '', /PKCE/);
});

test('an unregistered redirect_uri gets an HTML error page (never a redirect), and the server keeps serving', async () => {
  const res = await fetch(
    authorizeUrl({
      scope: 'openid',
      redirect_uri: 'https://attacker.example/cb',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    }),
    { redirect: 'manual' },
  );
  assert.equal(res.status, 400);
  assert.equal(res.headers.get('location'), null);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  const html = await res.text();
  assert.match(html, /invalid_redirect_uri/);
  assert.match(html, /Development identity provider/);
  assert.doesNotMatch(
    html,
    /https?:\/\/(?!attacker)[^"]*\.(css|js)"|fonts\.googleapis/,
    'no external assets',
  );
  const unknown = await fetch(authorizeUrl({ client_id: 'nobody', scope: 'openid' }), {
    redirect: 'manual',
  });
  assert.equal(unknown.status, 400);
  assert.match(await unknown.text(), /invalid_client/);
  assert.equal((await fetch(`${issuer}/.well-known/openid-configuration`)).status, 200);
});

test('Cancel on the sign-in page sends access_denied to the application', async () => {
  const { challenge } = pkce();
  const { callback } = await authorize(
    new Jar(),
    {
      scope: 'openid read:pets',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    },
    { action: 'cancel' },
  );
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  assert.equal(callback.searchParams.get('code'), null);
});

test('the sign-in page: labelled radios named by user id, a Sign in button, an unknown user re-asks with 400', async () => {
  const jar = new Jar();
  const { challenge } = pkce();
  const start = await jar.fetch(
    authorizeUrl({
      scope: 'openid read:pets write:pets',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }),
  );
  assert.equal(start.status, 303);
  const pageUrl = new URL(start.headers.get('location')!, issuer).href;
  assert.match(pageUrl, /\/idp\/interaction\/[\w-]+$/);
  const page = await jar.fetch(pageUrl);
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('cache-control'), 'no-store');
  assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  const html = await page.text();
  assert.match(html, /<html lang="en">/);
  assert.match(html, /<label for="user-0">alice<\/label>/);
  assert.match(html, /<label for="user-1">bob<\/label>/);
  assert.match(html, /<legend>Choose a development user<\/legend>/);
  assert.match(
    html,
    /<button type="submit" class="primary" name="action" value="sign-in">Sign in<\/button>/,
  );
  assert.match(
    html,
    /<code>tollgate-web<\/code> asks for <code>read:pets<\/code> <code>write:pets<\/code>/,
  );
  const { action } = readSignInForm(html);
  const bad = await jar.fetch(new URL(action, pageUrl).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'user=mallory&action=sign-in',
  });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /role="alert">Choose one of the listed users/);
  // Without the interaction cookie (another browser), the page is a clean error.
  const stranger = await fetch(pageUrl);
  assert.equal(stranger.status, 400);
  assert.match(await stranger.text(), /invalid_request/);
});

test('the sign-in page escapes everything it shows', () => {
  const html = signInPage({
    action: '/idp/interaction/x"y',
    clientId: '<script>alert(1)</script>',
    users: [{ id: 'eve', name: '<img src=x onerror=alert(1)>', scopes: ['a&b'] }],
    requestedScopes: ['"quoted"'],
  });
  assert.doesNotMatch(html, /<script>|<img/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /action="\/idp\/interaction\/x&quot;y"/);
  assert.match(html, /a&amp;b/);
});

test('RP-initiated logout: a confirmation page, then back to the post-logout redirect URI', async () => {
  const jar = new Jar();
  const { challenge } = pkce();
  await authorize(
    jar,
    {
      scope: 'openid read:pets',
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    },
    { user: 'bob', action: 'sign-in' },
  );
  const end = await jar.fetch(
    `${issuer}/session/end?client_id=tollgate-web&post_logout_redirect_uri=${encodeURIComponent(redirectUri)}&state=bye`,
  );
  assert.equal(end.status, 200);
  const html = await end.text();
  assert.match(html, /Sign out of the development provider\?/);
  const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
  assert.ok(action && xsrf, 'the logout form and its xsrf token');
  const confirm = await jar.fetch(new URL(action, issuer).href, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ xsrf, logout: 'yes' }).toString(),
  });
  assert.ok([302, 303].includes(confirm.status), String(confirm.status));
  let location = new URL(confirm.headers.get('location')!, issuer);
  for (let hop = 0; hop < 4 && !atRedirectUri(location); hop++) {
    const next = await jar.fetch(location.href);
    location = new URL(next.headers.get('location')!, location);
  }
  assert.ok(atRedirectUri(location), location.href);
  assert.equal(location.searchParams.get('state'), 'bye');
  // Signed out: the next authorization shows the sign-in page again.
  const again = await authorize(
    jar,
    {
      scope: 'openid read:pets',
      state: 's',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
    },
    { user: 'alice', action: 'sign-in' },
  );
  assert.equal(again.signInPages, 1);
});

// --- Tollgate's verifier and `tollgate token` agree with the provider ---

test("Tollgate's verifier, finding the keys by OpenID discovery, accepts the provider's tokens and the CLI's", async () => {
  const runtime = createRuntime(configFromEnv({ TOKEN_ISSUER: issuer, AUDIENCE: DEV_AUDIENCE }), {
    log: () => {},
  });
  const { tokens } = await signInAndExchange('bob', 'openid read:pets write:pets');
  const bob = await runtime.verifier.verify(tokens.access_token as string);
  assert.equal(bob.kind, 'allow', JSON.stringify(bob));
  assert.equal(bob.kind === 'allow' && bob.principal, 'bob');

  const minted = await mintDevToken({ iss: issuer, sub: 'carol', scope: 'read:pets' });
  assert.equal(minted.header.kid, key.kid, 'tollgate token signs with the same key');
  const carol = await runtime.verifier.verify(minted.token);
  assert.equal(carol.kind, 'allow', JSON.stringify(carol));
  assert.equal(carol.kind === 'allow' && carol.principal, 'carol');

  const writer = createRuntime(
    configFromEnv({
      TOKEN_ISSUER: issuer,
      AUDIENCE: DEV_AUDIENCE,
      JWKS_URI: `${issuer}/jwks`,
      REQUIRED_SCOPES: 'write:pets',
    }),
    { log: () => {} },
  );
  assert.notEqual(
    (await writer.verifier.verify(tokens.access_token as string)).kind,
    'allow',
    "bob's token carries no write:pets",
  );
  const alice = await signInAndExchange('alice', 'openid read:pets write:pets');
  assert.equal((await writer.verifier.verify(alice.tokens.access_token as string)).kind, 'allow');
});

test("tollgate token's default issuer follows PORT; devIssuerFor names the issuer of a port", () => {
  assert.equal(devIssuerFor(4321), 'http://localhost:4321/idp');
  assert.equal(defaultDevIssuer({}), DEV_ISSUER);
  assert.equal(defaultDevIssuer({ PORT: '8080' }), 'http://localhost:8080/idp');
  assert.equal(defaultDevIssuer({ PORT: 'abc' }), DEV_ISSUER);
  assert.equal(defaultDevIssuer({ PORT: '70000' }), DEV_ISSUER);
});

test('tollgate token without --iss uses the PORT issuer', async () => {
  process.env.PORT = '4555';
  try {
    const { claims } = await mintDevToken({});
    assert.equal(claims.iss, 'http://localhost:4555/idp');
  } finally {
    delete process.env.PORT;
  }
  assert.equal((await mintDevToken({})).claims.iss, DEV_ISSUER);
  assert.equal(decodeProtectedHeader((await mintDevToken({})).token).kid, key.kid);
});

// --- mounting and options ---

test('the mount: matches only the issuer path, and its routes answer relative to it', async () => {
  assert.equal(idp.matches('/idp'), true);
  assert.equal(idp.matches('/idp/token'), true);
  assert.equal(idp.matches('/idpx'), false);
  assert.equal(idp.matches('/pets'), false);
  assert.equal((await fetch(`${origin}/pets`)).status, 404);
  assert.equal((await fetch(`${issuer}/no-such-route`)).status, 404);
  // A request that lands outside the mount is answered, not thrown.
  const direct = await new Promise<number>((resolve) => {
    const probe = createServer((req, res) => void idp.handle(req, res));
    probe.listen(0, '127.0.0.1', async () => {
      const status = (
        await fetch(`http://127.0.0.1:${(probe.address() as AddressInfo).port}/elsewhere`)
      ).status;
      probe.closeAllConnections();
      probe.close();
      resolve(status);
    });
  });
  assert.equal(direct, 404);
});

test("the default users and machine client fit the API's scopes: alice all of them, bob and the machine the reading ones", async () => {
  const options = {
    issuer: 'http://localhost:1/idp',
    audience: DEV_AUDIENCE,
    redirectUris: ['http://localhost:1/'],
    key,
  };
  assert.deepEqual(
    idp.users.map((u) => [u.id, u.scopes.join(' ')]),
    [
      ['alice', 'read:pets write:pets'],
      ['bob', 'read:pets'],
    ],
  );
  const readOnly = await createDevProvider({ ...options, scopes: ['read:pets'] });
  assert.deepEqual(
    readOnly.users.map((u) => [u.id, u.scopes.join(' ')]),
    [
      ['alice', 'read:pets'],
      ['bob', 'read:pets'],
    ],
  );
  const other = await createDevProvider({
    ...options,
    scopes: ['orders.read', 'orders.write', 'admin'],
  });
  assert.deepEqual(
    other.users.map((u) => [u.id, u.scopes.join(' ')]),
    [
      ['alice', 'orders.read orders.write admin'],
      ['bob', 'orders.read'],
    ],
  );
  assert.deepEqual(other.clients.machine.scopes, ['orders.read']);
});

test('bad options are a DevProviderError naming the option', async () => {
  const base = {
    issuer: 'http://localhost:3000/idp',
    audience: DEV_AUDIENCE,
    scopes: ['read:pets', 'write:pets'],
    redirectUris: ['http://localhost:3000/'],
    key,
  };
  const cases: [Record<string, unknown>, string][] = [
    [{ issuer: 'localhost:3000' }, 'issuer'],
    [{ issuer: 'http://localhost:3000/idp?x=1' }, 'issuer'],
    [{ audience: 'petstore' }, 'audience'],
    [{ scopes: [] }, 'scopes'],
    [
      { users: [{ id: 'dan', name: 'Dan', scopes: ['write:pets'] }], scopes: ['read:pets'] },
      'users[0].scopes',
    ],
    [{ scopes: ['read pets'] }, 'scopes'],
    [{ users: [{ id: 'dan', name: 'Dan', scopes: ['delete:pets'] }] }, 'users[0].scopes'],
    [
      {
        users: [
          { id: 'a', name: 'A', scopes: [] },
          { id: 'a', name: 'A2', scopes: [] },
        ],
      },
      'users[1].id',
    ],
    [{ redirectUris: [] }, 'redirectUris'],
    [{ redirectUris: ['/relative'] }, 'redirectUris'],
    [{ accessTokenTtlSeconds: 0 }, 'accessTokenTtlSeconds'],
    [{ clients: { machineScopes: ['delete:pets'] } }, 'clients.machineScopes'],
    [{ clients: { machineSecret: 'short' } }, 'clients.machineSecret'],
  ];
  for (const [override, option] of cases) {
    await assert.rejects(createDevProvider({ ...base, ...override } as never), (error: unknown) => {
      assert.ok(error instanceof DevProviderError, String(error));
      assert.equal(error.code, 'IDP_OPTIONS_INVALID');
      assert.equal(error.option, option, error.message);
      return true;
    });
  }
});

test('nothing alarming was printed, and the provider logged no failure', () => {
  assert.deepEqual(
    consoleLines.filter((l) => /oidc-provider|WARNING|NOTICE/i.test(l)),
    [],
  );
  assert.deepEqual(providerLog, []);
});
