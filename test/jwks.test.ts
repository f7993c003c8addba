// The JWKS client against a real HTTP server on 127.0.0.1: rotation, caching, single flight,
// outages, bad responses, redirects, OpenID discovery and the verified-token cache. Cache ages run
// on an injected clock; only the hang case uses real timers (the HTTP timeout).
import { reasonMessage } from '../src/core/reason-messages.js';
import { before, describe, test } from 'node:test';
import type { ServerResponse } from 'node:http';
import assert from 'node:assert/strict';
import type { Decision, ReasonCode } from '../src/core/reasons.js';
import { NOW_S, claims, generateKey, sign, type TestKey } from './support/keys.js';
import { startJwksServer, type JwksServer } from './support/jwks-server.js';
import { testRuntime, type TestRuntime } from './support/verifier.js';
import { JwksClient } from '../src/keys/jwks-client.js';
import { httpGet } from '../src/keys/http-get.js';

const SECOND = 1000;
/** Settings spelled out so the arithmetic below does not depend on defaults. */
const MAX_AGE = 600;
const MIN_AGE = 60;
const COOLDOWN = 30;
const STALE = 3600;
/** JwksClient's retry-after-failure backoff; not a setting, the client's default. */
const RETRY_AFTER_FAILURE = 5;
const ENV = {
  JWKS_MAX_AGE: String(MAX_AGE),
  JWKS_MIN_AGE: String(MIN_AGE),
  JWKS_COOLDOWN: String(COOLDOWN),
  JWKS_STALE_IF_ERROR: String(STALE),
};
/** Tokens that outlive every clock advance in these tests, unless a test is about expiry. */
const LONG_EXP = NOW_S + 7 * 86400;

let keyA: TestKey;
let keyB: TestKey;
let keyC: TestKey;

before(() => {
  keyA = generateKey('RS256', 'key-a');
  keyB = generateKey('RS256', 'key-b');
  keyC = generateKey('RS256', 'key-c');
});

async function withServer(
  keys: readonly Record<string, unknown>[],
  fn: (server: JwksServer) => Promise<void>,
): Promise<void> {
  const server = await startJwksServer(keys);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

function token(
  key: TestKey,
  overrides: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
): Promise<string> {
  return sign(key, claims({ exp: LONG_EXP, ...overrides }), header);
}

function assertAllow(d: Decision, message?: string): void {
  assert.equal(
    d.kind,
    'allow',
    `${message ?? 'expected allow'}: got ${d.kind} ${d.kind === 'allow' ? '' : `${d.reason.code} (${reasonMessage(d.reason)})`}`,
  );
}

function assertRefused(
  d: Decision,
  kind: 'unauthorized' | 'failure' | 'deny',
  code: ReasonCode,
  message?: string,
): void {
  assert.notEqual(d.kind, 'allow', message ?? `expected ${kind} ${code}, got allow`);
  if (d.kind === 'allow') return;
  assert.equal(
    d.kind,
    kind,
    `${message ?? ''} (reason ${d.reason.code}: ${reasonMessage(d.reason)})`,
  );
  assert.equal(d.reason.code, code, `${message ?? ''} (${reasonMessage(d.reason)})`);
}

function events(rt: TestRuntime, event: string): Record<string, unknown>[] {
  return rt.logs.filter((entry) => entry.event === event);
}

function lastEvent(rt: TestRuntime, event: string): Record<string, unknown> {
  const found = events(rt, event);
  assert.ok(found.length > 0, `no ${event} log entry in ${JSON.stringify(rt.logs)}`);
  return found[found.length - 1]!;
}

function randomKid(): string {
  return `unknown-${Math.random().toString(36).slice(2)}-${Math.random().toString(36).slice(2)}`;
}

describe('key rotation', () => {
  test('a token with a new kid is accepted after exactly one refetch', async () => {
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      assertAllow(await rt.verifier.verify(await token(keyA)));
      assert.equal(server.hits(), 1);

      server.setKeys([keyA.jwk, keyB.jwk]);
      assertAllow(await rt.verifier.verify(await token(keyB)), 'the rotated-in key');
      assert.equal(server.hits(), 2, 'exactly one refetch for the new kid');
      assert.equal(lastEvent(rt, 'jwks_fetched').trigger, 'unknown-kid');

      // Both keys now work from the cache, without further fetches.
      assertAllow(await rt.verifier.verify(await token(keyB, { sub: 'user-2' })));
      assertAllow(await rt.verifier.verify(await token(keyA, { sub: 'user-2' })));
      assert.equal(server.hits(), 2);
    });
  });

  test('a kid published within the cooldown of an earlier unknown-kid refetch is picked up once the cooldown has passed', async () => {
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      assertAllow(await rt.verifier.verify(await token(keyA)));
      // An unknown kid (e.g. a forged token) spends the refetch of this cooldown window.
      assertRefused(
        await rt.verifier.verify(await token(keyA, {}, { kid: randomKid() })),
        'unauthorized',
        'KEY_NOT_FOUND',
      );
      assert.equal(server.hits(), 2);

      server.setKeys([keyA.jwk, keyB.jwk]);
      rt.clock.advance((COOLDOWN - 1) * SECOND);
      assertRefused(
        await rt.verifier.verify(await token(keyB)),
        'unauthorized',
        'KEY_NOT_FOUND',
        'still inside the cooldown',
      );
      assert.equal(server.hits(), 2, 'no refetch inside the cooldown');

      rt.clock.advance(2 * SECOND);
      assertAllow(await rt.verifier.verify(await token(keyB)), 'after the cooldown');
      assert.equal(server.hits(), 3, 'exactly one refetch after the cooldown');
      assertAllow(await rt.verifier.verify(await token(keyB, { sub: 'user-2' })));
      assert.equal(server.hits(), 3);
    });
  });

  test('a failed unknown-kid refetch does not spend the cooldown: the rotated key is retried after the failure backoff', async () => {
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      assertAllow(await rt.verifier.verify(await token(keyA)));
      server.setMode({ kind: 'status', status: 503 });
      // The identity provider blips just as the new key comes into use.
      assertRefused(
        await rt.verifier.verify(await token(keyB)),
        'unauthorized',
        'KEY_NOT_FOUND',
        'refetch failed',
      );
      assert.equal(server.hits(), 2);
      assertAllow(
        await rt.verifier.verify(await token(keyA, { sub: 'user-3' })),
        'old keys keep working',
      );
      server.setMode({ kind: 'keys' });
      server.setKeys([keyA.jwk, keyB.jwk]);
      rt.clock.advance((RETRY_AFTER_FAILURE - 1) * SECOND);
      assertRefused(
        await rt.verifier.verify(await token(keyB)),
        'unauthorized',
        'KEY_NOT_FOUND',
        'inside the failure backoff',
      );
      assert.equal(server.hits(), 2, 'no fetch inside the backoff');
      rt.clock.advance(2 * SECOND);
      assertAllow(
        await rt.verifier.verify(await token(keyB)),
        'after the backoff, well inside the cooldown',
      );
      assert.equal(server.hits(), 3);
    });
  });

  test('a key removed from the JWKS keeps working until the maximum age has passed, and not after', async () => {
    await withServer([keyA.jwk, keyB.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      const tokenA = await token(keyA);
      assertAllow(await rt.verifier.verify(tokenA));
      assert.equal(server.hits(), 1);

      server.setKeys([keyB.jwk]);
      rt.clock.advance((MAX_AGE - 1) * SECOND);
      assertAllow(await rt.verifier.verify(tokenA), 'cached token before max age');
      assertAllow(
        await rt.verifier.verify(await token(keyA, { sub: 'user-2' })),
        'new token, cached keys, before max age',
      );
      assert.equal(server.hits(), 1, 'no fetch before max age');

      rt.clock.advance(2 * SECOND);
      assertRefused(
        await rt.verifier.verify(tokenA),
        'unauthorized',
        'KEY_NOT_FOUND',
        'removed key after max age',
      );
      assert.ok(
        events(rt, 'jwks_fetched').some((e) => e.trigger === 'expired'),
        'refetched because the keys expired',
      );
      // The expiry refetch, plus at most the one unknown-kid refetch the cooldown allows.
      const hits = server.hits();
      assert.ok(hits >= 2 && hits <= 3, `hits ${hits}`);
      assertRefused(
        await rt.verifier.verify(await token(keyA, { sub: 'user-3' })),
        'unauthorized',
        'KEY_NOT_FOUND',
      );
      assertAllow(await rt.verifier.verify(await token(keyB)), 'the remaining key');
      assert.equal(server.hits(), hits, 'no further fetches');
    });
  });
});

describe('unknown kids and single flight', () => {
  const COUNT = 1000;
  let unknownKidTokens: string[];

  before(async () => {
    unknownKidTokens = await Promise.all(
      Array.from({ length: COUNT }, () => token(keyA, {}, { kid: randomKid() })),
    );
    assert.equal(new Set(unknownKidTokens).size, COUNT);
  });

  test(`${COUNT} tokens with random unknown kids, one after another, cause at most two fetches including warm-up`, async () => {
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      assertAllow(await rt.verifier.verify(await token(keyA)));
      for (const t of unknownKidTokens)
        assertRefused(await rt.verifier.verify(t), 'unauthorized', 'KEY_NOT_FOUND');
      assert.ok(server.hits() <= 2, `hits ${server.hits()}`);
      assert.equal(rt.keys.fetchCount, server.hits());
      assertAllow(
        await rt.verifier.verify(await token(keyA, { sub: 'user-2' })),
        'the real key still works',
      );
    });
  });

  test(`${COUNT} tokens with random unknown kids, concurrently on a warm client, cause at most two fetches including warm-up`, async () => {
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      assertAllow(await rt.verifier.verify(await token(keyA)));
      const decisions = await Promise.all(unknownKidTokens.map((t) => rt.verifier.verify(t)));
      for (const d of decisions) assertRefused(d, 'unauthorized', 'KEY_NOT_FOUND');
      assert.ok(server.hits() <= 2, `hits ${server.hits()}`);
    });
  });

  test(`${COUNT} tokens with random unknown kids, concurrently on a cold client, cause at most two fetches`, async () => {
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      const decisions = await Promise.all(unknownKidTokens.map((t) => rt.verifier.verify(t)));
      for (const d of decisions) assertRefused(d, 'unauthorized', 'KEY_NOT_FOUND');
      assert.ok(server.hits() <= 2, `hits ${server.hits()}`);
      assertAllow(await rt.verifier.verify(await token(keyA)));
      assert.ok(server.hits() <= 2, `hits ${server.hits()}`);
    });
  });

  test('50 concurrent first requests on a cold client cause exactly one fetch', async () => {
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      const tokens = await Promise.all(
        Array.from({ length: 50 }, (_, i) => token(keyA, { sub: `user-${i}` })),
      );
      const decisions = await Promise.all(tokens.map((t) => rt.verifier.verify(t)));
      decisions.forEach((d, i) => assertAllow(d, `request ${i}`));
      assert.equal(server.hits(), 1);
      assert.equal(events(rt, 'jwks_fetched').length, 1);
    });
  });
});

describe('Cache-Control', () => {
  const cases: { header: string | undefined; ttl: number; why: string }[] = [
    { header: 'max-age=5', ttl: MIN_AGE, why: 'raised to the minimum age' },
    { header: 'max-age=100000', ttl: MAX_AGE, why: 'capped at the maximum age' },
    { header: 'public, max-age=120, must-revalidate', ttl: 120, why: 'honoured within bounds' },
    { header: 'no-store', ttl: MIN_AGE, why: 'no-store: the minimum age' },
    { header: 'no-cache', ttl: MIN_AGE, why: 'no-cache: the minimum age' },
    { header: 'max-age=0', ttl: MIN_AGE, why: 'max-age=0: the minimum age' },
    { header: undefined, ttl: MAX_AGE, why: 'no header: the maximum age' },
  ];
  for (const { header, ttl, why } of cases) {
    test(`${header ?? '(none)'} keeps keys ${ttl} s (${why})`, async () => {
      await withServer([keyA.jwk], async (server) => {
        server.setCacheControl(header);
        const rt = testRuntime(server.url, ENV);
        assertAllow(await rt.verifier.verify(await token(keyA)));
        assert.equal(server.hits(), 1);
        assert.equal(lastEvent(rt, 'jwks_fetched').ttlSeconds, ttl);

        rt.clock.advance((ttl - 1) * SECOND);
        assertAllow(await rt.verifier.verify(await token(keyA, { sub: 'user-2' })));
        assert.equal(server.hits(), 1, `no fetch ${ttl - 1} s in`);

        rt.clock.advance(2 * SECOND);
        assertAllow(await rt.verifier.verify(await token(keyA, { sub: 'user-3' })));
        assert.equal(server.hits(), 2, `a fetch ${ttl + 1} s in`);
        assert.equal(lastEvent(rt, 'jwks_fetched').trigger, 'expired');
      });
    });
  }
});

describe('JWKS endpoint outage', () => {
  test('after warm-up, cached keys keep working for the stale window, then JWKS_UNAVAILABLE; backoff limits fetches', async () => {
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      const start = rt.clock.now();
      const tokenA = await token(keyA);
      assertAllow(await rt.verifier.verify(tokenA));
      assert.equal(server.hits(), 1);

      server.setMode({ kind: 'down' });
      rt.clock.advance((MAX_AGE + 1) * SECOND);
      assertAllow(await rt.verifier.verify(tokenA), 'stale keys past max age');
      assert.equal(server.hits(), 2, 'one fetch attempt when the keys expired');
      const warning = lastEvent(rt, 'jwks_fetch_failed');
      assert.equal(warning.level, 'warn');
      assert.equal(warning.usingCachedKeys, true);
      assert.equal(warning.code, 'JWKS_UNAVAILABLE');
      assert.equal(warning.trigger, 'expired');
      assert.equal(warning.jwksUri, server.url);
      assert.equal(warning.staleUntil, new Date(start + (MAX_AGE + STALE) * SECOND).toISOString());

      // Within the retry-after-failure backoff: answered from stale keys, no fetch per request.
      for (let i = 0; i < 20; i++) {
        assertAllow(
          await rt.verifier.verify(i % 2 ? tokenA : await token(keyA, { sub: `user-${i}` })),
        );
        rt.clock.advance(((RETRY_AFTER_FAILURE - 1) * SECOND) / 20);
      }
      assert.equal(server.hits(), 2, 'no fetch inside the backoff');
      assert.equal(events(rt, 'jwks_fetch_failed').length, 1);

      // After the backoff, one more attempt; still stale, still logged.
      rt.clock.advance(2 * SECOND);
      assertAllow(await rt.verifier.verify(tokenA));
      assert.equal(server.hits(), 3);
      assert.equal(events(rt, 'jwks_fetch_failed').length, 2);

      // Just before the end of the stale window.
      rt.clock.set(start + (MAX_AGE + STALE - 1) * SECOND);
      assertAllow(await rt.verifier.verify(tokenA), 'last second of the stale window');
      assert.equal(lastEvent(rt, 'jwks_fetch_failed').level, 'warn');

      // Past it: a failure, never an allow and never an Unauthorized.
      rt.clock.set(start + (MAX_AGE + STALE + RETRY_AFTER_FAILURE + 1) * SECOND);
      const hitsBefore = server.hits();
      assertRefused(
        await rt.verifier.verify(tokenA),
        'failure',
        'JWKS_UNAVAILABLE',
        'after the stale window',
      );
      assert.equal(server.hits(), hitsBefore + 1);
      const error = lastEvent(rt, 'jwks_fetch_failed');
      assert.equal(error.level, 'error');
      assert.equal(error.usingCachedKeys, false);
      // Inside the backoff it fails fast, without a fetch.
      for (let i = 0; i < 10; i++)
        assertRefused(await rt.verifier.verify(tokenA), 'failure', 'JWKS_UNAVAILABLE');
      assert.equal(server.hits(), hitsBefore + 1);

      // Recovery: the next attempt after the backoff fetches fresh keys.
      server.setMode({ kind: 'keys' });
      rt.clock.advance((RETRY_AFTER_FAILURE + 1) * SECOND);
      assertAllow(await rt.verifier.verify(tokenA), 'after recovery');
      assert.equal(server.hits(), hitsBefore + 2);
    });
  });

  test('cold client with the endpoint down: JWKS_UNAVAILABLE, logged as an error, one fetch per backoff', async () => {
    await withServer([keyA.jwk], async (server) => {
      server.setMode({ kind: 'down' });
      const rt = testRuntime(server.url, ENV);
      const tokenA = await token(keyA);
      const decisions = await Promise.all(
        Array.from({ length: 20 }, () => rt.verifier.verify(tokenA)),
      );
      for (const d of decisions) assertRefused(d, 'failure', 'JWKS_UNAVAILABLE');
      assert.equal(server.hits(), 1, 'single flight');
      for (let i = 0; i < 20; i++)
        assertRefused(await rt.verifier.verify(tokenA), 'failure', 'JWKS_UNAVAILABLE');
      assert.equal(server.hits(), 1, 'fail fast inside the backoff');
      const error = lastEvent(rt, 'jwks_fetch_failed');
      assert.equal(error.level, 'error');
      assert.equal(error.usingCachedKeys, false);
      assert.equal(error.trigger, 'initial');

      rt.clock.advance((RETRY_AFTER_FAILURE + 1) * SECOND);
      assertRefused(await rt.verifier.verify(tokenA), 'failure', 'JWKS_UNAVAILABLE');
      assert.equal(server.hits(), 2, 'retried after the backoff');
      server.setMode({ kind: 'keys' });
      rt.clock.advance((RETRY_AFTER_FAILURE + 1) * SECOND);
      assertAllow(await rt.verifier.verify(tokenA));
      assert.equal(server.hits(), 3);
    });
  });

  test('HTTP 500: JWKS_UNAVAILABLE, logged as an error', async () => {
    await withServer([keyA.jwk], async (server) => {
      server.setMode({ kind: 'status', status: 500 });
      const rt = testRuntime(server.url, ENV);
      const d = await rt.verifier.verify(await token(keyA));
      assertRefused(d, 'failure', 'JWKS_UNAVAILABLE');
      const error = lastEvent(rt, 'jwks_fetch_failed');
      assert.equal(error.level, 'error');
      assert.match(String(error.message), /HTTP 500/);
    });
  });
});

describe('JWKS endpoint hanging', () => {
  test(
    'cold: resolves with JWKS_UNAVAILABLE within JWKS_TIMEOUT_MS, never allow',
    { timeout: 5_000 },
    async () => {
      await withServer([keyA.jwk], async (server) => {
        server.setMode({ kind: 'hang' });
        const rt = testRuntime(server.url, { ...ENV, JWKS_TIMEOUT_MS: '200' });
        const tokenA = await token(keyA);
        const started = performance.now();
        const decisions = await Promise.all(
          Array.from({ length: 10 }, () => rt.verifier.verify(tokenA)),
        );
        const elapsed = performance.now() - started;
        for (const d of decisions) assertRefused(d, 'failure', 'JWKS_UNAVAILABLE');
        assert.ok(elapsed >= 150 && elapsed < 8000, `resolved after ${Math.round(elapsed)} ms`);
        assert.equal(server.hits(), 1, 'the concurrent requests waited on one fetch');
        const error = lastEvent(rt, 'jwks_fetch_failed');
        assert.equal(error.level, 'error');
        assert.match(String(error.message), /within 200 ms/);
      });
    },
  );

  test(
    'warm: an expired key set is refetched, the fetch times out, the cached keys are used',
    { timeout: 5_000 },
    async () => {
      await withServer([keyA.jwk], async (server) => {
        const rt = testRuntime(server.url, { ...ENV, JWKS_TIMEOUT_MS: '200' });
        const tokenA = await token(keyA);
        assertAllow(await rt.verifier.verify(tokenA));
        server.setMode({ kind: 'hang' });
        rt.clock.advance((MAX_AGE + 1) * SECOND);
        const started = performance.now();
        assertAllow(await rt.verifier.verify(tokenA), 'stale keys');
        assert.ok(performance.now() - started < 8000, 'a guard against a hang, not a timing');
        const warning = lastEvent(rt, 'jwks_fetch_failed');
        assert.equal(warning.level, 'warn');
        assert.equal(warning.usingCachedKeys, true);
      });
    },
  );
});

describe('unusable JWKS responses', () => {
  const TEN_MB = 10 * 1024 * 1024;
  const cases: {
    name: string;
    body: () => string | Buffer;
    contentType?: string;
    message: RegExp;
  }[] = [
    {
      name: 'an HTML page',
      body: () => '<!doctype html><html><body><h1>Sign in</h1></body></html>',
      contentType: 'text/html',
      message: /not JSON/,
    },
    { name: '{}', body: () => '{}', message: /no "keys" array/ },
    { name: '{"keys":[]}', body: () => '{"keys":[]}', message: /no usable signature keys/ },
    {
      name: 'only use:"enc" keys',
      body: () =>
        JSON.stringify({
          keys: [
            { ...keyA.jwk, use: 'enc' },
            { ...keyB.jwk, use: 'enc' },
          ],
        }),
      message: /no usable signature keys/,
    },
    // A valid key set, but 10 MB: refused for its size alone.
    {
      name: 'a 10 MB body',
      body: () => Buffer.from(JSON.stringify({ keys: [keyA.jwk], padding: 'x'.repeat(TEN_MB) })),
      message: /exceeds/,
    },
  ];

  for (const c of cases) {
    test(`cold, ${c.name}: JWKS_INVALID, logged as an error`, async () => {
      await withServer([keyA.jwk], async (server) => {
        server.setMode({
          kind: 'body',
          body: c.body(),
          ...(c.contentType ? { contentType: c.contentType } : {}),
        });
        const rt = testRuntime(server.url, ENV);
        const d = await rt.verifier.verify(await token(keyA));
        assertRefused(d, 'failure', 'JWKS_INVALID');
        assert.equal(server.hits(), 1);
        const error = lastEvent(rt, 'jwks_fetch_failed');
        assert.equal(error.level, 'error');
        assert.equal(error.code, 'JWKS_INVALID');
        assert.equal(error.usingCachedKeys, false);
        assert.match(String(error.message), c.message);
        // Not a silent deny-all: never an Unauthorized, on repeats either.
        for (let i = 0; i < 5; i++)
          assertRefused(
            await rt.verifier.verify(await token(keyA, { sub: `u${i}` })),
            'failure',
            'JWKS_INVALID',
          );
      });
    });

    test(`warm, ${c.name}: the old keys keep working, with a warning`, async () => {
      await withServer([keyA.jwk], async (server) => {
        const rt = testRuntime(server.url, ENV);
        const tokenA = await token(keyA);
        assertAllow(await rt.verifier.verify(tokenA));
        server.setMode({
          kind: 'body',
          body: c.body(),
          ...(c.contentType ? { contentType: c.contentType } : {}),
        });
        rt.clock.advance((MAX_AGE + 1) * SECOND);
        assertAllow(await rt.verifier.verify(tokenA), 'stale keys');
        assertAllow(
          await rt.verifier.verify(await token(keyA, { sub: 'user-2' })),
          'stale keys, new token',
        );
        assert.equal(server.hits(), 2);
        const warning = lastEvent(rt, 'jwks_fetch_failed');
        assert.equal(warning.level, 'warn');
        assert.equal(warning.code, 'JWKS_INVALID');
        assert.equal(warning.usingCachedKeys, true);

        // An unknown-kid refetch hitting the same bad response also keeps the old keys.
        rt.clock.advance((RETRY_AFTER_FAILURE + 1) * SECOND);
        assertRefused(
          await rt.verifier.verify(await token(keyA, {}, { kid: randomKid() })),
          'unauthorized',
          'KEY_NOT_FOUND',
        );
        assertAllow(await rt.verifier.verify(tokenA));
      });
    });
  }
});

describe('redirects', () => {
  test('a redirect to another origin is refused and that origin gets no request', async () => {
    await withServer([keyA.jwk], async (other) => {
      await withServer([keyA.jwk], async (server) => {
        server.setMode({ kind: 'redirect', location: other.url });
        const rt = testRuntime(server.url, ENV);
        assertRefused(await rt.verifier.verify(await token(keyA)), 'failure', 'JWKS_UNAVAILABLE');
        assert.equal(server.hits(), 1);
        assert.equal(other.hits(), 0);
        const error = lastEvent(rt, 'jwks_fetch_failed');
        assert.equal(error.level, 'error');
        assert.match(String(error.message), /another origin/);
      });
    });
  });

  test('a redirect to the same host name on another port is another origin', async () => {
    await withServer([keyA.jwk], async (other) => {
      await withServer([keyA.jwk], async (server) => {
        server.setMode({ kind: 'redirect', location: other.url.replace('127.0.0.1', 'localhost') });
        const rt = testRuntime(server.url, ENV);
        assertRefused(await rt.verifier.verify(await token(keyA)), 'failure', 'JWKS_UNAVAILABLE');
        assert.equal(other.hits(), 0);
      });
    });
  });

  test('a same-origin redirect is followed', async () => {
    await withServer([keyA.jwk], async (server) => {
      let moved = 0;
      server.route('/old/jwks.json', (_req, res) => {
        moved++;
        res.writeHead(301, { location: '/.well-known/jwks.json' }).end();
      });
      const rt = testRuntime(`${server.origin}/old/jwks.json`, ENV);
      assertAllow(await rt.verifier.verify(await token(keyA)));
      assert.equal(moved, 1);
      assert.equal(server.hits(), 1);
    });
  });

  test('an absolute same-origin redirect is followed', async () => {
    await withServer([keyA.jwk], async (server) => {
      server.route('/v2/jwks.json', (_req, res) => {
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ keys: [keyA.jwk] }));
      });
      server.setMode({ kind: 'redirect', location: `${server.origin}/v2/jwks.json` });
      const rt = testRuntime(server.url, ENV);
      assertAllow(await rt.verifier.verify(await token(keyA)));
      assert.equal(server.hits(), 1);
    });
  });

  test('a redirect loop ends in JWKS_UNAVAILABLE', async () => {
    await withServer([keyA.jwk], async (server) => {
      server.setMode({ kind: 'redirect', location: server.url });
      const rt = testRuntime(server.url, ENV);
      assertRefused(await rt.verifier.verify(await token(keyA)), 'failure', 'JWKS_UNAVAILABLE');
      assert.ok(server.hits() <= 4, `hits ${server.hits()}`);
    });
  });
});

describe('OpenID discovery (JWKS_URI unset)', () => {
  function serveDiscovery(server: JwksServer, doc: () => Record<string, unknown>): () => number {
    let hits = 0;
    server.route('/.well-known/openid-configuration', (_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc()));
    });
    return () => hits;
  }

  test('TOKEN_ISSUER on the loopback server: the jwks_uri of its discovery document is used', async () => {
    await withServer([keyA.jwk], async (server) => {
      const issuer = `${server.origin}/`;
      const discoveryHits = serveDiscovery(server, () => ({ issuer, jwks_uri: server.url }));
      const rt = testRuntime('', { ...ENV, TOKEN_ISSUER: issuer });
      assert.equal(rt.config.jwksUri, undefined);
      assertAllow(await rt.verifier.verify(await token(keyA, { iss: issuer })));
      assert.equal(discoveryHits(), 1);
      assert.equal(server.hits(), 1);
      assert.equal(lastEvent(rt, 'jwks_fetched').jwksUri, server.url);

      // Discovery happens once; later refetches go straight to the JWKS.
      rt.clock.advance((MAX_AGE + 1) * SECOND);
      assertAllow(await rt.verifier.verify(await token(keyA, { iss: issuer, sub: 'user-2' })));
      assert.equal(discoveryHits(), 1);
      assert.equal(server.hits(), 2);
    });
  });

  test('concurrent cold requests share one discovery and one JWKS fetch', async () => {
    await withServer([keyA.jwk], async (server) => {
      const issuer = `${server.origin}/`;
      const discoveryHits = serveDiscovery(server, () => ({ issuer, jwks_uri: server.url }));
      const rt = testRuntime('', { ...ENV, TOKEN_ISSUER: issuer });
      const t = await token(keyA, { iss: issuer });
      const decisions = await Promise.all(Array.from({ length: 20 }, () => rt.verifier.verify(t)));
      for (const d of decisions) assertAllow(d);
      assert.equal(discoveryHits(), 1);
      assert.equal(server.hits(), 1);
    });
  });

  test('a discovery document naming a different issuer (no trailing slash) is DISCOVERY_FAILED', async () => {
    await withServer([keyA.jwk], async (server) => {
      const issuer = `${server.origin}/`;
      serveDiscovery(server, () => ({ issuer: server.origin, jwks_uri: server.url }));
      const rt = testRuntime('', { ...ENV, TOKEN_ISSUER: issuer });
      assertRefused(
        await rt.verifier.verify(await token(keyA, { iss: issuer })),
        'failure',
        'DISCOVERY_FAILED',
      );
      assert.equal(server.hits(), 0, 'the jwks_uri of a mismatched document is not fetched');
      const error = lastEvent(rt, 'jwks_fetch_failed');
      assert.equal(error.level, 'error');
      assert.equal(error.code, 'DISCOVERY_FAILED');
      assert.match(String(error.message), /names issuer/);
    });
  });

  test('a jwks_uri over http to a non-loopback host is refused', async () => {
    await withServer([keyA.jwk], async (server) => {
      const issuer = `${server.origin}/`;
      serveDiscovery(server, () => ({
        issuer,
        jwks_uri: 'http://keys.example.com/.well-known/jwks.json',
      }));
      const rt = testRuntime('', { ...ENV, TOKEN_ISSUER: issuer });
      assertRefused(
        await rt.verifier.verify(await token(keyA, { iss: issuer })),
        'failure',
        'DISCOVERY_FAILED',
      );
      const error = lastEvent(rt, 'jwks_fetch_failed');
      assert.equal(error.level, 'error');
      assert.match(String(error.message), /must use https/);
    });
  });

  test('a discovery document that is missing, not JSON or without jwks_uri is DISCOVERY_FAILED', async () => {
    const cases: [string, (res: ServerResponse, issuer: string) => void][] = [
      ['HTTP 404', (res) => void res.writeHead(404).end()],
      [
        'an HTML page',
        (res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>'),
      ],
      [
        'no jwks_uri',
        (res, issuer) =>
          void res
            .writeHead(200, { 'content-type': 'application/json' })
            .end(JSON.stringify({ issuer })),
      ],
    ];
    for (const [name, respond] of cases) {
      await withServer([keyA.jwk], async (server) => {
        const issuer = `${server.origin}/`;
        server.route('/.well-known/openid-configuration', (_req, res) => respond(res, issuer));
        const rt = testRuntime('', { ...ENV, TOKEN_ISSUER: issuer });
        assertRefused(
          await rt.verifier.verify(await token(keyA, { iss: issuer })),
          'failure',
          'DISCOVERY_FAILED',
          name,
        );
        assert.equal(server.hits(), 0);
        assert.equal(lastEvent(rt, 'jwks_fetch_failed').level, 'error');
      });
    }
  });

  test(
    'a hanging discovery endpoint resolves with DISCOVERY_FAILED within JWKS_TIMEOUT_MS',
    { timeout: 5_000 },
    async () => {
      await withServer([keyA.jwk], async (server) => {
        const issuer = `${server.origin}/`;
        server.route('/.well-known/openid-configuration', () => undefined);
        const rt = testRuntime('', { ...ENV, TOKEN_ISSUER: issuer, JWKS_TIMEOUT_MS: '200' });
        const started = performance.now();
        assertRefused(
          await rt.verifier.verify(await token(keyA, { iss: issuer })),
          'failure',
          'DISCOVERY_FAILED',
        );
        assert.ok(performance.now() - started < 8000, 'a guard against a hang, not a timing');
        assert.equal(server.hits(), 0);
      });
    },
  );

  test('a failed discovery is retried after the backoff, and then works', async () => {
    await withServer([keyA.jwk], async (server) => {
      const issuer = `${server.origin}/`;
      let named = server.origin;
      const discoveryHits = serveDiscovery(server, () => ({ issuer: named, jwks_uri: server.url }));
      const rt = testRuntime('', { ...ENV, TOKEN_ISSUER: issuer });
      const t = await token(keyA, { iss: issuer });
      assertRefused(await rt.verifier.verify(t), 'failure', 'DISCOVERY_FAILED');
      assertRefused(
        await rt.verifier.verify(t),
        'failure',
        'DISCOVERY_FAILED',
        'inside the backoff',
      );
      assert.equal(discoveryHits(), 1);
      named = issuer;
      rt.clock.advance((RETRY_AFTER_FAILURE + 1) * SECOND);
      assertAllow(await rt.verifier.verify(t));
      assert.equal(discoveryHits(), 2);
      assert.equal(server.hits(), 1);
    });
  });
});

describe('the verified-token cache', () => {
  test('a repeated token still expires on time', async () => {
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      const t = await sign(keyA, claims({ exp: NOW_S + 60 }));
      assertAllow(await rt.verifier.verify(t));
      rt.clock.advance(59 * SECOND);
      assertAllow(await rt.verifier.verify(t), 'one second before exp');
      rt.clock.advance(2 * SECOND);
      assertRefused(await rt.verifier.verify(t), 'unauthorized', 'TOKEN_EXPIRED');
      assert.equal(
        server.hits(),
        1,
        'the keys were still fresh: the expiry comes from the claims check',
      );
    });
  });

  test('after a key removal and a refetch, a cached token signed by the removed key is refused', async () => {
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      const tokenA = await token(keyA);
      assertAllow(await rt.verifier.verify(tokenA));
      assertAllow(await rt.verifier.verify(tokenA), 'cached');
      assert.equal(server.hits(), 1);

      // Key A is revoked and key C published; a token with C's kid triggers the refetch.
      server.setKeys([keyC.jwk]);
      assertAllow(await rt.verifier.verify(await token(keyC)));
      assert.equal(server.hits(), 2);
      assertRefused(
        await rt.verifier.verify(tokenA),
        'unauthorized',
        'KEY_NOT_FOUND',
        'cached token of the removed key',
      );
      assertRefused(await rt.verifier.verify(tokenA), 'unauthorized', 'KEY_NOT_FOUND', 'and again');
      assert.equal(server.hits(), 2);
    });
  });

  test('after a key removal found at max age, a cached token signed by the removed key is refused', async () => {
    await withServer([keyA.jwk, keyB.jwk], async (server) => {
      const rt = testRuntime(server.url, { ...ENV, TOKEN_CACHE_SIZE: '10' });
      const tokenA = await token(keyA);
      assertAllow(await rt.verifier.verify(tokenA));
      server.setKeys([keyB.jwk]);
      rt.clock.advance((MAX_AGE + 1) * SECOND);
      assertRefused(await rt.verifier.verify(tokenA), 'unauthorized', 'KEY_NOT_FOUND');
    });
  });

  test('a token whose key was replaced under the same kid is refused after the refetch', async () => {
    const replaced = generateKey('RS256', keyA.kid);
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      const tokenA = await token(keyA);
      assertAllow(await rt.verifier.verify(tokenA));
      server.setKeys([replaced.jwk]);
      rt.clock.advance((MAX_AGE + 1) * SECOND);
      assertRefused(await rt.verifier.verify(tokenA), 'unauthorized', 'SIGNATURE_INVALID');
      assertAllow(await rt.verifier.verify(await token(replaced)));
    });
  });
});

describe('warm-up at init', () => {
  test('warmUp fetches the keys before the first request, once', async () => {
    await withServer([keyA.jwk], async (server) => {
      const rt = testRuntime(server.url, ENV);
      await Promise.all([rt.keys.warmUp(), rt.keys.warmUp()]);
      assert.equal(server.hits(), 1, 'fetched at warm-up, once');
      assertAllow(await rt.verifier.verify(await token(keyA)));
      assert.equal(server.hits(), 1);
      assert.equal(lastEvent(rt, 'jwks_fetched').trigger, 'initial');
    });
  });

  test('a failed warm-up sets no backoff: the first request fetches again at once', async () => {
    await withServer([keyA.jwk], async (server) => {
      server.setMode({ kind: 'status', status: 503 });
      const rt = testRuntime(server.url, ENV);
      await rt.keys.warmUp(); // never rejects
      assert.equal(server.hits(), 1);
      assert.equal(lastEvent(rt, 'jwks_fetch_failed').level, 'error');
      server.setMode({ kind: 'keys' });
      assertAllow(
        await rt.verifier.verify(await token(keyA)),
        'no fail-fast window after a failed warm-up',
      );
      assert.equal(server.hits(), 2);
    });
  });
});

describe('one fetch budget', () => {
  test('discovery and the JWKS share one JWKS_TIMEOUT_MS: the JWKS gets only what discovery left', async () => {
    await withServer([keyA.jwk], async (server) => {
      const budgets: number[] = [];
      const client = new JwksClient({
        jwksUri: async (timeoutMs) => {
          budgets.push(timeoutMs);
          await new Promise((resolve) => setTimeout(resolve, 150));
          return new URL(server.url);
        },
        get: (url, options) => {
          budgets.push(options.timeoutMs);
          return httpGet(url, options);
        },
        timeoutMs: 300,
        maxBytes: 65536,
        maxAgeSeconds: 600,
        minAgeSeconds: 60,
        cooldownSeconds: 30,
        staleIfErrorSeconds: 0,
        log: () => {},
      });
      await client.get();
      assert.equal(budgets[0], 300);
      // Timers may fire a millisecond early: 150 ms of discovery leaves at most about 150 of 300.
      assert.ok(
        budgets[1]! <= 200,
        `the JWKS fetch was given ${budgets[1]} ms after 150 ms of discovery`,
      );
    });
  });
});
