// The Serverless example's use in real Chromium: the seed-shaped service (test/fixtures/serverless/
// python) served by `tollgate serve --template serverless.yml`, and its vanilla frontend served from
// another origin, as `python -m http.server` serves it. The page signs in with the development
// OpenID provider (code flow with PKCE, back to the page's own origin) and calls the public and
// private endpoints through CORS; the Python authorizer verifies the ID token against a
// certificate made from the development key.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { serve, type RunningServer } from '../../src/cli/serve-command.js';
import { loadDevKey } from '../../src/idp/dev-issuer.js';
import { repoPath } from '../support/paths.js';
import { certificateFor, pythonWithJwt } from '../support/python.js';

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
const TIMEOUT_MS = 60_000;
const SAVED = [
  'TOLLGATE_HOME',
  'TOLLGATE_PYTHON',
  'TOLLGATE_DEV_REDIRECT_URIS',
  'TOKEN_ISSUER',
].map((k) => [k, process.env[k]] as const);

let dir: string;
let frontend: Server;
let frontendOrigin: string;
let gateway: RunningServer;
let browser: Browser;
const gatewayLog: Record<string, unknown>[] = [];

/** A static server for the frontend folder on 127.0.0.1, with config.js written for this gateway. */
async function serveFrontend(folder: string, config: () => string): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/config.js')
      return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(config());
    const file = path === '/' ? 'index.html' : path.slice(1);
    if (!['index.html', 'app.js'].includes(file)) return void res.writeHead(404).end();
    const type = file.endsWith('.js') ? 'text/javascript' : 'text/html';
    res.writeHead(200, { 'content-type': type }).end(readFileSync(join(folder, file)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-sls-browser-'));
  const home = join(dir, '.tollgate');
  process.env.TOLLGATE_HOME = home;
  process.env.TOLLGATE_PYTHON = pythonWithJwt();
  delete process.env.TOKEN_ISSUER;
  const service = join(dir, 'service');
  cpSync(repoPath('test', 'fixtures', 'serverless', 'python'), service, { recursive: true });
  // The certificate of the development key, in the public_key file the service's variable reads;
  // the ID token's audience is the web client, as the example's is its Auth0 client id.
  const key = loadDevKey({ create: true, env: { TOLLGATE_HOME: home } })!;
  writeFileSync(join(service, 'public_key'), certificateFor(key.privateKey));
  writeFileSync(join(service, 'secrets.json'), JSON.stringify({ TOKEN_AUDIENCE: 'tollgate-web' }));
  let gatewayUrl = '';
  frontend = await serveFrontend(join(service, 'frontend'), () => {
    const config = {
      issuer: `${gatewayUrl}/idp`,
      clientId: 'tollgate-web',
      publicEndpoint: `${gatewayUrl}/dev/api/public`,
      privateEndpoint: `${gatewayUrl}/dev/api/private`,
    };
    return `window.APP_CONFIG = ${JSON.stringify(config)};\n`;
  });
  const { port } = frontend.address() as { port: number };
  frontendOrigin = `http://127.0.0.1:${port}`;
  process.env.TOLLGATE_DEV_REDIRECT_URIS = `${frontendOrigin}/`;
  gateway = await serve(
    { template: join(service, 'serverless.yml'), port: '0' },
    () => {},
    (entry) => gatewayLog.push(entry),
  );
  gatewayUrl = gateway.url;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: TIMEOUT_MS,
  });
});

after(async () => {
  await browser?.close();
  await gateway?.close();
  await new Promise((resolve) => frontend?.close(resolve));
  for (const [k, v] of SAVED)
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  rmSync(dir, { recursive: true, force: true });
});

/** Clicks a button and waits for the call it makes to be shown. */
async function callAndRead(
  page: Page,
  button: string,
): Promise<{ status: string; message: string }> {
  await page.evaluate(() => {
    const { document } = globalThis as unknown as {
      document: { getElementById(id: string): { textContent: string | null } };
    };
    document.getElementById('status').textContent = '';
  });
  await page.getByRole('button', { name: button }).click();
  await page.locator('#status').filter({ hasText: /\d{3}/ }).waitFor();
  return {
    status: (await page.locator('#status').textContent()) ?? '',
    message: (await page.locator('#message').textContent()) ?? '',
  };
}

test('a frontend on another origin signs in with the development provider and calls public and private through CORS', async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${frontendOrigin}/`);
    assert.notEqual(new URL(gateway.url).origin, frontendOrigin, 'two origins');

    const open = await callAndRead(page, 'Call public');
    assert.deepEqual(open, { status: '200', message: 'Hello from the public endpoint' });

    // Before signing in: the gateway's 401 carries the gateway response's CORS headers, so the
    // page can read it (without them, fetch would fail and nothing would be shown).
    const refused = await callAndRead(page, 'Call private');
    assert.deepEqual(refused, { status: '401', message: 'Unauthorized' });

    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(/\/idp\/interaction\//);
    await page.getByLabel('alice', { exact: true }).check();
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(`${frontendOrigin}/`);
    await page.locator('#who').filter({ hasText: 'Signed in' }).waitFor();

    const allowed = await callAndRead(page, 'Call private');
    assert.deepEqual(allowed, { status: '200', message: 'Only signed-in callers see this' });
    // Chromium's preflights are not page requests: the gateway's log shows them answered.
    assert.ok(
      gatewayLog.some(
        (l) =>
          l.event === 'request' &&
          l.method === 'OPTIONS' &&
          l.path === '/dev/api/private' &&
          l.status === 200,
      ),
      'the Authorization header made Chromium send a preflight, and it passed',
    );
    assert.deepEqual(problems, []);
    const authorized = gatewayLog.find(
      (l) => l.event === 'request' && l.path === '/dev/api/private' && l.status === 200,
    );
    assert.ok(authorized, 'the Python authorizer allowed the ID token');
  } finally {
    await context.close();
  }
});
