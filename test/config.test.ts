// configFromEnv: required settings, URL rules, the algorithm allow-list, number ranges, lists and
// defaults. Every refusal is a ConfigError naming the setting.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, configFromEnv } from '../src/settings/env.js';
import type { VerifierSettings } from '../src/settings/settings.js';
import { SETTINGS } from '../src/settings/settings-docs.js';

const BASE = {
  TOKEN_ISSUER: 'https://issuer.example.com/',
  AUDIENCE: 'https://api.example.com',
  JWKS_URI: 'https://issuer.example.com/.well-known/jwks.json',
} as const;

type Env = Record<string, string | undefined>;

/** Asserts configFromEnv refuses env with a ConfigError for `setting`, whose message names it. */
function refuses(env: Env, setting: string, message?: RegExp): ConfigError {
  let caught: unknown;
  try {
    configFromEnv(env);
  } catch (error) {
    caught = error;
  }
  assert.ok(
    caught instanceof ConfigError,
    `expected a ConfigError for ${setting} from ${JSON.stringify(env)}, got ${String(caught)}`,
  );
  assert.equal(caught.setting, setting);
  assert.equal(caught.code, 'CONFIG_INVALID');
  assert.equal(caught.name, 'ConfigError');
  assert.ok(caught.message.includes(setting), `message names ${setting}: ${caught.message}`);
  if (message) assert.match(caught.message, message);
  return caught;
}

function withBase(overrides: Env): Env {
  return { ...BASE, ...overrides };
}

describe('required settings', () => {
  for (const setting of ['TOKEN_ISSUER', 'AUDIENCE'] as const) {
    test(`${setting} missing, empty or blank is refused, naming it`, () => {
      const { [setting]: _removed, ...rest } = BASE;
      refuses(rest, setting, /required/);
      refuses(withBase({ [setting]: undefined }), setting);
      refuses(withBase({ [setting]: '' }), setting);
      refuses(withBase({ [setting]: '   ' }), setting);
    });
  }

  test('AUDIENCE made only of separators is refused', () => {
    refuses(withBase({ AUDIENCE: ' , ,' }), 'AUDIENCE');
  });

  test('an empty environment names TOKEN_ISSUER', () => {
    refuses({}, 'TOKEN_ISSUER');
  });

  test('the minimal configuration is accepted', () => {
    const config = configFromEnv(BASE);
    assert.equal(config.issuer, BASE.TOKEN_ISSUER);
    assert.deepEqual(config.audiences, [BASE.AUDIENCE]);
    assert.equal(config.jwksUri?.href, BASE.JWKS_URI);
  });

  test('TOKEN_ISSUER is kept exactly, trailing slash included, without surrounding blanks', () => {
    assert.equal(
      configFromEnv(withBase({ TOKEN_ISSUER: '  https://issuer.example.com  ' })).issuer,
      'https://issuer.example.com',
    );
    assert.equal(
      configFromEnv(withBase({ TOKEN_ISSUER: 'https://issuer.example.com/' })).issuer,
      'https://issuer.example.com/',
    );
  });
});

describe('JWKS_URI', () => {
  for (const uri of [
    'http://example.com/.well-known/jwks.json',
    'http://10.0.0.1/jwks',
    'http://127.0.0.1.nip.io/jwks',
    'http://localhost.example.com/jwks',
    'http://[::ffff:127.0.0.1]/jwks',
  ]) {
    test(`plain http to a non-loopback host is refused: ${uri}`, () => {
      refuses(withBase({ JWKS_URI: uri }), 'JWKS_URI', /https/);
    });
  }

  for (const uri of [
    'http://localhost/jwks',
    'http://localhost:8080/.well-known/jwks.json',
    'http://127.0.0.1/jwks',
    'http://127.0.0.1:3000/jwks',
    'http://[::1]/jwks',
    'http://[::1]:3000/jwks',
  ]) {
    test(`plain http to loopback is allowed: ${uri}`, () => {
      assert.equal(configFromEnv(withBase({ JWKS_URI: uri })).jwksUri?.href, new URL(uri).href);
    });
  }

  test('https is allowed', () => {
    assert.equal(
      configFromEnv(withBase({ JWKS_URI: 'https://keys.example.com/jwks' })).jwksUri?.href,
      'https://keys.example.com/jwks',
    );
  });

  for (const [uri, why] of [
    ['not a url', /not a URL/],
    ['ftp://example.com/jwks', /https/],
    ['file:///etc/jwks.json', /https/],
    ['https://user:secret@example.com/jwks', /credentials/],
    ['http://localhost@evil.example.com/jwks', /credentials/],
  ] as const) {
    test(`refused: ${uri}`, () => {
      const error = refuses(withBase({ JWKS_URI: uri }), 'JWKS_URI', why);
      assert.ok(!error.message.includes('secret'), 'the message does not echo credentials');
    });
  }

  test('unset or blank: OpenID discovery from TOKEN_ISSUER', () => {
    assert.equal(configFromEnv(withBase({ JWKS_URI: undefined })).jwksUri, undefined);
    assert.equal(configFromEnv(withBase({ JWKS_URI: '' })).jwksUri, undefined);
    assert.equal(configFromEnv(withBase({ JWKS_URI: '  ' })).jwksUri, undefined);
    assert.equal(
      configFromEnv(withBase({ JWKS_URI: undefined, TOKEN_ISSUER: 'http://127.0.0.1:4000/' }))
        .jwksUri,
      undefined,
    );
  });

  test('unset, with a TOKEN_ISSUER that cannot be used for discovery, is refused naming both', () => {
    for (const issuer of [
      'http://issuer.example.com/',
      'issuer-without-scheme',
      'urn:example:issuer',
    ]) {
      refuses(withBase({ JWKS_URI: undefined, TOKEN_ISSUER: issuer }), 'JWKS_URI', /TOKEN_ISSUER/);
    }
  });

  test('set, TOKEN_ISSUER need not be a URL', () => {
    assert.equal(
      configFromEnv(withBase({ TOKEN_ISSUER: 'urn:example:issuer' })).issuer,
      'urn:example:issuer',
    );
  });
});

describe('ALGORITHMS', () => {
  for (const [value, why] of [
    ['none', /unsigned tokens are never accepted/],
    ['NONE', /unsigned tokens are never accepted/],
    ['None', /unsigned tokens are never accepted/],
    ['HS256', /HMAC/],
    ['hs512', /HMAC/],
    ['RS256,HS256', /HMAC/],
    ['RS256 none', /unsigned/],
    ['XS256', /supported: RS256/],
    ['rs256', /supported: RS256/],
    ['', /must not be an empty list/],
    [' , ', /must not be an empty list/],
  ] as const) {
    test(`${JSON.stringify(value)} is refused: ${why.source}`, () => {
      const error = refuses(withBase({ ALGORITHMS: value }), 'ALGORITHMS', why);
      const bad = value.split(/[\s,]+/).find((a) => a && a !== 'RS256');
      if (bad)
        assert.ok(
          error.message.includes(`"${bad}"`),
          `the message quotes ${bad}: ${error.message}`,
        );
    });
  }

  test('a list of supported algorithms is accepted, comma or space separated', () => {
    assert.deepEqual(
      configFromEnv(withBase({ ALGORITHMS: 'RS256, ES256 PS256,EdDSA' })).algorithms,
      ['RS256', 'ES256', 'PS256', 'EdDSA'],
    );
  });
});

describe('numbers', () => {
  // [setting, min, max] as configFromEnv enforces them.
  const RANGES: [keyof typeof SETTINGS, number, number][] = [
    ['CLOCK_TOLERANCE', 0, 300],
    ['TOKEN_MAX_LENGTH', 256, 65536],
    ['TOKEN_CACHE_SIZE', 0, 100000],
    ['JWKS_TIMEOUT_MS', 100, 8000],
    ['JWKS_MAX_AGE', 1, 86400],
    ['JWKS_MIN_AGE', 1, 86400],
    ['JWKS_COOLDOWN', 1, 3600],
    ['JWKS_STALE_IF_ERROR', 0, 86400],
  ];

  for (const [setting, min, max] of RANGES) {
    test(`${setting}: non-numeric and out-of-range values are refused, naming it`, () => {
      // JWKS_MIN_AGE must also stay at or below JWKS_MAX_AGE; raise the maximum out of the way.
      const base = withBase(setting === 'JWKS_MIN_AGE' ? { JWKS_MAX_AGE: '86400' } : {});
      for (const bad of [
        'abc',
        '1.5',
        '-1',
        '+1',
        '1e3',
        '0x10',
        '10s',
        '1_000',
        'NaN',
        'Infinity',
      ]) {
        refuses({ ...base, [setting]: bad }, setting, /whole number/);
      }
      refuses(
        { ...base, [setting]: String(max + 1) },
        setting,
        new RegExp(`between ${min} and ${max}`),
      );
      refuses({ ...base, [setting]: '99999999999999999999999' }, setting, /between/);
      if (min > 0)
        refuses(
          { ...base, [setting]: String(min - 1) },
          setting,
          new RegExp(`between ${min} and ${max}`),
        );
    });

    test(`${setting}: the bounds themselves are accepted`, () => {
      const base = withBase(
        setting === 'JWKS_MIN_AGE'
          ? { JWKS_MAX_AGE: '86400' }
          : setting === 'JWKS_MAX_AGE'
            ? { JWKS_MIN_AGE: '1' }
            : {},
      );
      for (const ok of [min, max])
        assert.doesNotThrow(
          () => configFromEnv({ ...base, [setting]: String(ok) }),
          `${setting}=${ok}`,
        );
      assert.doesNotThrow(
        () => configFromEnv({ ...base, [setting]: ` ${max} ` }),
        'surrounding blanks are trimmed',
      );
    });
  }

  test('a set but blank number setting is refused rather than defaulted (fail closed on ambiguous configuration)', () => {
    for (const [setting] of RANGES) {
      refuses(withBase({ [setting]: '' }), setting, /whole number/);
      refuses(withBase({ [setting]: '  ' }), setting, /whole number/);
    }
  });

  test('the values land where the client reads them', () => {
    const config = configFromEnv(
      withBase({
        CLOCK_TOLERANCE: '5',
        TOKEN_MAX_LENGTH: '4096',
        TOKEN_CACHE_SIZE: '0',
        JWKS_TIMEOUT_MS: '200',
        JWKS_MAX_AGE: '900',
        JWKS_MIN_AGE: '30',
        JWKS_COOLDOWN: '10',
        JWKS_STALE_IF_ERROR: '0',
      }),
    );
    assert.equal(config.clockTolerance, 5);
    assert.equal(config.maxTokenLength, 4096);
    assert.equal(config.tokenCacheSize, 0);
    assert.deepEqual(config.jwks, {
      timeoutMs: 200,
      maxBytes: 256 * 1024,
      maxAgeSeconds: 900,
      minAgeSeconds: 30,
      cooldownSeconds: 10,
      staleIfErrorSeconds: 0,
    });
  });

  test('JWKS_MIN_AGE above JWKS_MAX_AGE is refused, naming both', () => {
    refuses(withBase({ JWKS_MIN_AGE: '120', JWKS_MAX_AGE: '60' }), 'JWKS_MIN_AGE', /JWKS_MAX_AGE/);
    refuses(withBase({ JWKS_MAX_AGE: '30' }), 'JWKS_MIN_AGE', /JWKS_MAX_AGE/); // against the default minimum of 60
    assert.equal(
      configFromEnv(withBase({ JWKS_MIN_AGE: '60', JWKS_MAX_AGE: '60' })).jwks.minAgeSeconds,
      60,
    );
  });
});

describe('lists and choices', () => {
  test('AUDIENCE is split on commas (and blanks) into several audiences', () => {
    assert.deepEqual(
      configFromEnv(withBase({ AUDIENCE: 'https://api.example.com,https://admin.example.com' }))
        .audiences,
      ['https://api.example.com', 'https://admin.example.com'],
    );
    assert.deepEqual(configFromEnv(withBase({ AUDIENCE: ' a , b,,c ' })).audiences, [
      'a',
      'b',
      'c',
    ]);
  });

  test('REQUIRED_SCOPES and CONTEXT_CLAIMS are lists', () => {
    const config = configFromEnv(
      withBase({ REQUIRED_SCOPES: 'read:pets, write:pets', CONTEXT_CLAIMS: 'scope,email org_id' }),
    );
    assert.deepEqual(config.requiredScopes, ['read:pets', 'write:pets']);
    assert.deepEqual(
      config.contextClaims.map((x) => x.claim),
      ['scope', 'email', 'org_id'],
    );
  });

  test('CONTEXT_CLAIMS naming a key API Gateway reserves is refused', () => {
    refuses(withBase({ CONTEXT_CLAIMS: 'scope,principalId' }), 'CONTEXT_CLAIMS', /principalId/);
    refuses(withBase({ CONTEXT_CLAIMS: 'claims' }), 'CONTEXT_CLAIMS', /claims/);
  });

  test('SCOPE_MATCH and POLICY_RESOURCE accept only their values', () => {
    assert.equal(configFromEnv(withBase({ SCOPE_MATCH: 'any' })).scopeMatch, 'any');
    assert.equal(configFromEnv(withBase({ POLICY_RESOURCE: 'api' })).policyResource, 'api');
    refuses(withBase({ SCOPE_MATCH: 'some' }), 'SCOPE_MATCH', /all, any/);
    refuses(withBase({ SCOPE_MATCH: 'ALL' }), 'SCOPE_MATCH');
    refuses(withBase({ POLICY_RESOURCE: 'method' }), 'POLICY_RESOURCE', /stage, api/);
    assert.equal(configFromEnv(withBase({ LOG_DECISIONS: 'refusals' })).logDecisions, 'refusals');
    refuses(withBase({ LOG_DECISIONS: 'none' }), 'LOG_DECISIONS', /all, refusals/);
  });
});

describe('defaults', () => {
  const config = (): VerifierSettings => configFromEnv(BASE);
  const list = (value: string): string[] => value.split(/[\s,]+/).filter(Boolean);
  // Each optional setting, and where its value lands.
  const READ: Record<string, (c: VerifierSettings) => unknown> = {
    ALGORITHMS: (c) => c.algorithms,
    CLOCK_TOLERANCE: (c) => c.clockTolerance,
    REQUIRED_SCOPES: (c) => c.requiredScopes,
    SCOPE_MATCH: (c) => c.scopeMatch,
    CONTEXT_CLAIMS: (c) => c.contextClaims.map((x) => x.claim),
    PRESET: (c) => c.preset,
    POLICY_RESOURCE: (c) => c.policyResource,
    TOKEN_MAX_LENGTH: (c) => c.maxTokenLength,
    TOKEN_CACHE_SIZE: (c) => c.tokenCacheSize,
    LOG_DECISIONS: (c) => c.logDecisions,
    JWKS_TIMEOUT_MS: (c) => c.jwks.timeoutMs,
    JWKS_MAX_AGE: (c) => c.jwks.maxAgeSeconds,
    JWKS_MIN_AGE: (c) => c.jwks.minAgeSeconds,
    JWKS_COOLDOWN: (c) => c.jwks.cooldownSeconds,
    JWKS_STALE_IF_ERROR: (c) => c.jwks.staleIfErrorSeconds,
  };
  const LISTS = new Set(['ALGORITHMS', 'REQUIRED_SCOPES', 'CONTEXT_CLAIMS']);
  const STRINGS = new Set(['SCOPE_MATCH', 'POLICY_RESOURCE', 'LOG_DECISIONS', 'PRESET']);

  test('every setting with a default is covered here', () => {
    const withDefault = Object.entries(SETTINGS)
      .filter(([, s]) => s.default !== undefined)
      .map(([name]) => name)
      .sort();
    assert.deepEqual(withDefault, Object.keys(READ).sort());
  });

  for (const [name, read] of Object.entries(READ)) {
    test(`${name} defaults to ${JSON.stringify(SETTINGS[name as keyof typeof SETTINGS].default)}`, () => {
      const raw = SETTINGS[name as keyof typeof SETTINGS].default as string;
      const expected = LISTS.has(name) ? list(raw) : STRINGS.has(name) ? raw : Number(raw);
      assert.deepEqual(read(config()), expected);
    });
  }

  test('the documented defaults, spelled out', () => {
    const c = config();
    assert.deepEqual(c.algorithms, ['RS256']);
    assert.equal(c.clockTolerance, 0);
    assert.deepEqual(c.requiredScopes, []);
    assert.equal(c.scopeMatch, 'all');
    assert.deepEqual(c.contextClaims, [{ claim: 'scope', name: 'scope' }]);
    assert.equal(c.policyResource, 'stage');
    assert.equal(c.maxTokenLength, 10240);
    assert.equal(c.tokenCacheSize, 200);
    assert.deepEqual(c.jwks, {
      timeoutMs: 2500,
      maxBytes: 256 * 1024,
      maxAgeSeconds: 600,
      minAgeSeconds: 60,
      cooldownSeconds: 30,
      staleIfErrorSeconds: 3600,
    });
  });

  test('required settings have no default', () => {
    assert.equal(SETTINGS.TOKEN_ISSUER.default, undefined);
    assert.equal(SETTINGS.AUDIENCE.default, undefined);
    assert.equal(SETTINGS.JWKS_URI.default, undefined);
  });

  test('the same environment gives the same configuration (no hidden state)', () => {
    assert.deepEqual(configFromEnv(BASE), configFromEnv(BASE));
  });
});
