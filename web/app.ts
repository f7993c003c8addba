// The page's behaviour: load the configuration, finish a sign-in when this load is the callback, and
// wire the buttons. The access token lives only in `session` (memory): a reload signs out.
import { checkPageConfig, type PageConfig, type PageEndpoint } from '../src/web/page-config.js';
import { callEndpoint } from './api.js';
import { decodeClaims, type Claims } from './jwt.js';
import { acceptCallback, beginSignIn, CALLBACK_PARAMS, discover, endSessionUrl, exchangeCode, readCallback, SignInError, type ProviderMetadata } from './oidc.js';

interface Session {
  readonly accessToken: string;
  readonly claims: Claims | undefined;
  /** Kept only as the hint for the provider's logout. */
  readonly idToken: string | undefined;
}

let session: Session | undefined;
let metadata: ProviderMetadata | undefined;

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page has no #${id}`);
  return el as T;
}

const ui = {
  provider: byId('provider'),
  sessionStatus: byId('session-status'),
  signInError: byId('sign-in-error'),
  signIn: byId<HTMLButtonElement>('sign-in'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  signOutProvider: byId<HTMLButtonElement>('sign-out-provider'),
  callPublic: byId<HTMLButtonElement>('call-public'),
  callPrivate: byId<HTMLButtonElement>('call-private'),
  callCreate: byId<HTMLButtonElement>('call-create'),
  result: byId('call-result'),
  request: byId('call-request'),
  status: byId('call-status'),
  body: byId('call-body'),
  claims: byId('call-claims'),
};

const redirectUri = (): string => new URL('/', location.href).href;

const describeRoute = (e: PageEndpoint): string => `${e.method} ${e.path}`;

function showError(message: string | undefined): void {
  ui.signInError.textContent = message ?? '';
  ui.signInError.hidden = message === undefined;
}

function claimsText(s: Session | undefined): string {
  if (!s) return 'no token';
  return s.claims ? JSON.stringify(s.claims, null, 2) : 'The access token is not a JWT (an opaque token): it has no claims to show.';
}

function renderSession(): void {
  ui.signOut.hidden = !session;
  ui.signOutProvider.hidden = !session || !metadata?.end_session_endpoint;
  if (!session) {
    ui.sessionStatus.textContent = 'Signed out.';
    return;
  }
  const c = session.claims;
  // Cognito's access tokens name the user in `username`, others in `sub` (Auth0, Okta: an id).
  const who = c?.preferred_username ?? c?.username ?? c?.sub ?? 'an unknown subject';
  const scopes = c?.scope ?? c?.scp;
  const scopeText = typeof scopes === 'string' ? scopes : Array.isArray(scopes) ? scopes.join(' ') : '';
  ui.sessionStatus.textContent = `Signed in as ${String(who)}${scopeText ? ` with scopes ${scopeText}` : ''}.`;
}

async function providerMetadata(config: PageConfig): Promise<ProviderMetadata> {
  metadata ??= await discover(config.issuer);
  return metadata;
}

function explain(error: unknown): string {
  if (error instanceof SignInError) return `Sign-in failed (${error.code}): ${error.message}`;
  return `Sign-in failed: ${error instanceof Error ? error.message : String(error)}`;
}

async function signIn(config: PageConfig): Promise<void> {
  showError(undefined);
  ui.signIn.disabled = true;
  ui.sessionStatus.textContent = 'Redirecting to the provider…';
  try {
    location.assign(await beginSignIn(config, await providerMetadata(config), redirectUri()));
  } catch (error) {
    ui.signIn.disabled = false;
    renderSession();
    showError(explain(error));
  }
}

function signOut(): void {
  session = undefined;
  showError(undefined);
  renderSession();
  ui.sessionStatus.textContent = 'Signed out: the token is forgotten.';
  ui.claims.textContent = claimsText(undefined);
  ui.signIn.focus();
}

function signOutAtProvider(config: PageConfig): void {
  const url = metadata ? endSessionUrl(config, metadata, session?.idToken, redirectUri()) : undefined;
  signOut();
  if (url) location.assign(url);
}

async function call(endpoint: PageEndpoint & { readonly body?: unknown }): Promise<void> {
  const inUse = session;
  const calls = Number(ui.result.dataset.calls ?? '0');
  ui.result.setAttribute('aria-busy', 'true');
  ui.request.textContent = `${describeRoute(endpoint)} ${inUse ? 'with the access token' : 'without a token'}`;
  ui.status.textContent = 'calling…';
  ui.body.textContent = '';
  ui.claims.textContent = claimsText(inUse);
  try {
    const result = await callEndpoint(endpoint, inUse?.accessToken);
    ui.status.textContent = result.statusLine;
    ui.body.textContent = result.body;
  } catch (error) {
    ui.status.textContent = 'No response';
    ui.body.textContent = `The request failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    ui.result.dataset.calls = String(calls + 1);
    ui.result.setAttribute('aria-busy', 'false');
  }
}

/** Finishes a sign-in when this page load is the provider's redirect back, then cleans the URL. */
async function handleCallback(config: PageConfig): Promise<void> {
  const callback = readCallback(location.search);
  if (!callback) return;
  const url = new URL(location.href);
  for (const p of CALLBACK_PARAMS) url.searchParams.delete(p);
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  ui.sessionStatus.textContent = 'Finishing the sign-in…';
  try {
    const accepted = acceptCallback(callback);
    const tokens = await exchangeCode(config, await providerMetadata(config), accepted);
    session = { accessToken: tokens.accessToken, claims: decodeClaims(tokens.accessToken), idToken: tokens.idToken };
    renderSession();
    ui.claims.textContent = claimsText(session);
  } catch (error) {
    renderSession();
    showError(explain(error));
  }
}

async function loadConfig(): Promise<PageConfig> {
  const response = await fetch('/_tollgate/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`/_tollgate/config.json answered ${response.status}`);
  return checkPageConfig(await response.json());
}

async function main(): Promise<void> {
  let config: PageConfig;
  try {
    config = await loadConfig();
  } catch (error) {
    ui.provider.textContent = 'not configured';
    showError(`The page cannot start: ${error instanceof Error ? error.message : String(error)}`);
    return;
  }
  ui.provider.textContent = config.issuer;
  byId('route-public').textContent = describeRoute(config.endpoints.public);
  byId('route-private').textContent = describeRoute(config.endpoints.private);
  byId('route-create').textContent = describeRoute(config.endpoints.create);
  ui.signIn.addEventListener('click', () => void signIn(config));
  ui.signOut.addEventListener('click', signOut);
  ui.signOutProvider.addEventListener('click', () => signOutAtProvider(config));
  ui.callPublic.addEventListener('click', () => void call(config.endpoints.public));
  ui.callPrivate.addEventListener('click', () => void call(config.endpoints.private));
  ui.callCreate.addEventListener('click', () => void call(config.endpoints.create));
  // Back from the provider without signing in, the browser may restore this page as it was left.
  addEventListener('pageshow', (event) => {
    if (event.persisted) {
      ui.signIn.disabled = false;
      renderSession();
    }
  });
  await handleCallback(config);
  for (const b of [ui.signIn, ui.callPublic, ui.callPrivate, ui.callCreate]) b.disabled = false;
}

void main();
