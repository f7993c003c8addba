// The page's behaviour: load the configuration, finish a sign-in when this load is the callback, and
// wire the buttons. The access token lives only in `session` (memory): a reload signs out.
import { checkPageConfig, type PageConfig, type PageEndpoint } from '../src/web/page-config.js';
import { callEndpoint, type AuthorizerView } from './api.js';
import { decodeClaims, type Claims } from './jwt.js';
import {
  acceptCallback,
  beginSignIn,
  CALLBACK_PARAMS,
  discover,
  endSessionUrl,
  exchangeCode,
  readCallback,
  SignInError,
  type ProviderMetadata,
} from './oidc.js';

interface Session {
  readonly accessToken: string;
  readonly claims: Claims | undefined;
  /** Kept only as the hint for the provider's logout. */
  readonly idToken: string | undefined;
}

let session: Session | undefined;
let metadata: ProviderMetadata | undefined;

// A flag, never the token: this tab signed out, so its next sign-in asks the provider who signs in
// (also after a reload). Removed by the next sign-in.
const SIGNED_OUT_KEY = 'tollgate.signedOut';

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
  decision: byId('call-decision'),
  reason: byId('call-reason'),
  why: byId('call-why'),
  cache: byId('call-cache'),
  policy: byId('call-policy'),
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
  return s.claims
    ? JSON.stringify(s.claims, null, 2)
    : 'The access token is not a JWT (an opaque token): it has no claims to show.';
}

function renderSession(): void {
  ui.signIn.hidden = !!session;
  ui.signOut.hidden = !session;
  ui.signOutProvider.hidden = !session || !metadata?.end_session_endpoint;
  // The next step is the primary button: Sign in while signed out, then the private call.
  ui.signIn.classList.toggle('primary', !session);
  ui.callPrivate.classList.toggle('primary', !!session);
  if (!session) {
    ui.sessionStatus.textContent = 'Signed out.';
    return;
  }
  const c = session.claims;
  // Cognito's access tokens name the user in `username`, others in `sub` (Auth0, Okta: an id).
  const who = c?.preferred_username ?? c?.username ?? c?.sub ?? 'an unknown subject';
  const scopes = c?.scope ?? c?.scp;
  const scopeText =
    typeof scopes === 'string' ? scopes : Array.isArray(scopes) ? scopes.join(' ') : '';
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
    // After a sign-out here, the provider asks who signs in instead of signing the last user in again.
    const prompt = sessionStorage.getItem(SIGNED_OUT_KEY) ? { prompt: 'login' as const } : {};
    location.assign(
      await beginSignIn(config, await providerMetadata(config), redirectUri(), prompt),
    );
  } catch (error) {
    ui.signIn.disabled = false;
    renderSession();
    showError(explain(error));
  }
}

function signOut(): void {
  session = undefined;
  sessionStorage.setItem(SIGNED_OUT_KEY, '1');
  showError(undefined);
  renderSession();
  ui.sessionStatus.textContent =
    'Signed out: the token is forgotten. Sign in again to choose a user.';
  ui.claims.textContent = claimsText(undefined);
  ui.signIn.focus();
}

function signOutAtProvider(config: PageConfig): void {
  const url = metadata
    ? endSessionUrl(config, metadata, session?.idToken, redirectUri())
    : undefined;
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
  showAuthorizer(undefined, endpoint);
  try {
    const result = await callEndpoint(endpoint, inUse?.accessToken);
    ui.status.textContent = result.statusLine;
    ui.body.textContent = result.body;
    showAuthorizer(result.authorizer, endpoint);
  } catch (error) {
    ui.status.textContent = 'No response';
    ui.body.textContent = `The request failed: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    ui.result.dataset.calls = String(calls + 1);
    ui.result.setAttribute('aria-busy', 'false');
  }
}

/** The authorizer's side of the last call: decision and why, whether cached, the policy in short. */
function showAuthorizer(view: AuthorizerView | undefined, endpoint: PageEndpoint): void {
  ui.decision.className = view ? view.decision.toLowerCase() : '';
  if (!view) {
    ui.decision.textContent =
      ui.status.textContent === 'calling…'
        ? '…'
        : `none: ${describeRoute(endpoint)} has no authorizer`;
    ui.reason.textContent = '';
    ui.why.textContent = '';
    ui.cache.textContent = '';
    ui.policy.textContent = 'none';
    return;
  }
  ui.decision.textContent = view.decision;
  ui.reason.textContent = `(authorizer ${view.authorizer}): ${view.reason}${view.missing ? `, missing ${view.missing}` : ''}`;
  ui.why.textContent = [
    view.message,
    view.evaluation ? `Policy evaluation: ${view.evaluation}` : undefined,
  ]
    .filter(Boolean)
    .map((t) => `${t!.replace(/\.$/, '')}.`)
    .join(' ');
  ui.cache.textContent =
    view.cache === 'hit'
      ? `From the authorizer's result cache, not invoked: ${view.ttl ?? '?'} s left${view.cachedFor ? `; cached for ${view.cachedFor}` : ''}.`
      : view.cache === 'miss'
        ? `The authorizer was invoked; its answer is cached for ${view.ttl ?? '?'} s.`
        : 'The authorizer was invoked; its answers are not cached.';
  const lines = view.policy
    ? [...view.policy.allow.map((r) => `Allow ${r}`), ...view.policy.deny.map((r) => `Deny  ${r}`)]
    : [];
  ui.policy.textContent = lines.length
    ? lines.join('\n')
    : view.policy
      ? 'an empty policy'
      : 'no policy (nothing was returned)';
}

/** Finishes a sign-in when this page load is the provider's redirect back, then cleans the URL. */
async function handleCallback(config: PageConfig): Promise<boolean> {
  const callback = readCallback(location.search);
  if (!callback) return false;
  const url = new URL(location.href);
  for (const p of CALLBACK_PARAMS) url.searchParams.delete(p);
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  ui.sessionStatus.textContent = 'Finishing the sign-in…';
  try {
    const accepted = acceptCallback(callback);
    const tokens = await exchangeCode(config, await providerMetadata(config), accepted);
    session = {
      accessToken: tokens.accessToken,
      claims: decodeClaims(tokens.accessToken),
      idToken: tokens.idToken,
    };
    sessionStorage.removeItem(SIGNED_OUT_KEY);
    renderSession();
    ui.claims.textContent = claimsText(session);
  } catch (error) {
    renderSession();
    showError(explain(error));
  }
  return true;
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
  const callback = await handleCallback(config);
  // A reload loses the token, which only this page's memory held: say so.
  const navigation = performance.getEntriesByType('navigation')[0] as
    PerformanceNavigationTiming | undefined;
  if (!callback && navigation?.type === 'reload') {
    ui.sessionStatus.textContent =
      'Signed out: the page was reloaded, and the token was kept in memory only. Sign in again.';
  }
  for (const b of [ui.signIn, ui.callPublic, ui.callPrivate, ui.callCreate]) b.disabled = false;
}

void main();
