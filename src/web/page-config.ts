// What the sign-in page needs to know: the provider to sign in with and the API calls its buttons
// make. The server validates it once when the page is mounted; the browser validates what it
// fetches with the same function. Pure: no Node and no DOM, so both sides compile it.
import { TollgateError } from '../core/errors.js';

/** One API call a button makes. Paths are relative to the page's origin (the local gateway). */
export interface PageEndpoint {
  readonly method: string;
  readonly path: string;
}

/** The create call sends `body` as JSON. */
export interface PageCreateEndpoint extends PageEndpoint {
  readonly body: unknown;
}

export interface PageConfig {
  /** The OpenID provider's issuer, exactly as its discovery document states it (Auth0's ends with `/`). */
  readonly issuer: string;
  /** A public client (no secret) allowed the authorization code flow with PKCE and the page's URL as redirect URI. */
  readonly clientId: string;
  /** Sent as the `audience` authorize parameter (Auth0's API identifier); omitted when not set. */
  readonly audience?: string | undefined;
  /** Space-separated scopes to request, e.g. `openid read:pets write:pets`. */
  readonly scope: string;
  /** More authorize parameters a provider needs (e.g. `resource`); the protocol's own cannot be overridden. */
  readonly extraAuthorizeParams?: Readonly<Record<string, string>> | undefined;
  readonly endpoints: {
    readonly public: PageEndpoint;
    readonly private: PageEndpoint;
    readonly create: PageCreateEndpoint;
  };
}

/**
 * The issuer's OpenID discovery document. Auth0's issuer ends with `/`, Okta's and Cognito's do
 * not: either way one slash before `.well-known`.
 *
 * @example discoveryUrl('https://tenant.auth0.com/') // 'https://tenant.auth0.com/.well-known/openid-configuration'
 */
export function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** A setting of the page's configuration is missing or invalid. */
export class PageConfigError extends TollgateError<'PAGE_CONFIG_INVALID'> {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super('PAGE_CONFIG_INVALID', `Invalid page configuration: ${setting} ${problem}`);
    this.name = 'PageConfigError';
  }
}

/** Parameters the page sets itself on every authorization request. */
export const PROTOCOL_PARAMS: readonly string[] = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'audience',
];

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Fields =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function text(fields: Fields, key: string, setting: string): string {
  const v = fields[key];
  if (typeof v !== 'string' || v.trim() === '')
    throw new PageConfigError(setting, 'must be a non-empty string');
  return v;
}

function endpoint(value: unknown, setting: string, withBody: boolean): PageCreateEndpoint {
  if (!isObject(value)) throw new PageConfigError(setting, 'must be an object { method, path }');
  const method = text(value, 'method', `${setting}.method`).toUpperCase();
  if (!METHODS.has(method))
    throw new PageConfigError(
      `${setting}.method`,
      `must be one of ${[...METHODS].join(', ')}, got ${JSON.stringify(value.method)}`,
    );
  const path = text(value, 'path', `${setting}.path`);
  // A path on this origin only: the page sends its token nowhere else.
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\'))
    throw new PageConfigError(
      `${setting}.path`,
      `must be a path on this server starting with one /, got ${JSON.stringify(path)}`,
    );
  if (withBody && value.body === undefined)
    throw new PageConfigError(`${setting}.body`, 'is required (the JSON sent to create)');
  return withBody ? { method, path, body: value.body } : { method, path, body: undefined };
}

/** Returns a checked copy of `value`, or throws PageConfigError naming the first bad setting. */
export function checkPageConfig(value: unknown): PageConfig {
  if (!isObject(value)) throw new PageConfigError('(root)', 'must be an object');
  const issuer = text(value, 'issuer', 'issuer');
  let parsed: URL;
  try {
    parsed = new URL(issuer);
  } catch {
    throw new PageConfigError('issuer', `must be an absolute URL, got ${JSON.stringify(issuer)}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new PageConfigError(
      'issuer',
      `must be an http or https URL, got ${JSON.stringify(issuer)}`,
    );
  if (parsed.search || parsed.hash)
    throw new PageConfigError('issuer', 'must have no query or fragment');
  const clientId = text(value, 'clientId', 'clientId');
  const scope = text(value, 'scope', 'scope');
  let audience: string | undefined;
  if (value.audience !== undefined) audience = text(value, 'audience', 'audience');
  let extraAuthorizeParams: Record<string, string> | undefined;
  if (value.extraAuthorizeParams !== undefined) {
    if (!isObject(value.extraAuthorizeParams))
      throw new PageConfigError('extraAuthorizeParams', 'must be an object of strings');
    extraAuthorizeParams = {};
    for (const [k, v] of Object.entries(value.extraAuthorizeParams)) {
      if (typeof v !== 'string')
        throw new PageConfigError(`extraAuthorizeParams.${k}`, 'must be a string');
      if (PROTOCOL_PARAMS.includes(k))
        throw new PageConfigError(
          `extraAuthorizeParams.${k}`,
          'is set by the page itself and cannot be overridden',
        );
      extraAuthorizeParams[k] = v;
    }
  }
  const endpoints = value.endpoints;
  if (!isObject(endpoints))
    throw new PageConfigError('endpoints', 'must be an object { public, private, create }');
  const { method: pm, path: pp } = endpoint(endpoints.public, 'endpoints.public', false);
  const { method: vm, path: vp } = endpoint(endpoints.private, 'endpoints.private', false);
  return {
    issuer,
    clientId,
    ...(audience !== undefined ? { audience } : {}),
    scope,
    ...(extraAuthorizeParams !== undefined ? { extraAuthorizeParams } : {}),
    endpoints: {
      public: { method: pm, path: pp },
      private: { method: vm, path: vp },
      create: endpoint(endpoints.create, 'endpoints.create', true),
    },
  };
}

/** The PetStore example's calls (examples/petstore.openapi.yaml): what `tollgate serve` offers by default. */
export const PETSTORE_ENDPOINTS: PageConfig['endpoints'] = {
  public: { method: 'GET', path: '/public' },
  private: { method: 'GET', path: '/pets' },
  create: { method: 'POST', path: '/pets', body: { type: 'bird', price: 9.99 } },
};
