// The sign-in page in real Chromium (Debian's /usr/bin/chromium, driven by playwright-core) against
// the full local stack: the development OpenID provider, the page, and the PetStore behind
// Tollgate's authorizer. Sign-in goes through the provider's real pages, codes and tokens.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { PETSTORE_ENDPOINTS } from '../../src/web/page-mount.js';
import { repoPath } from '../support/paths.js';
import { startStack, type Stack } from './stack.js';

const CHROMIUM = '/usr/bin/chromium';
// As root in CI: no sandbox; nothing fetched in the background, nothing but 127.0.0.1 in reach.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Generous: the machine is slow and busy. These bound waits, they assert nothing about speed.
const TIMEOUT_MS = 60_000;
/** The PetStore paths the page's buttons call (PETSTORE_ENDPOINTS). */
const API_PATHS = new Set(Object.values(PETSTORE_ENDPOINTS).map((e) => e.path));

/**
 * The browser globals the page functions below use. The tests compile without the DOM library (it
 * would leak into src/), and each page function is serialized on its own, so each one starts with
 * `const w = globalThis as unknown as Win` (a type only: nothing outer is captured).
 */
interface Elem {
  readonly tagName: string;
  readonly textContent: string | null;
  readonly hidden: boolean;
  readonly value?: string;
  readonly dataset: Record<string, string | undefined>;
}
interface Win {
  readonly document: {
    getElementById(id: string): Elem | null;
    readonly activeElement: Elem | null;
    readonly documentElement: { readonly lang: string };
    querySelectorAll(selector: string): Iterable<Elem>;
  };
  getComputedStyle(el: Elem): { outlineStyle: string; color: string; backgroundColor: string };
  readonly localStorage: Record<string, string>;
  readonly sessionStorage: Record<string, string>;
}

let home: string;
let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];

before(async () => {
  home = mkdtempSync(join(tmpdir(), 'tollgate-browser-'));
  stack = await startStack(join(home, '.tollgate'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: TIMEOUT_MS,
  });
});
after(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await stack?.close();
  rmSync(home, { recursive: true, force: true });
});

interface Tab {
  readonly page: Page;
  /** Authorization headers sent to the API (undefined: none), in order. */
  readonly apiAuthorization: (string | undefined)[];
  /** The access tokens the token endpoint handed out. */
  readonly issuedTokens: string[];
  /** Script errors, CSP violations, and failed loads other than the API's own 401 and 403: none are expected. */
  readonly problems: string[];
}

/** A fresh browser context (its own cookies and storage) with one page watching its traffic. */
async function openTab(origin = stack.url): Promise<Tab> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT_MS);
  const tab: Tab = { page, apiAuthorization: [], issuedTokens: [], problems: [] };
  page.on('console', (m) => {
    // Chromium logs every 4xx as "Failed to load resource"; the responses are checked below instead.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      tab.problems.push(m.text());
  });
  page.on('pageerror', (e) => tab.problems.push(e.message));
  page.on('request', (r) => {
    if (API_PATHS.has(new URL(r.url()).pathname))
      tab.apiAuthorization.push(r.headers().authorization);
  });
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (r.status() >= 400 && !API_PATHS.has(path))
      tab.problems.push(`${r.status()} for ${r.request().method()} ${path}`);
    if (path === '/idp/token' && r.ok()) {
      void r.json().then(
        (body: { access_token?: string }) =>
          body.access_token && tab.issuedTokens.push(body.access_token),
        () => {},
      );
    }
  });
  await page.goto(`${origin}/`);
  // The buttons are enabled once the page has loaded its configuration.
  await page
    .getByRole('button', { name: 'Call private endpoint' })
    .and(page.locator(':enabled'))
    .waitFor();
  return tab;
}

async function signIn(tab: Tab, user: 'alice' | 'bob'): Promise<void> {
  const { page } = tab;
  const redirectUri = `${new URL(page.url()).origin}/`;
  const authorize = page.waitForRequest((r) => new URL(r.url()).pathname === '/idp/auth');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  // Authorization code with PKCE S256, a fresh state and nonce, back to this page.
  const params = new URL((await authorize).url()).searchParams;
  assert.equal(params.get('response_type'), 'code');
  assert.equal(params.get('client_id'), 'tollgate-web');
  assert.equal(params.get('redirect_uri'), redirectUri);
  assert.equal(params.get('code_challenge_method'), 'S256');
  for (const p of ['code_challenge', 'state', 'nonce'])
    assert.match(params.get(p) ?? '', /^[A-Za-z0-9_-]{43}$/, p);
  assert.equal(params.has('audience'), false, 'audience only when configured');
  await page.waitForURL(/\/idp\/interaction\//);
  await page.getByLabel(user, { exact: true }).check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await settled(page, 'Signed in');
  assert.equal(await page.locator('#sign-in-error').textContent(), '', 'no sign-in error');
  assert.match(
    (await page.locator('#session-status').textContent()) ?? '',
    new RegExp(`^Signed in as ${user}\\b`),
  );
}

/** Waits until the session shows `text` or an error; the assertions after it say which. */
async function settled(page: Page, text: string): Promise<void> {
  await page.waitForFunction((t) => {
    const { document } = globalThis as unknown as Win;
    return (
      (document.getElementById('session-status')?.textContent ?? '').startsWith(t) ||
      document.getElementById('sign-in-error')?.hidden === false
    );
  }, text);
}

interface Shown {
  readonly status: string;
  readonly body: string;
  readonly claims: string;
  /** The whole live region, as a screen reader announces it. */
  readonly announced: string;
}

/** Clicks a call button and reads what the page shows once that call is done. */
async function call(
  page: Page,
  button: string,
  how: 'click' | 'keyboard' = 'click',
): Promise<Shown> {
  const result = page.getByRole('status', { name: 'Result of the last call' });
  const done = Number(await result.getAttribute('data-calls'));
  if (how === 'click') await page.getByRole('button', { name: button }).click();
  else {
    await tabTo(page, button);
    await page.keyboard.press('Enter');
  }
  await page.waitForFunction(
    (n) =>
      Number((globalThis as unknown as Win).document.getElementById('call-result')?.dataset.calls) >
      n,
    done,
  );
  return {
    status: (await page.locator('#call-status').textContent()) ?? '',
    body:
      (await page
        .getByRole('region', { name: 'Result of the last call' })
        .locator('#call-body')
        .textContent()) ?? '',
    claims: (await page.locator('#call-claims').textContent()) ?? '',
    announced: (await result.textContent()) ?? '',
  };
}

/** Presses Tab until the focused element is the button named `name`, and checks its focus is visible. */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const w = globalThis as unknown as Win;
      const el = w.document.activeElement;
      return {
        tag: el?.tagName,
        text: el?.textContent?.trim(),
        outline: el ? w.getComputedStyle(el).outlineStyle : 'none',
      };
    });
    if (focused.tag === 'BUTTON' && focused.text === name) {
      assert.notEqual(focused.outline, 'none', `the focused ${name} button shows its focus`);
      return;
    }
  }
  assert.fail(`Tab never reached the ${name} button`);
}

test('serve puts the page at / under a CSP that lets it reach only itself and the development provider', async () => {
  const r = await fetch(`${stack.url}/`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(
    r.headers.get('content-security-policy') ?? '',
    new RegExp(`connect-src 'self' ${stack.url.replace(/[.]/g, '\\.')}(;|$)`),
  );
  const config = (await (await fetch(`${stack.url}/_tollgate/config.json`)).json()) as {
    issuer: string;
    clientId: string;
    scope: string;
  };
  assert.equal(config.issuer, `${stack.url}/idp`);
  assert.equal(config.clientId, 'tollgate-web');
  assert.deepEqual(config.scope.split(' ').sort(), ['openid', 'read:pets', 'write:pets']);
});

test('signed out, the private endpoint answers 401 and no Authorization header is sent', async () => {
  const tab = await openTab();
  assert.equal(await tab.page.locator('#session-status').textContent(), 'Signed out.');
  const shown = await call(tab.page, 'Call private endpoint');
  assert.equal(shown.status, '401 Unauthorized');
  assert.match(shown.announced, /GET \/pets without a token/);
  assert.match(shown.body, /"message": "Unauthorized"/);
  assert.equal(shown.claims, 'no token');
  assert.deepEqual(tab.apiAuthorization, [undefined]);
  assert.deepEqual(tab.problems, []);
});

test('the public endpoint answers 200 without a token', async () => {
  const tab = await openTab();
  const shown = await call(tab.page, 'Call public endpoint');
  assert.equal(shown.status, '200 OK');
  assert.equal(shown.claims, 'no token');
  assert.deepEqual(tab.apiAuthorization, [undefined]);
  assert.deepEqual(tab.problems, []);
});

test('alice signs in, calls the private endpoint: 200 with read:pets in the claims; the token is in no storage; sign-out forgets it', async () => {
  const tab = await openTab();
  const { page } = tab;
  await signIn(tab, 'alice');
  // The callback's code and state are gone from the address bar.
  assert.equal(new URL(page.url()).search, '');
  assert.equal(tab.issuedTokens.length, 1);
  const token = tab.issuedTokens[0]!;

  const shown = await call(page, 'Call private endpoint');
  assert.equal(shown.status, '200 OK');
  assert.match(shown.announced, /GET \/pets with the access token/);
  const claims = JSON.parse(shown.claims) as { sub: string; scope: string };
  assert.equal(claims.sub, 'alice');
  assert.ok(claims.scope.split(' ').includes('read:pets'), claims.scope);
  assert.match(shown.body, /"principalId": "alice"/);
  assert.deepEqual(tab.apiAuthorization, [`Bearer ${token}`]);

  // Only in memory: neither storage holds the token (nor anything token-like), and the PKCE
  // verifier, state and nonce were removed once the callback used them.
  const storage = await page.evaluate(() => {
    const w = globalThis as unknown as Win;
    return { local: { ...w.localStorage }, session: { ...w.sessionStorage } };
  });
  const dump = JSON.stringify(storage);
  assert.ok(!dump.includes(token), 'the access token is not in web storage');
  assert.doesNotMatch(dump, /eyJ[\w-]+\.eyJ[\w-]+\./);
  assert.deepEqual(storage, { local: {}, session: {} });

  mkdirSync(repoPath('test-artifacts'), { recursive: true });
  const shot = repoPath('test-artifacts', 'page-signed-in.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.deepEqual(
    [...readFileSync(shot).subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  );

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  assert.match((await page.locator('#session-status').textContent()) ?? '', /^Signed out/);
  const after = await call(page, 'Call private endpoint');
  assert.equal(after.status, '401 Unauthorized');
  assert.equal(after.claims, 'no token');
  assert.equal(tab.apiAuthorization.at(-1), undefined);
  assert.deepEqual(tab.problems, []);
});

test('bob (read:pets only) creating a pet: 403, opened from 127.0.0.1 with the provider on localhost', async () => {
  // A different origin from the issuer's: discovery and the code exchange go cross-origin (CORS, connect-src).
  const tab = await openTab(stack.url.replace('//localhost:', '//127.0.0.1:'));
  await signIn(tab, 'bob');
  const shown = await call(tab.page, 'Create a pet');
  assert.equal(shown.status, '403 Forbidden');
  assert.match(shown.announced, /POST \/pets with the access token/);
  assert.match(shown.body, /User is not authorized to access this resource/);
  const claims = JSON.parse(shown.claims) as { sub: string; scope: string };
  assert.equal(claims.sub, 'bob');
  assert.ok(!claims.scope.split(' ').includes('write:pets'), claims.scope);
  assert.deepEqual(tab.problems, []);
});

test('keyboard only: Tab to Sign in and Enter, choose alice with the keyboard, Tab to the private call and Enter: 200', async () => {
  const tab = await openTab();
  const { page } = tab;
  await tabTo(page, 'Sign in');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/idp\/interaction\//);
  // The provider's form: the first user (alice) is checked; Enter on it submits the form.
  await page.keyboard.press('Tab');
  assert.equal(
    await page.evaluate(() => (globalThis as unknown as Win).document.activeElement?.value),
    'alice',
  );
  await page.keyboard.press('Enter');
  await settled(page, 'Signed in');
  assert.match(
    (await page.locator('#session-status').textContent()) ?? '',
    /^Signed in as alice\b/,
  );
  const shown = await call(page, 'Call private endpoint', 'keyboard');
  assert.equal(shown.status, '200 OK');
  assert.deepEqual(tab.problems, []);
});

test('a refused sign-in (Cancel at the provider) is shown, and the URL is cleaned', async () => {
  const tab = await openTab();
  const { page } = tab;
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL(/\/idp\/interaction\//);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await settled(page, 'Signed in');
  const alert = page.getByRole('alert');
  assert.match((await alert.textContent()) ?? '', /PROVIDER_ERROR.*access_denied/);
  assert.equal(new URL(page.url()).search, '');
  assert.match((await page.locator('#session-status').textContent()) ?? '', /^Signed out/);
  assert.deepEqual(
    await page.evaluate(() => ({ ...(globalThis as unknown as Win).sessionStorage })),
    {},
  );
});

test('a callback this tab did not start is refused (no code exchange)', async () => {
  const tab = await openTab();
  const { page } = tab;
  await page.goto(`${stack.url}/?code=stolen-code&state=forged-state`);
  await settled(page, 'Signed in');
  assert.match((await page.getByRole('alert').textContent()) ?? '', /NO_PENDING_SIGN_IN/);
  assert.equal(new URL(page.url()).search, '');
  assert.deepEqual(tab.issuedTokens, []);
});

test('sign out at the provider ends its session too: the next sign-in asks who again, and bob can take over', async () => {
  const tab = await openTab();
  const { page } = tab;
  await signIn(tab, 'alice');
  await page.getByRole('button', { name: 'Sign out at the provider' }).click();
  // The provider asks to confirm (RP-initiated logout), then sends the browser back to the page.
  await page.waitForURL(/\/idp\//);
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await page.waitForURL(`${stack.url}/`);
  await page
    .getByRole('button', { name: 'Sign in', exact: true })
    .and(page.locator(':enabled'))
    .waitFor();
  assert.equal(await page.locator('#session-status').textContent(), 'Signed out.');
  await signIn(tab, 'bob');
  assert.deepEqual(tab.problems, []);
});

test('accessibility basics: language, headings, named controls, live regions, AA contrast', async () => {
  const { page } = await openTab();
  const facts = await page.evaluate(() => {
    const w = globalThis as unknown as Win;
    const rgb = (css: string): number[] => (css.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number);
    const lum = (c: number[]): number => {
      const [r, g, b] = c.map((v) =>
        v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4,
      ) as [number, number, number];
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const ratio = (a: string, b: string): number => {
      const [x, y] = [lum(rgb(a)), lum(rgb(b))].sort((p, q) => q - p) as [number, number];
      return (x + 0.05) / (y + 0.05);
    };
    const buttons = [...w.document.querySelectorAll('button:not([hidden])')].map((b) => {
      const style = w.getComputedStyle(b);
      return {
        name: b.textContent?.trim() ?? '',
        contrast: ratio(style.color, style.backgroundColor),
      };
    });
    return {
      lang: w.document.documentElement.lang,
      h1: [...w.document.querySelectorAll('h1')].length,
      h2: [...w.document.querySelectorAll('h2')].map((h) => h.textContent),
      buttons,
      text: ratio(
        w.getComputedStyle(w.document.getElementById('call-status')!).color,
        w.getComputedStyle(w.document.getElementById('call-result')!).backgroundColor,
      ),
    };
  });
  assert.equal(facts.lang, 'en');
  assert.equal(facts.h1, 1);
  assert.deepEqual(facts.h2, ['Session', 'Call the API', 'Result of the last call']);
  assert.deepEqual(
    facts.buttons.map((b) => b.name),
    ['Sign in', 'Call public endpoint', 'Call private endpoint', 'Create a pet'],
  );
  for (const b of facts.buttons)
    assert.ok(b.contrast >= 4.5, `${b.name}: contrast ${b.contrast.toFixed(2)} is below 4.5:1`);
  assert.ok(facts.text >= 4.5, `status text contrast ${facts.text.toFixed(2)}`);
  // Screen readers hear the session and each call's result as they change.
  assert.equal(await page.getByRole('status').count(), 2);
  assert.equal(
    await page.getByRole('status', { name: 'Result of the last call' }).getAttribute('aria-live'),
    'polite',
  );
  assert.equal(
    await page
      .getByRole('button', { name: 'Call private endpoint' })
      .getAttribute('aria-describedby'),
    'route-private',
  );
});

/** What the page shows of the authorizer's side of the last call. */
async function authorizerShown(
  page: Page,
): Promise<{ decision: string; reason: string; why: string; cache: string; policy: string }> {
  const text = async (id: string): Promise<string> =>
    (await page.locator(`#${id}`).textContent()) ?? '';
  return {
    decision: await text('call-decision'),
    reason: await text('call-reason'),
    why: await text('call-why'),
    cache: await text('call-cache'),
    policy: await text('call-policy'),
  };
}

test("ACCEPTANCE: sign out, sign in as bob through the provider's page, create a pet: 403 with Deny, SCOPE_INSUFFICIENT and the missing write:pets; the repeat call comes from the cache", async () => {
  const tab = await openTab();
  const { page } = tab;
  const primary = async (): Promise<string[]> =>
    page.locator('button.primary:not([hidden])').allTextContents();
  assert.deepEqual(await primary(), ['Sign in'], 'signed out, Sign in is the primary button');
  await signIn(tab, 'alice');
  assert.deepEqual(
    await primary(),
    ['Call private endpoint'],
    'signed in, the call is the primary button',
  );
  assert.equal(await page.getByRole('button', { name: 'Sign in', exact: true }).isHidden(), true);

  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  assert.match((await page.locator('#session-status').textContent()) ?? '', /^Signed out/);
  // The provider still has alice's session: without prompt=login it would sign her in again unasked.
  const authorize = page.waitForRequest((r) => new URL(r.url()).pathname === '/idp/auth');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  assert.equal(new URL((await authorize).url()).searchParams.get('prompt'), 'login');
  await page.waitForURL(/\/idp\/interaction\//);
  await page.getByLabel('bob', { exact: true }).check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await settled(page, 'Signed in');
  assert.match((await page.locator('#session-status').textContent()) ?? '', /^Signed in as bob\b/);

  const first = await call(page, 'Create a pet');
  assert.equal(first.status, '403 Forbidden');
  const shown = await authorizerShown(page);
  assert.equal(shown.decision, 'Deny');
  assert.equal(shown.reason, '(authorizer tollgate): SCOPE_INSUFFICIENT, missing write:pets');
  assert.equal(
    shown.why,
    'The token lacks scopes that POST /pets requires: write:pets. Policy evaluation: no matching allow.',
  );
  assert.match(shown.cache, /invoked; its answer is cached for 300 s/);
  assert.match(shown.policy, /^Allow GET \/pets$/m);
  assert.doesNotMatch(shown.policy, /^Allow POST/m);

  const repeat = await call(page, 'Create a pet');
  assert.equal(repeat.status, '403 Forbidden');
  const again = await authorizerShown(page);
  assert.equal(again.decision, 'Deny');
  assert.equal(again.reason, '(authorizer tollgate): SCOPE_INSUFFICIENT, missing write:pets');
  assert.match(again.cache, /^From the authorizer's result cache, not invoked: \d+ s left\.$/);
  assert.ok(!JSON.stringify(again).includes(tab.issuedTokens.at(-1)!), 'the token is never shown');

  mkdirSync(repoPath('test-artifacts'), { recursive: true });
  await page.screenshot({
    path: repoPath('test-artifacts', 'page-authorizer-deny.png'),
    fullPage: true,
  });
  assert.deepEqual(tab.problems, []);
});

test('after a reload the page says the token was kept in memory only', async () => {
  const tab = await openTab();
  const { page } = tab;
  await signIn(tab, 'alice');
  await page.reload();
  await page
    .getByRole('button', { name: 'Sign in', exact: true })
    .and(page.locator(':enabled'))
    .waitFor();
  assert.equal(
    await page.locator('#session-status').textContent(),
    'Signed out: the page was reloaded, and the token was kept in memory only. Sign in again.',
  );
  const shown = await call(page, 'Call private endpoint');
  assert.equal(shown.status, '401 Unauthorized');
  assert.equal((await authorizerShown(page)).decision, 'Unauthorized');
  assert.deepEqual(tab.problems, []);
});
