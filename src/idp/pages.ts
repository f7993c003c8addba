// The HTML of the development provider: one layout, no external assets, everything escaped.
// The banner says what this is on every page, so nobody mistakes it for a real sign-in.

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** Headers for every page: nothing loads from elsewhere, nothing frames it, nothing caches it. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
} as const;

const STYLE = `
  :root { color-scheme: light; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; background: #f4f4f5; }
  .banner { margin: 0; padding: .75rem 1rem; background: #fff4d6; color: #3d2c00; border-bottom: 2px solid #8a6100; }
  main { max-width: 34rem; margin: 2rem auto; padding: 1.5rem; background: #fff; border: 1px solid #c8c8cc; border-radius: 8px; }
  h1 { font-size: 1.5rem; margin: 0 0 1rem; }
  fieldset { border: 1px solid #8e8e93; border-radius: 6px; margin: 1rem 0; padding: .5rem 1rem 1rem; }
  legend { font-weight: 600; padding: 0 .25rem; }
  .user { display: flex; gap: .75rem; align-items: flex-start; padding: .5rem 0; }
  .user input { width: 1.25rem; height: 1.25rem; margin-top: .15rem; }
  .user label { font-weight: 600; }
  .user p { margin: 0; color: #3a3a3c; font-size: .95rem; }
  code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; background: #eeeef0; padding: 0 .25rem; border-radius: 3px; }
  .actions { display: flex; gap: .75rem; margin-top: 1rem; }
  button { font: inherit; font-weight: 600; padding: .6rem 1.2rem; border-radius: 6px; border: 2px solid #1f4e99; cursor: pointer; }
  button.primary { background: #1f4e99; color: #fff; }
  button.secondary { background: #fff; color: #1f4e99; }
  button:hover { text-decoration: underline; }
  :focus-visible { outline: 3px solid #b35c00; outline-offset: 2px; }
  .note { color: #3a3a3c; font-size: .95rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 1rem 0; }
  dt { font-weight: 600; }
  dd { margin: 0; overflow-wrap: anywhere; }
`;

export function layout(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Tollgate development provider</title>
<style>${STYLE}</style>
</head>
<body>
<p class="banner" role="note"><strong>Development identity provider.</strong> For local testing only: anyone can sign in as any listed user, without a password.</p>
<main>
${body}
</main>
</body>
</html>
`;
}

export interface SignInUser {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
}

export interface SignInPageInput {
  /** Where the form posts: the interaction's own URL, so its cookie is sent. */
  readonly action: string;
  readonly clientId: string;
  readonly users: readonly SignInUser[];
  /** The API scopes the application asked for. */
  readonly requestedScopes: readonly string[];
  readonly message?: string | undefined;
}

const scopeList = (scopes: readonly string[]): string =>
  scopes.length ? scopes.map((s) => `<code>${escapeHtml(s)}</code>`).join(' ') : 'no API scopes';

/**
 * One radio per user, its accessible name exactly the user id (a test picks "alice"), the first
 * checked; then "Sign in", the form's default button, and "Cancel".
 */
export function signInPage(input: SignInPageInput): string {
  const users = input.users
    .map((user, i) => {
      const id = `user-${i}`;
      return `<div class="user">
  <input type="radio" name="user" id="${id}" value="${escapeHtml(user.id)}" aria-describedby="${id}-about"${i === 0 ? ' checked' : ''}>
  <div><label for="${id}">${escapeHtml(user.id)}</label>
  <p id="${id}-about">${escapeHtml(user.name)}; may be granted ${scopeList(user.scopes)}</p></div>
</div>`;
    })
    .join('\n');
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
<p><code>${escapeHtml(input.clientId)}</code> asks for ${scopeList(input.requestedScopes)}. Each user is granted only the scopes they may have.</p>
${input.message ? `<p role="alert">${escapeHtml(input.message)}</p>` : ''}
<form method="post" action="${escapeHtml(input.action)}">
<fieldset>
<legend>Choose a development user</legend>
${users}
</fieldset>
<div class="actions">
<button type="submit" class="primary" name="action" value="sign-in">Sign in</button>
<button type="submit" class="secondary" name="action" value="cancel">Cancel</button>
</div>
</form>`,
  );
}

/** An OAuth error shown to the browser (bad client, bad redirect_uri, expired interaction). */
export function errorPage(out: { error: string; error_description?: string | undefined }): string {
  return layout(
    'Sign-in error',
    `<h1>The sign-in request was refused</h1>
<dl>
<dt>Error</dt><dd><code>${escapeHtml(out.error)}</code></dd>
${out.error_description ? `<dt>Description</dt><dd>${escapeHtml(out.error_description)}</dd>` : ''}
</dl>
<p class="note">Nothing was sent back to the application. Start the sign-in again from the application.</p>`,
  );
}

/** RP-initiated logout confirmation; `form` is oidc-provider's hidden form (it carries the xsrf token). */
export function signOutPage(form: string): string {
  return layout(
    'Sign out',
    `<h1>Sign out of the development provider?</h1>
${form}
<div class="actions">
<button type="submit" class="primary" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>
<button type="submit" class="secondary" form="op.logoutForm">Stay signed in</button>
</div>`,
  );
}

export function signedOutPage(): string {
  return layout('Signed out', `<h1>You are signed out</h1>\n<p>You may close this page.</p>`);
}
