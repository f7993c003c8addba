// Keys embedded at bundle time (`npm run bundle -- --embed-keys`), against a real JWKS server on
// 127.0.0.1: they answer while the first fetch is under way, and only until it completes.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  claims,
  generateKey,
  ISSUER,
  AUDIENCE,
  NOW_S,
  sign,
  type TestKey,
} from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { clock } from './support/verifier.js';
import { coldCall } from './support/cold-call.js';
import { spawn } from './support/child.js';
import { ROOT } from './support/paths.js';
import { buildSettings } from '../src/settings/build-settings.js';
import { createAuthorizer, type Authorizer } from '../src/lambda/authorizer.js';
import { createLambdaHandler } from '../src/lambda/lambda-handler.js';
import { embeddedKeySets, type EmbeddedJwks } from '../src/lambda/embedded-keys.js';

let keyA: TestKey;
let keyB: TestKey;
let keyC: TestKey;

before(() => {
  keyA = generateKey('RS256', 'key-a');
  keyB = generateKey('RS256', 'key-b');
  keyC = generateKey('RS256', 'key-c');
});

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/pets';
const event = (token: string) => ({
  type: 'TOKEN',
  authorizationToken: `Bearer ${token}`,
  methodArn: ARN,
});

function embedded(server: JwksServer, keys: TestKey[], extra: Partial<EmbeddedJwks> = {}) {
  return [
    {
      issuer: ISSUER,
      jwksUri: server.url,
      discovered: false,
      fetchedAt: '2026-01-01T00:00:00.000Z',
      keys: keys.map((k) => k.jwk),
      ...extra,
    },
  ];
}

interface Setup {
  readonly authorizer: Authorizer;
  readonly handler: ReturnType<typeof createLambdaHandler>;
  readonly logs: Record<string, unknown>[];
}

/** The deployed handler as index.ts builds it: settings, authorizer, warm-up (not awaited for its fetch). */
async function setup(server: JwksServer, keys: EmbeddedJwks[] | undefined): Promise<Setup> {
  const logs: Record<string, unknown>[] = [];
  const config = buildSettings({ TOKEN_ISSUER: ISSUER, AUDIENCE, JWKS_URI: server.url });
  const log = (entry: Record<string, unknown>) => void logs.push(entry);
  const authorizer = createAuthorizer(config, {
    now: clock().now,
    log,
    embeddedKeys: keys && embeddedKeySets(config.issuers, keys, log),
  });
  await authorizer.warmUp();
  return { authorizer, handler: createLambdaHandler(authorizer), logs };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(check(), `timed out waiting for ${what}`);
}

const principal = async (p: Promise<unknown>): Promise<string> =>
  ((await p) as { principalId: string }).principalId;

async function withServer(fn: (server: JwksServer) => Promise<void>): Promise<void> {
  const server = await startJwksServer([]);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

const tokenOf = (key: TestKey, sub: string) => sign(key, claims({ sub, exp: NOW_S + 3600 }));

test('a token signed by an embedded key is allowed while the JWKS has not answered', () =>
  withServer(async (server) => {
    server.setKeys([keyA.jwk]);
    server.setMode({ kind: 'hang' });
    const { handler, logs } = await setup(server, embedded(server, [keyA]));
    // Init started the first fetch and did not wait for it.
    await until(() => server.hits() === 1, 'the first fetch');
    assert.equal(await principal(handler(event(await tokenOf(keyA, 'early')))), 'early');
    assert.ok(!logs.some((l) => l.event === 'jwks_fetched'), 'the JWKS never answered');
    assert.ok(logs.some((l) => l.event === 'jwks_embedded' && l.keys === 1));
  }));

test('a key missing from the live JWKS is refused as soon as the first fetch completes', () =>
  withServer(async (server) => {
    server.setKeys([keyA.jwk]);
    server.setMode({ kind: 'delay', ms: 300 });
    const { handler, logs } = await setup(server, embedded(server, [keyA, keyB]));
    const removed = await tokenOf(keyB, 'revoked');
    // Before the fetch completes, the embedded key B still answers (that is the head start).
    assert.equal(await principal(handler(event(removed))), 'revoked');
    await until(() => logs.some((l) => l.event === 'jwks_fetched'), 'the first fetch');
    // The same token (the answer cache must not hand out the earlier Allow) and a new one.
    await assert.rejects(handler(event(removed)), /^Error: Unauthorized$/);
    await assert.rejects(handler(event(await tokenOf(keyB, 'other'))), /^Error: Unauthorized$/);
    assert.equal(await principal(handler(event(await tokenOf(keyA, 'kept')))), 'kept');
  }));

test('a token whose kid the embedded keys lack waits for the first fetch', () =>
  withServer(async (server) => {
    server.setKeys([keyA.jwk, keyC.jwk]);
    server.setMode({ kind: 'delay', ms: 300 });
    const { handler, logs } = await setup(server, embedded(server, [keyA]));
    const answered = await principal(handler(event(await tokenOf(keyC, 'new-key'))));
    assert.equal(answered, 'new-key');
    assert.ok(
      logs.some((l) => l.event === 'jwks_fetched'),
      'the answer came after the fetch completed',
    );
    assert.equal(server.hits(), 1, 'one fetch: the request joined the one init started');
  }));

test('a first fetch that fails ends the embedded keys too: no Allow without a trusted key', () =>
  withServer(async (server) => {
    server.setMode({ kind: 'status', status: 503 });
    const { handler, logs } = await setup(server, embedded(server, [keyA]));
    await until(() => logs.some((l) => l.event === 'jwks_fetch_failed'), 'the failed fetch');
    const failed = logs.find((l) => l.event === 'jwks_fetch_failed')!;
    assert.equal(failed.embeddedKeys, 'no longer used');
    assert.equal(failed.usingCachedKeys, false);
    await assert.rejects(handler(event(await tokenOf(keyA, 'after'))), /JWKS_UNAVAILABLE/);
  }));

test('embedded keys from another JWKS URL or for another issuer are not used, and a warning says so', () =>
  withServer(async (server) => {
    server.setKeys([keyA.jwk]);
    server.setMode({ kind: 'hang' });
    const keys = [
      ...embedded(server, [keyA], { jwksUri: 'https://elsewhere.example.com/jwks.json' }),
      ...embedded(server, [keyA], { issuer: 'https://other.example.com/' }),
    ];
    const { authorizer, logs } = await setup(server, keys);
    const warnings = logs.filter((l) => l.event === 'embedded_keys_unused');
    assert.equal(warnings.length, 2, JSON.stringify(logs));
    assert.match(String(warnings[0]!.why), /elsewhere\.example\.com/);
    assert.equal(warnings[1]!.issuer, 'https://other.example.com/');
    // Nothing to answer with until the (hanging) fetch completes.
    assert.equal(authorizer.runtimes.get(ISSUER)!.keys.cached(), undefined);
  }));

test('npm run bundle -- --embed-keys embeds the JWKS; the bundle answers a cold TOKEN call while the JWKS hangs', () =>
  withServer(async (server) => {
    server.setKeys([keyA.jwk]);
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-embed-keys-'));
    const env = {
      ...process.env,
      TOLLGATE_CONFIG: '',
      TOKEN_ISSUER: ISSUER,
      JWKS_URI: server.url,
    };
    try {
      // Not spawnSync: the JWKS server answers from this process's event loop.
      const bundle = (outdir: string) =>
        new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
          const child = spawn(
            process.execPath,
            ['scripts/bundle.mjs', '--embed-keys', '--outdir', outdir, '--zip', `${outdir}.zip`],
            { cwd: ROOT, env },
          );
          let stdout = '';
          let stderr = '';
          child.stdout!.on('data', (d) => (stdout += d));
          child.stderr!.on('data', (d) => (stderr += d));
          child.on('close', (status) => resolve({ status, stdout, stderr }));
        });
      const built = await bundle(join(dir, 'out'));
      assert.equal(built.status, 0, built.stderr);
      assert.match(built.stdout, /embedded 1 key\(s\) of https:\/\/issuer\.example\.com\//);
      server.setMode({ kind: 'hang' });
      // A real clock here: the token must be valid now.
      const now = Math.floor(Date.now() / 1000);
      const token = await sign(keyA, claims({ sub: 'embedded', iat: now - 5, exp: now + 600 }));
      const call = await coldCall(
        join(dir, 'out', 'index.mjs'),
        join(dir, 'out'),
        { TOKEN_ISSUER: ISSUER, AUDIENCE, JWKS_URI: server.url },
        event(token),
      );
      assert.equal(
        (call.answer.result as { principalId?: string } | undefined)?.principalId,
        'embedded',
        JSON.stringify(call.answer) + call.stderr,
      );
      // The JWKS hangs from the build on, so the Allow can only have come from the embedded key.
      // (The cold start's own fetch may not even have reached the server before the answer.)
      assert.ok(server.hits() <= 2, `${server.hits()} JWKS requests`);
      // A JWKS that cannot be had fails the build, naming the issuer; no bundle without keys.
      server.setMode({ kind: 'status', status: 500 });
      const broken = await bundle(join(dir, 'broken'));
      assert.equal(broken.status, 2);
      assert.match(
        broken.stderr,
        /^bundle: --embed-keys: https:\/\/issuer\.example\.com\/: .*HTTP 500/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }));
