// The embedded development OpenID provider of `tollgate serve`: oidc-provider (a certified
// implementation) configured for one API, a few development users and two first-party clients,
// signing with the same development key as `tollgate token`, and mounted under the issuer's path
// of a plain node:http server.
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientMetadata, Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { DevKey } from './dev-issuer.js';
import { DevProviderError } from './errors.js';
import { createHostGuard, type HostGuard } from './host-guard.js';
import {
  handleInteraction,
  interactionPath,
  interactionUid,
  type InteractionOptions,
} from './interactions.js';
import { loadOidcProvider } from './load-oidc-provider.js';
import { createMemoryAdapter } from './memory-adapter.js';
import { errorPage, PAGE_HEADERS, signedOutPage, signOutPage } from './pages.js';
import { checkUsers, defaultDevUsers, readScopes, type DevUser } from './users.js';

export interface DevClientOptions {
  /** The browser application's client: public, authorization code with PKCE. Default `tollgate-web`. */
  readonly webClientId?: string;
  /** The machine client: confidential, client credentials. Default `tollgate-machine`. */
  readonly machineClientId?: string;
  /** Default: random at each start, never written anywhere. */
  readonly machineSecret?: string;
  /** The API scopes the machine client may be granted. Default: the reading ones (read:pets). */
  readonly machineScopes?: readonly string[];
}

export interface DevProviderOptions {
  /** e.g. http://localhost:3000/idp: the provider answers under this URL's path. */
  readonly issuer: string;
  /** The access tokens' `aud`, e.g. https://petstore.example.com. */
  readonly audience: string;
  /** The API scopes the provider can grant, e.g. ['read:pets', 'write:pets']. */
  readonly scopes: readonly string[];
  /** Default: alice, who may have every API scope, and bob, only the reading ones (read:pets). */
  readonly users?: readonly DevUser[];
  readonly clients?: DevClientOptions;
  /** The web client's redirect URIs, e.g. ['http://localhost:3000/', 'http://127.0.0.1:3000/']. */
  readonly redirectUris: readonly string[];
  /** loadDevKey()'s key: tokens from the provider and from `tollgate token` verify against one JWKS. */
  readonly key: DevKey;
  /**
   * Tokens shaped like an Amazon Cognito user pool's (`--cognito POOL_ID=dev`): `token_use`,
   * `cognito:username` and `cognito:groups` in ID tokens, `token_use`, `username`, `client_id` and
   * `cognito:groups` in access tokens. Default false.
   */
  readonly cognito?: boolean;
  /** Access and ID token lifetime. Default 3600. */
  readonly accessTokenTtlSeconds?: number;
  /** Provider failures (never client mistakes). Default: a JSON line on stderr. */
  readonly log?: (entry: Record<string, unknown>) => void;
  /**
   * Host header values answered besides the issuer's host and localhost, 127.0.0.1 and [::1] at its
   * port (e.g. a name in /etc/hosts). Any other Host gets 403: DNS rebinding cannot reach the provider.
   */
  readonly allowedHosts?: readonly string[];
}

export interface DevProvider {
  readonly name: 'idp';
  readonly issuer: string;
  /** The issuer's path without a trailing slash ('' at the root). */
  readonly mountPath: string;
  readonly discoveryUrl: string;
  readonly audience: string;
  readonly clients: {
    readonly web: { readonly clientId: string; readonly redirectUris: readonly string[] };
    readonly machine: {
      readonly clientId: string;
      readonly clientSecret: string;
      readonly scopes: readonly string[];
    };
  };
  readonly users: readonly DevUser[];
  /** True for the issuer's path and everything under it (the gateway's Mount interface). */
  matches(pathname: string): boolean;
  /** Answers one request under the mount; never rejects, never lets an error escape. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

/**
 * Builds the provider; the caller mounts it in its HTTP server (see DevProvider.matches).
 *
 * @example
 * const idp = await createDevProvider({
 *   issuer: devIssuerFor(3000), audience: DEV_AUDIENCE, scopes: ['read:pets', 'write:pets'],
 *   redirectUris: ['http://localhost:3000/', 'http://127.0.0.1:3000/'], key: loadDevKey({ create: true })!,
 * });
 * createGatewayServer(gateway, { mounts: [idp] });
 */
export async function createDevProvider(o: DevProviderOptions): Promise<DevProvider> {
  const s = checkSettings(o);
  const oidc = await loadOidcProvider();
  const byId = new Map(s.users.map((u) => [u.id, u] as const));
  const provider = startProvider(oidc.Provider, s, providerConfiguration(s, byId, oidc.errors));
  const mount: Mount = {
    mountPath: s.mountPath,
    callback: provider.callback(),
    guard: createHostGuard(s.issuer, s.redirectUris, o.allowedHosts),
    interactions: { provider, mountPath: s.mountPath, users: byId, apiScopes: s.apiScopes },
    log: s.log,
  };
  return {
    name: 'idp',
    issuer: s.issuer,
    mountPath: s.mountPath,
    discoveryUrl: `${s.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    audience: s.audience,
    clients: { web: s.web, machine: s.machine },
    users: s.users,
    matches: (pathname) => isUnder(s.mountPath, pathname),
    handle: (req, res) => handleRequest(mount, req, res),
  };
}

/** The options checked (a DevProviderError naming the bad one) and the defaults filled in. */
interface DevSettings {
  readonly issuer: string;
  readonly mountPath: string;
  readonly audience: string;
  readonly apiScopes: readonly string[];
  readonly users: readonly DevUser[];
  readonly redirectUris: readonly string[];
  readonly ttl: number;
  readonly key: DevKey;
  readonly log: (entry: Record<string, unknown>) => void;
  readonly web: DevProvider['clients']['web'];
  readonly machine: DevProvider['clients']['machine'];
  readonly cognito: boolean;
}

function checkSettings(o: DevProviderOptions): DevSettings {
  const { issuer, mountPath } = checkIssuer(o.issuer);
  const audience = checkAudience(o.audience);
  const apiScopes = checkScopes(o.scopes);
  const users = checkUsers(o.users ?? defaultDevUsers(apiScopes), apiScopes);
  const redirectUris = checkRedirectUris(o.redirectUris);
  const ttl = o.accessTokenTtlSeconds ?? 3600;
  if (!Number.isSafeInteger(ttl) || ttl < 1)
    throw new DevProviderError(
      'accessTokenTtlSeconds',
      `must be a positive whole number of seconds, got ${String(ttl)}`,
    );
  const log = o.log ?? ((entry) => process.stderr.write(JSON.stringify(entry) + '\n'));
  const web = { clientId: o.clients?.webClientId ?? 'tollgate-web', redirectUris };
  const machine = checkMachineClient(o.clients, web.clientId, apiScopes);
  return {
    issuer,
    mountPath,
    audience,
    apiScopes,
    users,
    redirectUris,
    ttl,
    key: o.key,
    log,
    web,
    machine,
    cognito: o.cognito ?? false,
  };
}

function checkMachineClient(
  clients: DevClientOptions | undefined,
  webClientId: string,
  apiScopes: readonly string[],
): DevSettings['machine'] {
  const machine = {
    clientId: clients?.machineClientId ?? 'tollgate-machine',
    clientSecret: clients?.machineSecret ?? randomBytes(24).toString('base64url'),
    scopes: clients?.machineScopes ?? readScopes(apiScopes),
  };
  if (webClientId === machine.clientId)
    throw new DevProviderError(
      'clients',
      `must give the web and machine clients different ids, both are ${JSON.stringify(webClientId)}`,
    );
  if (machine.clientSecret.length < 16)
    throw new DevProviderError('clients.machineSecret', 'must be at least 16 characters');
  for (const scope of machine.scopes)
    if (!apiScopes.includes(scope))
      throw new DevProviderError(
        'clients.machineScopes',
        `contains ${JSON.stringify(scope)}, which is not one of the API's scopes`,
      );
  return machine;
}

/** The two first-party clients: the page (public, code with PKCE) and a machine (client credentials). */
function clientMetadata(s: DevSettings): ClientMetadata[] {
  return [
    {
      client_id: s.web.clientId,
      client_name: 'Tollgate web page',
      application_type: 'web',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [...s.redirectUris],
      post_logout_redirect_uris: [...s.redirectUris],
    },
    {
      client_id: s.machine.clientId,
      client_secret: s.machine.clientSecret,
      client_name: 'Tollgate machine client',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
  ];
}

type OidcErrors = Awaited<ReturnType<typeof loadOidcProvider>>['errors'];

function providerConfiguration(
  s: DevSettings,
  byId: ReadonlyMap<string, DevUser>,
  errors: OidcErrors,
): Configuration {
  const { audience, ttl } = s;
  return {
    // In memory: a development provider forgets its sessions and codes on restart, as it should.
    adapter: createMemoryAdapter(),
    clients: clientMetadata(s),
    jwks: {
      keys: [
        { ...s.key.privateKey.export({ format: 'jwk' }), kid: s.key.kid, alg: 'RS256', use: 'sig' },
      ],
    },
    // Random per start: restarting signs everyone out, and there is no secret to commit.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    ...cognitoConfiguration(s.cognito, byId),
    responseTypes: ['code'],
    pkce: { required: () => true },
    findAccount: (_ctx, sub) => {
      const user = byId.get(sub);
      return (
        user && {
          accountId: user.id,
          claims: () => ({
            sub: user.id,
            name: user.name,
            preferred_username: user.id,
            ...(s.cognito ? cognitoIdClaims(user) : {}),
          }),
        }
      );
    },
    features: providerFeatures(s, errors),
    // Auth0's name for the resource: accepted when it names this API.
    extraParams: {
      audience: (_ctx, value) => {
        if (value !== undefined && value !== audience)
          throw new errors.InvalidTarget(`audience must be ${audience}`);
      },
    },
    interactions: { url: (_ctx, interaction) => interactionPath(s.mountPath, interaction.uid) },
    clientBasedCORS: (_ctx, origin, client) =>
      (client.redirectUris ?? []).some(
        (uri) => URL.canParse(uri) && new URL(uri).origin === origin,
      ),
    renderError: (ctx, out) => html(ctx, errorPage(out)),
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      IdToken: ttl,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      RefreshToken: 24 * 3600,
    },
  };
}

function providerFeatures(s: DevSettings, errors: OidcErrors): Configuration['features'] {
  const { audience, machine, apiScopes } = s;
  return {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // Every access token is for the API; a userinfo endpoint would accept none of them.
    userinfo: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: (ctx, form) => html(ctx, signOutPage(form)),
      postLogoutSuccessSource: (ctx) => html(ctx, signedOutPage()),
    },
    resourceIndicators: {
      enabled: true,
      // A client that names no resource (most SPAs, Auth0-style clients) still gets an API token.
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource, client) => {
        if (resource !== audience)
          throw new errors.InvalidTarget(`this provider issues tokens for ${audience} only`);
        return {
          audience,
          scope: (client.clientId === machine.clientId ? machine.scopes : apiScopes).join(' '),
          accessTokenFormat: 'jwt',
          accessTokenTTL: s.ttl,
          jwt: { sign: { alg: 'RS256', kid: s.key.kid } },
        };
      },
    },
  };
}

type ProviderClass = Awaited<ReturnType<typeof loadOidcProvider>>['Provider'];

/** The provider, its failures logged in one line each rather than as stack traces. */
function startProvider(
  Provider: ProviderClass,
  s: DevSettings,
  configuration: Configuration,
): InstanceType<ProviderClass> {
  let provider: InstanceType<ProviderClass>;
  try {
    provider = new Provider(s.issuer, configuration);
  } catch (error) {
    throw new DevProviderError(
      '(configuration)',
      `was refused by oidc-provider: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  provider.on('server_error', (_ctx: unknown, error: Error) =>
    s.log({ event: 'idp_server_error', message: error.message }),
  );
  // Koa's own last-resort handler would print a stack trace; one line is enough.
  (provider as unknown as EventEmitter).on('error', (error: Error) =>
    s.log({ event: 'idp_error', message: error.message }),
  );
  return provider;
}

/** What answering a request under the mount needs. */
interface Mount {
  readonly mountPath: string;
  readonly callback: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
  readonly guard: HostGuard;
  readonly interactions: InteractionOptions;
  readonly log: (entry: Record<string, unknown>) => void;
}

/** True for the issuer's path and everything under it. */
function isUnder(mountPath: string, pathname: string): boolean {
  return mountPath === '' || pathname === mountPath || pathname.startsWith(`${mountPath}/`);
}

/** One request under the mount: guarded, then the interaction pages or oidc-provider. Never rejects. */
async function handleRequest(m: Mount, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { mountPath } = m;
  try {
    const target = new URL(`http://localhost${req.url ?? '/'}`);
    if (!isUnder(mountPath, target.pathname))
      return sendJson(res, 404, {
        error: 'not_found',
        error_description: `not under ${mountPath}`,
      });
    const refusal = guardRefusal(m.guard, req);
    if (refusal)
      return sendJson(res, 403, { error: 'invalid_request', error_description: refusal });
    // Every URL the provider writes (discovery, redirects) names the issuer, whatever Host said.
    req.headers.host = m.guard.issuerHost;
    const path = target.pathname.slice(mountPath.length) || '/';
    const uid = interactionUid(path);
    if (uid !== undefined) return await handleInteraction(m.interactions, uid, req, res);
    // As Express's app.use(mountPath, provider.callback()) would: oidc-provider routes the
    // path below the mount and builds its URLs from originalUrl (or baseUrl) plus that path.
    Object.assign(req, { originalUrl: target.pathname + target.search, baseUrl: mountPath });
    req.url = path + target.search;
    await m.callback(req, res);
  } catch (error) {
    m.log({ event: 'idp_error', message: error instanceof Error ? error.message : String(error) });
    if (!res.headersSent)
      sendJson(res, 500, {
        error: 'server_error',
        error_description: 'the development provider failed; see its log',
      });
    else res.destroy();
  }
}

/**
 * Why a request is refused before the provider sees it: a Host that is not this server (DNS
 * rebinding), or a cross-origin call from a page other than Tollgate's own. A foreign origin may
 * still GET public documents (discovery, JWKS); it may not preflight, post or sign in.
 */
function guardRefusal(guard: HostGuard, req: IncomingMessage): string | undefined {
  if (!guard.hostAllowed(req.headers.host)) return 'the Host header does not name this server';
  const origin = req.headers.origin;
  if (origin === undefined || guard.originAllowed(origin)) return undefined;
  // A form post from the provider's own sign-in page can carry `Origin: null` (Chromium sends it
  // after the redirect chain from /auth); the browser's Sec-Fetch-Site still says it is same-origin.
  if (origin === 'null' && req.headers['sec-fetch-site'] === 'same-origin') return undefined;
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  return 'cross-origin requests are accepted only from the sign-in page';
}

function html(ctx: KoaContextWithOIDC, body: string): void {
  ctx.set(PAGE_HEADERS);
  ctx.body = body;
}

function sendJson(res: ServerResponse, status: number, body: Record<string, string>): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(text),
    })
    .end(text);
}

function checkIssuer(value: string): { issuer: string; mountPath: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DevProviderError('issuer', `must be an absolute URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new DevProviderError('issuer', `must use http or https, got ${JSON.stringify(value)}`);
  if (url.search || url.hash || value.includes('?') || value.includes('#'))
    throw new DevProviderError(
      'issuer',
      `must have no query or fragment, got ${JSON.stringify(value)}`,
    );
  if (url.username || url.password)
    throw new DevProviderError('issuer', 'must not carry credentials');
  return { issuer: value, mountPath: url.pathname.replace(/\/+$/, '') };
}

function checkAudience(value: string): string {
  // A resource indicator (RFC 8707): an absolute URI without a fragment.
  if (typeof value !== 'string' || !URL.canParse(value) || value.includes('#'))
    throw new DevProviderError(
      'audience',
      `must be an absolute URI without a fragment, got ${JSON.stringify(value)}`,
    );
  return value;
}

function checkScopes(scopes: readonly string[]): readonly string[] {
  if (scopes.length === 0) throw new DevProviderError('scopes', 'must name at least one API scope');
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(scope))
      throw new DevProviderError(
        'scopes',
        `contains ${JSON.stringify(scope)}, which is not a valid OAuth scope token`,
      );
    if (scope === 'openid' || scope === 'profile' || scope === 'offline_access')
      throw new DevProviderError(
        'scopes',
        `contains ${JSON.stringify(scope)}, an OpenID scope, not an API scope`,
      );
  }
  return [...new Set(scopes)];
}

function checkRedirectUris(uris: readonly string[]): readonly string[] {
  if (uris.length === 0)
    throw new DevProviderError(
      'redirectUris',
      'must name at least one redirect URI for the web client',
    );
  for (const uri of uris) {
    if (!URL.canParse(uri) || uri.includes('#'))
      throw new DevProviderError(
        'redirectUris',
        `contains ${JSON.stringify(uri)}, which is not an absolute URL without a fragment`,
      );
    const protocol = new URL(uri).protocol;
    if (protocol !== 'http:' && protocol !== 'https:')
      throw new DevProviderError(
        'redirectUris',
        `contains ${JSON.stringify(uri)}, which is not http or https`,
      );
  }
  return [...uris];
}

/** The claims configuration, and for a Cognito stand-in its ID and access token claims. */
function cognitoConfiguration(
  cognito: boolean,
  byId: ReadonlyMap<string, DevUser>,
): Pick<Configuration, 'claims' | 'conformIdTokenClaims' | 'extraTokenClaims'> {
  if (!cognito) return { claims: { openid: ['sub'], profile: ['name', 'preferred_username'] } };
  return {
    claims: {
      openid: ['sub', 'token_use', 'cognito:username', 'cognito:groups'],
      profile: ['name', 'preferred_username'],
    },
    // Cognito's ID tokens carry the user's claims in the code flow too.
    conformIdTokenClaims: false,
    extraTokenClaims: cognitoAccessClaims(byId),
  };
}

/** What a Cognito user pool's ID token says of the user besides OpenID's claims. */
function cognitoIdClaims(user: DevUser): Record<string, unknown> {
  return {
    token_use: 'id',
    'cognito:username': user.id,
    ...(user.groups?.length ? { 'cognito:groups': [...user.groups] } : {}),
  };
}

/** oidc-provider's extraTokenClaims: a Cognito access token's token_use, username and groups. */
function cognitoAccessClaims(
  users: ReadonlyMap<string, DevUser>,
): NonNullable<Configuration['extraTokenClaims']> {
  return (_ctx, token) => {
    const user = 'accountId' in token && token.accountId ? users.get(token.accountId) : undefined;
    return {
      token_use: 'access',
      ...(user ? { username: user.id } : {}),
      ...(user?.groups?.length ? { 'cognito:groups': [...user.groups] } : {}),
    };
  };
}
