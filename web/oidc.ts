// OpenID Connect sign-in for a public client in the browser: discovery, the authorization code flow
// with PKCE (S256, WebCrypto), state and nonce, and the code exchange. Works with any provider that
// publishes discovery and allows CORS on it and its token endpoint (the development provider,
// Auth0, Cognito, Okta). What must survive the redirect (verifier, state, nonce) waits in
// sessionStorage and is removed as soon as the callback reads it; tokens are only returned.
import { discoveryUrl, type PageConfig } from '../src/web/page-config.js';
import { decodeClaims } from './jwt.js';

export interface ProviderMetadata {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly end_session_endpoint?: string;
}

export interface Tokens {
  readonly accessToken: string;
  readonly idToken?: string;
  readonly expiresIn?: number;
}

export type SignInErrorCode =
  | 'INSECURE_CONTEXT'
  | 'DISCOVERY_FAILED'
  | 'PROVIDER_ERROR'
  | 'NO_PENDING_SIGN_IN'
  | 'STATE_MISMATCH'
  | 'ISSUER_MISMATCH'
  | 'TOKEN_EXCHANGE_FAILED'
  | 'ID_TOKEN_INVALID';

export class SignInError extends Error {
  constructor(
    readonly code: SignInErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SignInError';
  }
}

const PENDING_KEY = 'tollgate.pendingSignIn';

export interface Pending {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly redirectUri: string;
  readonly issuer: string;
}

const sameIssuer = (a: string, b: string): boolean =>
  a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 32 random bytes, base64url: 43 characters, as RFC 7636 recommends for the verifier. */
const randomToken = (): string => base64url(crypto.getRandomValues(new Uint8Array(32)));

async function s256(verifier: string): Promise<string> {
  return base64url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
}

async function getJson(
  url: string,
  what: string,
  code: SignInErrorCode,
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new SignInError(
      code,
      `${what}: ${url} could not be reached (offline, blocked, or no CORS)`,
    );
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok || typeof body !== 'object' || body === null)
    throw new SignInError(
      code,
      `${what}: ${url} answered ${response.status} without a JSON object`,
    );
  return body as Record<string, unknown>;
}

/** Fetches and checks the provider's discovery document. */
export async function discover(issuer: string): Promise<ProviderMetadata> {
  const doc = await getJson(discoveryUrl(issuer), 'Discovery failed', 'DISCOVERY_FAILED');
  for (const key of ['issuer', 'authorization_endpoint', 'token_endpoint'] as const) {
    if (typeof doc[key] !== 'string')
      throw new SignInError(
        'DISCOVERY_FAILED',
        `Discovery failed: the provider's document has no ${key}`,
      );
  }
  if (!sameIssuer(doc.issuer as string, issuer))
    throw new SignInError(
      'ISSUER_MISMATCH',
      `The provider says its issuer is ${String(doc.issuer)}, not the configured ${issuer}`,
    );
  return {
    issuer: doc.issuer as string,
    authorization_endpoint: doc.authorization_endpoint as string,
    token_endpoint: doc.token_endpoint as string,
    ...(typeof doc.end_session_endpoint === 'string'
      ? { end_session_endpoint: doc.end_session_endpoint }
      : {}),
  };
}

/**
 * Prepares a sign-in: remembers verifier, state and nonce for the callback, returns the authorize URL.
 * `prompt: 'login'` makes the provider ask who signs in even when its session would sign the last user in again.
 */
export async function beginSignIn(
  config: PageConfig,
  metadata: ProviderMetadata,
  redirectUri: string,
  options: { readonly prompt?: 'login' } = {},
): Promise<string> {
  if (!globalThis.isSecureContext || !crypto.subtle)
    throw new SignInError(
      'INSECURE_CONTEXT',
      'Sign-in needs WebCrypto, which browsers offer only on https or localhost pages',
    );
  const pending: Pending = {
    state: randomToken(),
    nonce: randomToken(),
    verifier: randomToken(),
    redirectUri,
    issuer: metadata.issuer,
  };
  const url = new URL(metadata.authorization_endpoint);
  for (const [k, v] of Object.entries(config.extraAuthorizeParams ?? {}))
    url.searchParams.set(k, v);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('scope', config.scope);
  url.searchParams.set('state', pending.state);
  url.searchParams.set('nonce', pending.nonce);
  url.searchParams.set('code_challenge', await s256(pending.verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  if (config.audience !== undefined) url.searchParams.set('audience', config.audience);
  if (options.prompt) url.searchParams.set('prompt', options.prompt);
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  return url.href;
}

export interface Callback {
  readonly code?: string;
  readonly state?: string;
  readonly iss?: string;
  readonly error?: string;
  readonly errorDescription?: string;
}

/** The callback's parameters, or undefined when this page load is not a callback. */
export function readCallback(search: string): Callback | undefined {
  const p = new URLSearchParams(search);
  const get = (k: string): Record<string, string> => {
    const v = p.get(k);
    return v === null ? {} : { [k === 'error_description' ? 'errorDescription' : k]: v };
  };
  if (!p.has('code') && !p.has('error')) return undefined;
  return {
    ...get('code'),
    ...get('state'),
    ...get('iss'),
    ...get('error'),
    ...get('error_description'),
  };
}

/** Parameters of the callback, removed from the address bar so a reload or a bookmark does not replay them. */
export const CALLBACK_PARAMS = [
  'code',
  'state',
  'iss',
  'error',
  'error_description',
  'error_uri',
  'session_state',
] as const;

function takePending(): Pending | undefined {
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as Pending;
  } catch {
    return undefined;
  }
}

/** A callback whose state matched the sign-in this tab started, ready for the code exchange. */
export interface AcceptedCallback {
  readonly code: string;
  readonly pending: Pending;
}

/** Checks a callback against the pending sign-in (used up either way): the provider's error, state, iss. */
export function acceptCallback(callback: Callback): AcceptedCallback {
  const pending = takePending();
  if (callback.error !== undefined) {
    throw new SignInError(
      'PROVIDER_ERROR',
      `The provider refused the sign-in: ${callback.error}${callback.errorDescription ? ` (${callback.errorDescription})` : ''}`,
    );
  }
  if (!pending)
    throw new SignInError(
      'NO_PENDING_SIGN_IN',
      'This sign-in was not started from this tab (or was already used): sign in again',
    );
  if (callback.state !== pending.state)
    throw new SignInError(
      'STATE_MISMATCH',
      'The callback state does not match the sign-in this tab started: ignored',
    );
  // RFC 9207: a provider that names itself in the callback must be the one we asked.
  if (callback.iss !== undefined && callback.iss !== pending.issuer)
    throw new SignInError(
      'ISSUER_MISMATCH',
      `The callback came from ${callback.iss}, not ${pending.issuer}`,
    );
  if (!callback.code)
    throw new SignInError('PROVIDER_ERROR', 'The callback carries no authorization code');
  return { code: callback.code, pending };
}

/** Exchanges the accepted callback's code (with the PKCE verifier) and checks the ID token's nonce. */
export async function exchangeCode(
  config: PageConfig,
  metadata: ProviderMetadata,
  { code, pending }: AcceptedCallback,
): Promise<Tokens> {
  const body = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: pending.redirectUri,
    client_id: config.clientId,
    code_verifier: pending.verifier,
  });
  let response: Response;
  try {
    response = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new SignInError(
      'TOKEN_EXCHANGE_FAILED',
      `The token endpoint ${metadata.token_endpoint} could not be reached (offline, blocked, or no CORS)`,
    );
  }
  const json = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const reason =
      typeof json.error === 'string'
        ? `${json.error}${typeof json.error_description === 'string' ? ` (${json.error_description})` : ''}`
        : `HTTP ${response.status}`;
    throw new SignInError('TOKEN_EXCHANGE_FAILED', `The code exchange failed: ${reason}`);
  }
  if (
    typeof json.access_token !== 'string' ||
    typeof json.token_type !== 'string' ||
    json.token_type.toLowerCase() !== 'bearer'
  ) {
    throw new SignInError(
      'TOKEN_EXCHANGE_FAILED',
      'The token endpoint answered without a Bearer access token',
    );
  }
  const idToken = typeof json.id_token === 'string' ? json.id_token : undefined;
  checkIdToken(config, pending, idToken);
  return {
    accessToken: json.access_token,
    ...(idToken !== undefined ? { idToken } : {}),
    ...(typeof json.expires_in === 'number' ? { expiresIn: json.expires_in } : {}),
  };
}

/**
 * The ID token came straight from the token endpoint over the connection the browser checked, so its
 * signature is not re-verified here (OpenID Connect Core 3.1.3.7); nonce, issuer and audience are.
 */
function checkIdToken(config: PageConfig, pending: Pending, idToken: string | undefined): void {
  if (idToken === undefined) {
    if (config.scope.split(' ').includes('openid'))
      throw new SignInError(
        'ID_TOKEN_INVALID',
        'The provider returned no ID token for an openid sign-in',
      );
    return;
  }
  const claims = decodeClaims(idToken);
  if (!claims) throw new SignInError('ID_TOKEN_INVALID', 'The ID token is not a readable JWT');
  if (claims.nonce !== pending.nonce)
    throw new SignInError(
      'ID_TOKEN_INVALID',
      'The ID token does not carry the nonce of this sign-in',
    );
  if (claims.iss !== pending.issuer)
    throw new SignInError(
      'ID_TOKEN_INVALID',
      `The ID token was issued by ${String(claims.iss)}, not ${pending.issuer}`,
    );
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(config.clientId))
    throw new SignInError('ID_TOKEN_INVALID', 'The ID token is not meant for this client');
}

/** The provider's RP-initiated logout URL, when its discovery offers one. */
export function endSessionUrl(
  config: PageConfig,
  metadata: ProviderMetadata,
  idToken: string | undefined,
  postLogoutRedirectUri: string,
): string | undefined {
  if (!metadata.end_session_endpoint) return undefined;
  const url = new URL(metadata.end_session_endpoint);
  url.searchParams.set('client_id', config.clientId);
  url.searchParams.set('post_logout_redirect_uri', postLogoutRedirectUri);
  if (idToken !== undefined) url.searchParams.set('id_token_hint', idToken);
  return url.href;
}
