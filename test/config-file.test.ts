// tollgate.config.yaml / .json: loading, every kind of refusal at its exact line and column, path
// resolution, and the JSON Schema (schema/tollgate.config.schema.json) agreeing with the
// hand-written validator. ajv (a devDependency) is the independent JSON Schema implementation.
import { ROOT as REPO_ROOT } from './support/paths.js';
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { build } from 'esbuild';
import { parse } from 'yaml';
import {
  formatConfigError,
  loadConfigFile,
  loadConfigSource,
  type ConfigFileError,
  type LoadConfigResult,
} from '../src/settings/config-file.js';
import {
  INTEGER_SETTINGS,
  JWKS_SETTINGS,
  KEY_ALGORITHMS,
  PATTERNS,
  PRESET_ISSUER_PATTERNS,
  PRESETS,
  SECRET_ALGORITHMS,
  VALIDATOR_ONLY_CHECKS,
  formatConfigPath,
  validateConfigDocument,
  type FileConfig,
} from '../src/settings/file-validate.js';
import { ConfigError, configFromEnv } from '../src/settings/env.js';
import { checkPresetIssuer } from '../src/settings/presets.js';

const ROOT = REPO_ROOT;
const SCHEMA_PATH = join(ROOT, 'schema/tollgate.config.schema.json');
const EXAMPLE_PATH = join(ROOT, 'examples/tollgate.config.yaml');
const schema = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>;

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-config-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `text` as `name` in the temporary folder and loads it (no TOKEN_ISSUER in the environment). */
function load(
  text: string,
  name = 'tollgate.config.yaml',
  env: Record<string, string> = {},
): LoadConfigResult {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return loadConfigFile(file, { env });
}

/** The formatted errors, file names relative to the temporary folder. */
function errors(text: string, name = 'tollgate.config.yaml'): string[] {
  const result = load(text, name);
  assert.equal(result.ok, false, `expected ${name} to be refused:\n${text}`);
  return (result as { errors: ConfigFileError[] }).errors.map((e) =>
    formatConfigError(e).replace(`${dir}/`, ''),
  );
}

function config(
  text: string,
  name = 'tollgate.config.yaml',
  env: Record<string, string> = {},
): FileConfig {
  const result = load(text, name, env);
  if (!result.ok)
    assert.fail(
      `expected ${name} to load, got:\n${result.errors.map(formatConfigError).join('\n')}`,
    );
  return result.config;
}

const ISSUER = `issuers:
  - issuer: https://example.auth0.com/
    audience: https://api.example.com
`;

describe('good files', () => {
  test('the example (two issuers, Auth0 and Cognito) loads, every setting typed', () => {
    const result = loadConfigFile(EXAMPLE_PATH, { env: {} });
    if (!result.ok) assert.fail(result.errors.map(formatConfigError).join('\n'));
    const c = result.config;
    assert.equal(c.issuers?.length, 2);
    const [auth0, cognito] = c.issuers!;
    assert.deepEqual(
      { ...auth0, jwksUri: auth0!.jwksUri?.href },
      {
        issuer: 'https://petstore.eu.auth0.com/',
        preset: 'auth0',
        audience: ['https://api.petstore.example.com'],
        algorithms: ['RS256'],
        jwksUri: undefined,
        secret: undefined,
        tokenUse: undefined,
        scopeClaims: ['scope', 'permissions'],
        groupClaims: undefined,
        requiredScopes: ['read:pets'],
        scopeMatch: 'all',
        rules: undefined,
      },
    );
    assert.equal(cognito!.preset, 'cognito');
    assert.equal(cognito!.tokenUse, 'access');
    assert.ok(cognito!.jwksUri instanceof URL);
    assert.equal(
      cognito!.jwksUri.href,
      'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pw7Kx2mQa/.well-known/jwks.json',
    );
    assert.deepEqual(cognito!.audience, ['3n4b5urk1ft4fl3mg5e62d9ado']);
    assert.deepEqual(cognito!.groupClaims, ['cognito:groups']);
    assert.deepEqual(c.rules, { kind: 'file', path: join(ROOT, 'examples/petstore.rules.yaml') });
    assert.deepEqual(c.tokenSource, { kind: 'header', name: 'Authorization' });
    assert.deepEqual(c.context, {
      claims: ['scope', 'email', 'cognito:groups'],
      rename: { email: 'userEmail', 'cognito:groups': 'groups' },
    });
    assert.deepEqual(
      [
        c.v2Response,
        c.usageIdentifierClaim,
        c.policyResource,
        c.clockTolerance,
        c.tokenMaxLength,
        c.tokenCacheSize,
        c.logDecisions,
      ],
      ['iam', 'client_id', 'stage', 5, 10240, 200, 'refusals'],
    );
    assert.deepEqual(c.jwks, {
      timeoutMs: 2500,
      maxAge: 600,
      minAge: 60,
      cooldown: 30,
      staleIfError: 3600,
    });
  });

  test('the same settings as JSON (with $schema, tab indentation) give the same configuration', () => {
    const doc = parse(readFileSync(EXAMPLE_PATH, 'utf8')) as Record<string, unknown>;
    const json = JSON.stringify(
      { $schema: '../schema/tollgate.config.schema.json', ...doc },
      null,
      '\t',
    );
    mkdirSync(join(dir, 'examples'), { recursive: true });
    const fromJson = config(json, 'examples/tollgate.config.json');
    const fromYaml = loadConfigFile(EXAMPLE_PATH, { env: {} });
    assert.ok(fromYaml.ok);
    // Same settings; the rules path is resolved against each file's own folder.
    assert.deepEqual({ ...fromJson, rules: undefined }, { ...fromYaml.config, rules: undefined });
    assert.deepEqual(fromJson.rules, {
      kind: 'file',
      path: join(dir, 'examples/petstore.rules.yaml'),
    });
  });

  test('compact JSON parses too, and its errors have positions', () => {
    assert.ok(
      config('{"issuers":[{"issuer":"https://a.example.com/","audience":"api"}]}', 'compact.json')
        .issuers,
    );
    assert.deepEqual(
      errors(
        '{\n  "issuers": [\n    { "issuer": "https://a.example.com/", "audience": "api", "algorithms": ["RS256", "none"] }\n  ]\n}\n',
        'bad.json',
      ),
      [
        'bad.json:3:86: issuers[0].algorithms[1] "none" is not a supported algorithm: unsigned tokens are never accepted',
      ],
    );
  });

  test('defaults are applied inside issuers; top-level settings left out stay undefined', () => {
    const c = config(ISSUER);
    assert.deepEqual(c, {
      issuers: [
        {
          issuer: 'https://example.auth0.com/',
          preset: 'oidc',
          audience: ['https://api.example.com'],
          algorithms: ['RS256'],
          jwksUri: undefined,
          secret: undefined,
          tokenUse: undefined,
          scopeClaims: undefined,
          groupClaims: undefined,
          requiredScopes: [],
          scopeMatch: 'all',
          rules: undefined,
        },
      ],
      rules: undefined,
      tokenSource: undefined,
      v2Response: undefined,
      context: undefined,
      usageIdentifierClaim: undefined,
      policyResource: undefined,
      clockTolerance: undefined,
      tokenMaxLength: undefined,
      tokenCacheSize: undefined,
      logDecisions: undefined,
      jwks: {
        timeoutMs: undefined,
        maxAge: undefined,
        minAge: undefined,
        cooldown: undefined,
        staleIfError: undefined,
      },
      serve: undefined,
    });
  });

  test('an HMAC issuer: secret from an environment variable or a file, algorithms default to HS256', () => {
    const c = config(
      `issuers:
  - issuer: legacy-issuer
    audience: [a, b]
    secret: { env: LEGACY_SECRET }
  - issuer: other-issuer
    audience: a
    algorithms: [HS384, HS512]
    secret:
      file: secrets/hmac.txt
`,
      'sub/tollgate.config.yaml',
    );
    assert.deepEqual(
      c.issuers!.map((i) => [i.algorithms, i.secret, i.jwksUri]),
      [
        [['HS256'], { kind: 'env', name: 'LEGACY_SECRET' }, undefined],
        [['HS384', 'HS512'], { kind: 'file', path: join(dir, 'sub/secrets/hmac.txt') }, undefined],
      ],
    );
  });

  test('cognito: tokenUse access by default, id when set', () => {
    const c = config(`issuers:
  - issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123
    preset: cognito
    audience: client1
  - issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Def456
    preset: cognito
    audience: client2
    tokenUse: id
`);
    assert.deepEqual(
      c.issuers!.map((i) => i.tokenUse),
      ['access', 'id'],
    );
  });

  test('issuers may be left out only when TOKEN_ISSUER is set in the environment', () => {
    assert.deepEqual(errors('clockTolerance: 5\n'), [
      'tollgate.config.yaml:1:1: issuers is required (or set TOKEN_ISSUER in the environment)',
    ]);
    assert.equal(
      config('clockTolerance: 5\n', 'env.yaml', { TOKEN_ISSUER: 'https://issuer.example.com/' })
        .issuers,
      undefined,
    );
    assert.equal(load('clockTolerance: 5\n', 'blank.yaml', { TOKEN_ISSUER: '  ' }).ok, false);
    assert.equal(
      validateConfigDocument({}).ok,
      false,
      'the pure validator assumes no environment unless given one',
    );
    assert.equal(validateConfigDocument({}, { env: { TOKEN_ISSUER: 'x' } }).ok, true);
  });
});

describe('paths are resolved against the config file folder', () => {
  test('rules: a relative path, an absolute path, or inline rules kept as written', () => {
    assert.deepEqual(
      config(`${ISSUER}rules: ./rules/petstore.rules.yaml\n`, 'deploy/prod/tollgate.config.yaml')
        .rules,
      { kind: 'file', path: join(dir, 'deploy/prod/rules/petstore.rules.yaml') },
    );
    assert.deepEqual(
      config(`${ISSUER}rules: ../shared.rules.json\n`, 'deploy/prod/tollgate.config.yaml').rules,
      { kind: 'file', path: join(dir, 'deploy/shared.rules.json') },
    );
    assert.deepEqual(config(`${ISSUER}rules: /etc/tollgate/rules.yaml\n`).rules, {
      kind: 'file',
      path: '/etc/tollgate/rules.yaml',
    });
    const inline = config(
      `${ISSUER}rules:\n  routes:\n    - route: GET /pets\n      scopes: [read:pets]\n`,
    ).rules;
    assert.deepEqual(inline, {
      kind: 'inline',
      document: { routes: [{ route: 'GET /pets', scopes: ['read:pets'] }] },
    });
  });

  test("an issuer's own rules: the same forms as the top-level rules, resolved against the same folder", () => {
    const c = config(
      `issuers:
  - issuer: https://a.example.com/
    audience: a
    rules: ./rules/a.rules.yaml
  - issuer: https://b.example.com/
    audience: b
    rules:
      routes:
        - route: GET /pets
          scopes: [read:pets]
  - issuer: https://c.example.com/
    audience: c
rules: /etc/tollgate/rules.yaml
`,
      'deploy/prod/tollgate.config.yaml',
    );
    assert.deepEqual(
      c.issuers!.map((i) => i.rules),
      [
        { kind: 'file', path: join(dir, 'deploy/prod/rules/a.rules.yaml') },
        { kind: 'inline', document: { routes: [{ route: 'GET /pets', scopes: ['read:pets'] }] } },
        undefined,
      ],
    );
    assert.deepEqual(c.rules, { kind: 'file', path: '/etc/tollgate/rules.yaml' });
    const pure = validateConfigDocument(
      { issuers: [{ issuer: 'https://i.example.com/', audience: 'a', rules: 'i.rules.json' }] },
      { baseDir: '/var/task' },
    );
    assert.ok(pure.ok);
    assert.deepEqual(pure.config.issuers![0]!.rules, {
      kind: 'file',
      path: '/var/task/i.rules.json',
    });
    assert.equal(pure.config.rules, undefined);
  });

  test('the pure validator resolves against baseDir, and never reads the files it names', () => {
    const result = validateConfigDocument(
      {
        issuers: [{ issuer: 'i', audience: 'a', secret: { file: 'missing/secret.txt' } }],
        rules: 'missing.rules.yaml',
      },
      { baseDir: '/var/task' },
    );
    assert.ok(result.ok);
    assert.deepEqual(result.config.rules, { kind: 'file', path: '/var/task/missing.rules.yaml' });
    assert.deepEqual(result.config.issuers![0]!.secret, {
      kind: 'file',
      path: '/var/task/missing/secret.txt',
    });
  });

  test('errorAt gives inline-rules errors (from the rules engine) a position in the config file', () => {
    const result = load(
      `${ISSUER}rules:\n  routes:\n    - route: GET /pets\n      scopes: read:pets\n`,
    );
    assert.ok(result.ok);
    assert.equal(
      formatConfigError(result.errorAt(['rules', 'routes', 0, 'scopes'], 'must be a list')).replace(
        `${dir}/`,
        '',
      ),
      'tollgate.config.yaml:7:15: rules.routes[0].scopes must be a list',
    );
    assert.equal(
      formatConfigError(
        result.errorAt(['rules', 'routes', 0, 'scopes'], 'is not a known key', true),
      ).replace(`${dir}/`, ''),
      'tollgate.config.yaml:7:7: rules.routes[0].scopes is not a known key',
    );
    const own = load(
      `issuers:\n  - issuer: https://a.example.com/\n    audience: a\n    rules:\n      routes:\n        - route: GET /pets\n          scopes: read:pets\n`,
    );
    assert.ok(own.ok);
    assert.equal(
      formatConfigError(
        own.errorAt(['issuers', 0, 'rules', 'routes', 0, 'scopes'], 'must be a list'),
      ).replace(`${dir}/`, ''),
      'tollgate.config.yaml:7:19: issuers[0].rules.routes[0].scopes must be a list',
    );
  });
});

describe('errors name the key path and its exact position', () => {
  test('an unsupported algorithm, at the list item', () => {
    assert.deepEqual(
      errors(`# yaml-language-server: $schema=../schema/tollgate.config.schema.json
issuers:
  - issuer: https://example.auth0.com/
    preset: auth0
    audience: [https://api.example.com]
    jwksUri: https://example.auth0.com/.well-known/jwks.json
    algorithms: [RS256, none]
`),
      [
        'tollgate.config.yaml:7:25: issuers[0].algorithms[1] "none" is not a supported algorithm: unsigned tokens are never accepted',
      ],
    );
  });

  test('every problem is reported, in file order', () => {
    assert.deepEqual(
      errors(`issuers:
  - issuer: https://example.auth0.com/
    preset: auth0
    audience: []
    algorithms:
      - RS256
      - RS257
    scopeMatch: most
clockTolerance: 301
tokenMaxLength: 1.5
tokenCacheSize: "30"
logDecisions: none
policyResource: route
v2Response: both
tokenSource: Authorization
jwks:
  timeoutMs: 99
  maxAge: 86401
  minAge: 0
  cooldown: 3601
  staleIfError: -1
`),
      [
        'tollgate.config.yaml:4:15: issuers[0].audience must not be an empty list',
        'tollgate.config.yaml:7:9: issuers[0].algorithms[1] "RS257" is not a supported algorithm (supported: RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512, EdDSA, Ed25519)',
        'tollgate.config.yaml:8:17: issuers[0].scopeMatch must be one of all, any, got the string "most"',
        'tollgate.config.yaml:9:17: clockTolerance must be between 0 and 300, got 301',
        'tollgate.config.yaml:10:17: tokenMaxLength must be a whole number, got the number 1.5',
        'tollgate.config.yaml:11:17: tokenCacheSize must be a whole number, got the string "30"',
        'tollgate.config.yaml:12:15: logDecisions must be one of all, refusals, got the string "none"',
        'tollgate.config.yaml:13:17: policyResource must be one of stage, api, got the string "route"',
        'tollgate.config.yaml:14:13: v2Response must be one of simple, iam, got the string "both"',
        'tollgate.config.yaml:15:14: tokenSource "Authorization" must be header:NAME, query:NAME or cookie:NAME',
        'tollgate.config.yaml:17:14: jwks.timeoutMs must be between 100 and 8000, got 99',
        'tollgate.config.yaml:18:11: jwks.maxAge must be between 1 and 86400, got 86401',
        'tollgate.config.yaml:19:11: jwks.minAge must be between 1 and 86400, got 0',
        'tollgate.config.yaml:20:13: jwks.cooldown must be between 1 and 3600, got 3601',
        'tollgate.config.yaml:21:17: jwks.staleIfError must be between 0 and 86400, got -1',
      ],
    );
  });

  test('unknown keys at every level, at the key, with a suggestion', () => {
    assert.deepEqual(
      errors(`issuers:
  - issuer: https://example.auth0.com/
    audience: api
    jwks_uri: https://example.auth0.com/jwks.json
    secret: { env: S, value: hunter2 }
    algorithms: [HS256]
context:
  claims: [scope]
  renames: { scope: scopes }
jwks:
  maxage: 600
  ttl: 5
JWKS_TIMEOUT_MS: 2500
tokenSoruce: header:Authorization
`),
      [
        'tollgate.config.yaml:4:5: issuers[0].jwks_uri is not a known key; did you mean jwksUri?',
        'tollgate.config.yaml:5:23: issuers[0].secret.value is not a known key (known keys: env, file)',
        'tollgate.config.yaml:9:3: context.renames is not a known key; did you mean rename?',
        'tollgate.config.yaml:11:3: jwks.maxage is not a known key; did you mean maxAge?',
        'tollgate.config.yaml:12:3: jwks.ttl is not a known key (known keys: timeoutMs, maxAge, minAge, cooldown, staleIfError)',
        'tollgate.config.yaml:13:1: JWKS_TIMEOUT_MS is not a known key; JWKS_TIMEOUT_MS is an environment variable: in the file it is jwks.timeoutMs',
        'tollgate.config.yaml:14:1: tokenSoruce is not a known key; did you mean tokenSource?',
      ],
    );
  });

  test('missing required keys point at the mapping that lacks them; empty values at their key', () => {
    assert.deepEqual(
      errors(`issuers:
  - preset: okta
    algorithms: [ES256]
  - issuer: https://b.example.com/
    audience:
context: {}
`),
      [
        'tollgate.config.yaml:2:5: issuers[0].issuer is required (the exact iss of the tokens, e.g. https://YOUR_TENANT.auth0.com/)',
        'tollgate.config.yaml:2:5: issuers[0].audience is required (the aud values accepted, or the app client ids for Cognito)',
        'tollgate.config.yaml:5:5: issuers[1].audience must be a string or a list of strings, got nothing',
        'tollgate.config.yaml:6:10: context.claims is required (the claims copied into the authorizer context; [] for none)',
      ],
    );
  });

  test('wrong types: a list where a mapping belongs, a number where text belongs', () => {
    assert.deepEqual(errors('- issuer: x\n'), [
      'tollgate.config.yaml:1:1: must be a mapping of settings, got a list',
    ]);
    assert.deepEqual(errors('issuers:\n  issuer: x\n'), [
      'tollgate.config.yaml:2:3: issuers must be a list of issuers, got a mapping',
    ]);
    assert.deepEqual(errors('issuers: []\n'), [
      'tollgate.config.yaml:1:10: issuers must list at least one issuer',
    ]);
    assert.deepEqual(errors('issuers:\n  - https://a.example.com/\n'), [
      'tollgate.config.yaml:2:5: issuers[0] must be a mapping (issuer, audience, ...), got the string "https://a.example.com/"',
    ]);
    assert.deepEqual(
      errors(`issuers:
  - issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123
    preset: cognito
    audience: 123e4567
    rules: [a.rules.yaml]
  - issuer: https://b.example.com/
    audience: b
    rules: ''
usageIdentifierClaim: 7
rules: 42
context:
  claims: scope
`),
      [
        'tollgate.config.yaml:4:15: issuers[0].audience must be a string or a list of strings, got the number Infinity (quote it)',
        'tollgate.config.yaml:5:12: issuers[0].rules must be the path of a rules file or a rules mapping, got a list',
        'tollgate.config.yaml:8:12: issuers[1].rules must be the path of a rules file or a rules mapping, got the string ""',
        'tollgate.config.yaml:9:23: usageIdentifierClaim must be a string, got the number 7 (quote it)',
        'tollgate.config.yaml:10:8: rules must be the path of a rules file or a rules mapping, got the number 42',
        'tollgate.config.yaml:12:11: context.claims must be a list of claim names, got the string "scope"',
      ],
    );
  });

  test('context: reserved names, renames of claims not copied, clashing new names', () => {
    assert.deepEqual(
      errors(`${ISSUER}context:
  claims: [scope, principalId, email, sub]
  rename:
    email: claims
    phone: tel
    sub: scope
`),
      [
        'tollgate.config.yaml:5:19: context.claims[1] "principalId" is a name API Gateway reserves: copy it under another name (context.rename)',
        'tollgate.config.yaml:7:12: context.rename.email "claims" is a name API Gateway reserves',
        'tollgate.config.yaml:8:5: context.rename.phone renames "phone", which context.claims does not list',
        'tollgate.config.yaml:9:10: context.rename.sub "scope" is already the name of a copied claim',
      ],
    );
  });

  test('issuer URLs: discovery needs https (or loopback http); each preset checks its form (presets.ts)', () => {
    assert.deepEqual(
      errors(`issuers:
  - issuer: http://idp.example.com
    audience: a
  - issuer: https://tenant.auth0.com
    preset: auth0
    audience: a
  - issuer: https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/
    preset: cognito
    audience: a
  - issuer: https://idp.example.com
    jwksUri: https://user:pw@idp.example.com/jwks
    audience: a
  - issuer: https://idp.example.com
    audience: a
`),
      [
        'tollgate.config.yaml:2:13: issuers[0].issuer cannot be used for OpenID discovery (set jwksUri, or fix the issuer): "http://idp.example.com/" must use https (plain http is allowed only for localhost, 127.0.0.1 and [::1])',
        'tollgate.config.yaml:4:13: issuers[1].issuer "https://tenant.auth0.com" does not fit preset auth0: an Auth0 issuer is https://YOUR_DOMAIN/ with the trailing slash, as in its tokens',
        'tollgate.config.yaml:7:13: issuers[2].issuer "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/" does not fit preset cognito: a Cognito issuer is https://cognito-idp.REGION.amazonaws.com/USER_POOL_ID, without a trailing slash',
        'tollgate.config.yaml:11:14: issuers[3].jwksUri "https://idp.example.com" must not carry credentials',
        'tollgate.config.yaml:13:13: issuers[4].issuer "https://idp.example.com" is already configured by issuers[3]: the token\'s iss must choose one issuer',
      ],
    );
  });
});

describe('secrets, HMAC and presets', () => {
  test('secret with jwksUri is refused', () => {
    assert.deepEqual(
      errors(`issuers:
  - issuer: https://idp.example.com/
    audience: a
    algorithms: [HS256]
    jwksUri: https://idp.example.com/jwks.json
    secret: { env: TOKEN_SECRET }
`),
      [
        'tollgate.config.yaml:5:14: issuers[0].jwksUri cannot be used with secret: an issuer signs with a shared secret or with published keys, never both',
      ],
    );
  });

  test('HS algorithms without a secret are refused, and other algorithms with one', () => {
    assert.deepEqual(
      errors(`issuers:
  - issuer: https://idp.example.com/
    audience: a
    algorithms: [RS256, HS256]
  - issuer: https://other.example.com/
    audience: a
    algorithms: [HS512, ES256]
    secret: { file: ./secret.txt }
`),
      [
        'tollgate.config.yaml:4:25: issuers[0].algorithms[1] "HS256" needs secret: HMAC cannot be used with keys from a JWKS',
        'tollgate.config.yaml:7:25: issuers[1].algorithms[1] "ES256" cannot be used with secret: an issuer with a secret verifies only HS256, HS384 or HS512',
      ],
    );
  });

  test('a secret is named, never written: a string, both sources, no source, a bad variable name', () => {
    assert.deepEqual(
      errors(`issuers:
  - issuer: a
    audience: a
    secret: hunter2hunter2hunter2hunter2hunter2
  - issuer: b
    audience: a
    secret: { env: A, file: ./b }
  - issuer: c
    audience: a
    secret: {}
  - issuer: d
    audience: a
    secret: { env: 1SECRET }
  - issuer: e
    audience: a
    secret: { file: "" }
`),
      [
        'tollgate.config.yaml:4:13: issuers[0].secret must be { env: NAME } or { file: PATH }, got a string (not shown): the config names where the secret is, never the secret itself',
        'tollgate.config.yaml:7:13: issuers[1].secret must give env or file, not both',
        'tollgate.config.yaml:10:13: issuers[2].secret must give env (a variable name) or file (a path)',
        'tollgate.config.yaml:13:20: issuers[3].secret.env must be the name of an environment variable (letters, digits and _), not the secret (the value is not shown)',
        'tollgate.config.yaml:16:21: issuers[4].secret.file must not be empty',
      ],
    );
  });

  test('tokenUse is for preset cognito only; presets and scopes are checked', () => {
    assert.deepEqual(
      errors(`issuers:
  - issuer: https://idp.example.com/
    audience: a
    tokenUse: id
  - issuer: https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Xy9
    preset: cognito
    audience: a
    tokenUse: refresh
  - issuer: https://login.example.com/
    preset: google
    audience: a
    requiredScopes: ["read pets", read:pets]
    scopeClaims: []
    groupClaims: [""]
`),
      [
        "tollgate.config.yaml:4:15: issuers[0].tokenUse applies only to preset cognito (this issuer's preset is oidc (the default))",
        'tollgate.config.yaml:8:15: issuers[1].tokenUse must be one of access, id, got the string "refresh"',
        'tollgate.config.yaml:10:13: issuers[2].preset must be one of oidc, auth0, cognito, okta, entra, got the string "google"',
        'tollgate.config.yaml:12:22: issuers[2].requiredScopes[0] "read pets" must be one scope, without spaces (list each scope on its own)',
        'tollgate.config.yaml:13:18: issuers[2].scopeClaims must not be an empty list',
        'tollgate.config.yaml:14:19: issuers[2].groupClaims[0] must not be empty',
      ],
    );
  });

  test('a secret written into the file is never echoed in an error', () => {
    const secret = 'c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw==';
    for (const value of [secret, `{ env: "${secret}" }`]) {
      const out = errors(`issuers:\n  - issuer: a\n    audience: a\n    secret: ${value}\n`);
      assert.equal(out.length, 1);
      assert.ok(!out[0]!.includes(secret), out[0]);
    }
  });

  test('the validator never reads a secret: a secret file that does not exist is fine here', () => {
    const c = config(
      'issuers:\n  - issuer: a\n    audience: a\n    secret: { file: /nonexistent/secret }\n',
    );
    assert.deepEqual(c.issuers![0]!.secret, { kind: 'file', path: '/nonexistent/secret' });
  });
});

describe('files that cannot be read or parsed', () => {
  test('a missing file: one error naming it', () => {
    const result = loadConfigFile(join(dir, 'nope/tollgate.config.yaml'), { env: {} });
    assert.equal(result.ok, false);
    assert.ok(!result.ok);
    assert.equal(result.errors.length, 1);
    assert.deepEqual(result.errors[0], {
      file: join(dir, 'nope/tollgate.config.yaml'),
      line: 0,
      column: 0,
      path: [],
      message: 'cannot read the config file: there is no such file',
    });
    assert.equal(
      formatConfigError(result.errors[0]!),
      `${join(dir, 'nope/tollgate.config.yaml')}: cannot read the config file: there is no such file`,
    );
    const relative = loadConfigFile('no-such-dir/tollgate.config.yaml', { env: {} });
    assert.ok(!relative.ok);
    assert.equal(
      formatConfigError(relative.errors[0]!),
      `no-such-dir/tollgate.config.yaml: cannot read the config file: there is no such file (${join(process.cwd(), 'no-such-dir/tollgate.config.yaml')})`,
    );
    const folder = loadConfigFile(dir, { env: {} });
    assert.ok(!folder.ok);
    assert.equal(folder.errors[0]!.message, 'cannot read the config file: it is a folder');
  });

  test('YAML syntax errors: one error, at its position', () => {
    assert.deepEqual(errors('issuers:\n  - issuer: [https://a.example.com/\n    audience: a\n'), [
      'tollgate.config.yaml:3:5: is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
    assert.deepEqual(errors('clockTolerance: 1\nlogDecisions: all\nclockTolerance: 2\n'), [
      'tollgate.config.yaml:3:1: is not valid YAML: Map keys must be unique',
    ]);
    assert.deepEqual(errors('{ "issuers": [ } ', 'broken.json').length, 1);
    assert.deepEqual(errors('clockTolerance: 1\n---\nclockTolerance: 2\n'), [
      'tollgate.config.yaml:2:1: is not valid YAML: Source contains multiple documents; please use YAML.parseAllDocuments()',
    ]);
    assert.deepEqual(errors('clockTolerance: !Ref Tolerance\n'), [
      'tollgate.config.yaml:1:17: is not valid YAML: Unresolved tag: !Ref',
    ]);
    assert.deepEqual(errors('? [a, b]\n: 1\n'), [
      'tollgate.config.yaml:1:3: a key must be a plain name, not a list or a mapping',
    ]);
  });

  test('an empty file or a comment-only file is not a configuration', () => {
    assert.deepEqual(errors(''), [
      'tollgate.config.yaml:1:1: must be a mapping of settings, got nothing',
    ]);
    assert.deepEqual(errors('# nothing yet\n'), [
      'tollgate.config.yaml:1:1: must be a mapping of settings, got nothing',
    ]);
  });

  test('aliases are followed, and an alias bomb is refused', () => {
    const c = config(`issuers:
  - issuer: https://a.example.com/
    audience: &aud [api, api2]
  - issuer: https://b.example.com/
    audience: *aud
`);
    assert.deepEqual(
      c.issuers!.map((i) => i.audience),
      [
        ['api', 'api2'],
        ['api', 'api2'],
      ],
    );
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    const result = loadConfigSource(`${bomb.join('\n')}\n`, 'bomb.yaml', { env: {} });
    assert.ok(!result.ok);
    assert.match(formatConfigError(result.errors[0]!), /^bomb\.yaml:1:1: cannot be read: .*alias/i);
  });
});

test('formatConfigPath quotes keys that are not plain names', () => {
  assert.equal(formatConfigPath(['issuers', 0, 'algorithms', 1]), 'issuers[0].algorithms[1]');
  assert.equal(
    formatConfigPath(['context', 'rename', 'cognito:groups']),
    'context.rename["cognito:groups"]',
  );
  assert.equal(formatConfigPath(['$schema']), '$schema');
  assert.equal(formatConfigPath([]), '');
});

// ---- The JSON Schema and the validator agree -------------------------------------------------

const ajv = new Ajv({ allErrors: true, strictTypes: true });
// Keywords VS Code's JSON and YAML language services understand; annotations only.
ajv.addVocabulary(['patternErrorMessage', 'errorMessage', 'defaultSnippets']);
const schemaValid = ajv.compile(schema);
const ENV = { TOKEN_ISSUER: 'https://env.example.com/' };

type Json = Record<string, unknown>;
const BASE: Json = {
  $schema: './tollgate.config.schema.json',
  issuers: [
    {
      issuer: 'https://t.auth0.com/',
      preset: 'auth0',
      audience: ['https://api'],
      algorithms: ['RS256', 'ES256'],
      scopeClaims: ['scope', 'permissions'],
      requiredScopes: ['read:pets'],
      scopeMatch: 'all',
    },
    {
      issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123',
      preset: 'cognito',
      audience: 'client',
      tokenUse: 'id',
      jwksUri: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/.well-known/jwks.json',
      groupClaims: ['cognito:groups'],
    },
    { issuer: 'legacy', audience: 'a', algorithms: ['HS256'], secret: { env: 'LEGACY_SECRET' } },
  ],
  rules: './rules.yaml',
  tokenSource: 'header:Authorization',
  v2Response: 'iam',
  context: { claims: ['scope', 'email'], rename: { email: 'userEmail' } },
  usageIdentifierClaim: 'client_id',
  policyResource: 'api',
  clockTolerance: 0,
  tokenMaxLength: 10240,
  tokenCacheSize: 200,
  logDecisions: 'all',
  jwks: { timeoutMs: 2500, maxAge: 600, minAge: 60, cooldown: 30, staleIfError: 3600 },
};

/** BASE with `value` at `path` (undefined deletes the key). */
function withValue(path: (string | number)[], value: unknown, base: Json = BASE): Json {
  const doc = structuredClone(base);
  let node = doc as Record<string | number, unknown>;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string | number, unknown>;
  const last = path.at(-1)!;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return doc;
}

const GOOD: [string, Json][] = [
  ['the base document', BASE],
  ['issuers only, minimal', { issuers: [{ issuer: 'https://idp.example.com', audience: 'a' }] }],
  ['no issuers, TOKEN_ISSUER in the environment', { clockTolerance: 1 }],
  ['an empty document, TOKEN_ISSUER in the environment', {}],
  [
    'secret from a file, default algorithm',
    withValue(
      ['issuers', 2, 'secret'],
      { file: './s.txt' },
      withValue(['issuers', 2, 'algorithms'], undefined),
    ),
  ],
  ['every HMAC algorithm', withValue(['issuers', 2, 'algorithms'], ['HS256', 'HS384', 'HS512'])],
  ['every asymmetric algorithm', withValue(['issuers', 0, 'algorithms'], [...KEY_ALGORITHMS])],
  [
    'discovery from loopback http',
    withValue(['issuers', 0], { issuer: 'http://localhost:3000/idp', audience: 'a' }),
  ],
  [
    'discovery from 127.0.0.1',
    withValue(['issuers', 0], { issuer: 'http://127.0.0.1:8080/', audience: 'a' }),
  ],
  ['discovery from [::1]', withValue(['issuers', 0], { issuer: 'http://[::1]/', audience: 'a' })],
  [
    'a non-URL issuer with jwksUri',
    withValue(['issuers', 0], {
      issuer: 'urn:example:issuer',
      audience: 'a',
      jwksUri: 'http://localhost/jwks',
    }),
  ],
  [
    'preset okta',
    withValue(['issuers', 0], {
      issuer: 'https://dev-1.okta.com/oauth2/default',
      preset: 'okta',
      audience: 'api://default',
    }),
  ],
  [
    'preset entra v2',
    withValue(['issuers', 0], {
      issuer: 'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0',
      preset: 'entra',
      audience: 'api://x',
    }),
  ],
  [
    'preset entra v1',
    withValue(['issuers', 0], {
      issuer: 'https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/',
      preset: 'entra',
      audience: 'api://x',
    }),
  ],
  ['preset oidc written out', withValue(['issuers', 0, 'preset'], 'oidc')],
  ['cognito access tokens', withValue(['issuers', 1, 'tokenUse'], 'access')],
  ['no required scopes', withValue(['issuers', 0, 'requiredScopes'], [])],
  ['scopeMatch any', withValue(['issuers', 0, 'scopeMatch'], 'any')],
  ['an empty context', withValue(['context'], { claims: [] })],
  ['rename to the same name', withValue(['context', 'rename'], { email: 'email' })],
  ['swap two names', withValue(['context', 'rename'], { email: 'scope', scope: 'email' })],
  [
    'a claim named principalId, copied under another name',
    withValue(['context'], { claims: ['principalId'], rename: { principalId: 'pid' } }),
  ],
  ['inline rules', withValue(['rules'], { routes: [] })],
  ["an issuer's own rules file", withValue(['issuers', 0, 'rules'], './auth0.rules.yaml')],
  [
    "an issuer's own inline rules, no top-level rules",
    withValue(['issuers', 2, 'rules'], { routes: [] }, withValue(['rules'], undefined)),
  ],
  ['query token source', withValue(['tokenSource'], 'query:access_token')],
  ['cookie token source', withValue(['tokenSource'], 'cookie:session')],
  ['a query name outside the header characters', withValue(['tokenSource'], 'query:auth[token]')],
  ['minAge equal to maxAge', withValue(['jwks'], { minAge: 600, maxAge: 600 })],
  ...Object.entries(INTEGER_SETTINGS).flatMap(([key, b]): [string, Json][] => [
    [`${key} at ${b.min}`, withValue([key], b.min)],
    [`${key} at ${b.max}`, withValue([key], b.max)],
  ]),
  ...Object.entries(JWKS_SETTINGS).flatMap(([key, b]): [string, Json][] => [
    [`jwks.${key} at ${b.min}`, withValue(['jwks'], { [key]: b.min })],
    [`jwks.${key} at ${b.max}`, withValue(['jwks'], { [key]: b.max })],
  ]),
];

const WRONG_TYPES = [null, true, 7, 'text', [], {}];
/** Of those, the ones that are right for their key. */
const VALID_WRONG_TYPES = new Set([
  'jwks: {}',
  'usageIdentifierClaim: "text"',
  'issuers[0].audience: "text"',
  'issuers[0].requiredScopes: []',
  'rules: "text"',
  'rules: {}',
  'issuers[0].rules: "text"',
  'issuers[0].rules: {}',
]);

type Bad = [name: string, doc: unknown, at: (string | number)[]];
/** BASE with `value` at `path`, a document both must refuse at (or under) `path`. */
const bad = (name: string, path: (string | number)[], value: unknown): Bad => [
  name,
  withValue(path, value),
  path,
];

/** Documents both must refuse; each is BASE with one thing wrong. */
const BAD: Bad[] = [
  ['a list', [], []],
  ['a string', 'issuers', []],
  ['null', null, []],
  bad('an unknown top-level key', ['audience'], 'a'),
  bad('$schema not a string', ['$schema'], 5),
  bad('issuers not a list', ['issuers'], {}),
  bad('issuers empty', ['issuers'], []),
  bad('an issuer that is a string', ['issuers', 0], 'https://a/'),
  bad('an unknown issuer key', ['issuers', 0, 'jwks_uri'], 'https://a/jwks'),
  bad('issuer missing', ['issuers', 0, 'issuer'], undefined),
  bad('issuer empty', ['issuers', 2, 'issuer'], ''),
  bad('audience missing', ['issuers', 0, 'audience'], undefined),
  bad('audience empty', ['issuers', 0, 'audience'], ''),
  bad('audience an empty list', ['issuers', 0, 'audience'], []),
  bad('audience with an empty item', ['issuers', 0, 'audience'], ['a', '']),
  bad('audience with a number', ['issuers', 0, 'audience'], ['a', 5]),
  bad('preset unknown', ['issuers', 0, 'preset'], 'google'),
  bad('algorithms empty', ['issuers', 0, 'algorithms'], []),
  bad('algorithms a string', ['issuers', 0, 'algorithms'], 'RS256'),
  bad('algorithm none', ['issuers', 0, 'algorithms'], ['none']),
  bad('algorithm in lower case', ['issuers', 0, 'algorithms'], ['rs256']),
  bad('HS256 without a secret', ['issuers', 0, 'algorithms'], ['RS256', 'HS256']),
  bad('RS256 with a secret', ['issuers', 2, 'algorithms'], ['HS256', 'RS256']),
  bad('secret with jwksUri', ['issuers', 2, 'jwksUri'], 'https://a/jwks'),
  bad('secret as a value', ['issuers', 2, 'secret'], 'hunter2'),
  bad('secret with env and file', ['issuers', 2, 'secret'], { env: 'A', file: 'b' }),
  bad('secret empty', ['issuers', 2, 'secret'], {}),
  bad('secret with an unknown key', ['issuers', 2, 'secret'], { env: 'A', value: 'x' }),
  bad('secret env not a variable name', ['issuers', 2, 'secret'], { env: 'MY-SECRET' }),
  bad('secret file empty', ['issuers', 2, 'secret'], { file: '' }),
  bad('jwksUri http to a public host', ['issuers', 1, 'jwksUri'], 'http://example.com/jwks'),
  bad('jwksUri with credentials', ['issuers', 1, 'jwksUri'], 'https://u:p@example.com/jwks'),
  bad('jwksUri not a URL', ['issuers', 1, 'jwksUri'], 'jwks.json'),
  bad('jwksUri http://localhost.evil', ['issuers', 1, 'jwksUri'], 'http://localhost.evil.com/jwks'),
  bad('discovery from plain http', ['issuers', 0], {
    issuer: 'http://idp.example.com/',
    audience: 'a',
  }),
  bad('discovery from a non-URL', ['issuers', 0], { issuer: 'idp', audience: 'a' }),
  bad('Auth0 issuer without /', ['issuers', 0, 'issuer'], 'https://t.auth0.com'),
  bad(
    'Cognito issuer with /',
    ['issuers', 1, 'issuer'],
    'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/',
  ),
  bad('Cognito issuer elsewhere', ['issuers', 1, 'issuer'], 'https://example.com/us-east-1_AbC123'),
  bad(
    'Cognito issuer in another form',
    ['issuers', 1, 'issuer'],
    'https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_Abc',
  ),
  bad('Okta issuer with /', ['issuers', 0], {
    issuer: 'https://dev-1.okta.com/oauth2/default/',
    preset: 'okta',
    audience: 'a',
  }),
  bad('Entra issuer without a tenant id', ['issuers', 0], {
    issuer: 'https://login.microsoftonline.com/common/v2.0',
    preset: 'entra',
    audience: 'a',
  }),
  bad('tokenUse without a preset', ['issuers', 2, 'tokenUse'], 'access'),
  bad('tokenUse on auth0', ['issuers', 0, 'tokenUse'], 'id'),
  bad('tokenUse unknown', ['issuers', 1, 'tokenUse'], 'refresh'),
  bad('scopeClaims empty', ['issuers', 0, 'scopeClaims'], []),
  bad('groupClaims with an empty name', ['issuers', 1, 'groupClaims'], ['']),
  bad('a scope with a space', ['issuers', 0, 'requiredScopes'], ['read pets']),
  bad('an empty scope', ['issuers', 0, 'requiredScopes'], ['']),
  bad('scopeMatch unknown', ['issuers', 0, 'scopeMatch'], 'most'),
  bad('rules empty', ['rules'], ''),
  bad('rules a list', ['rules'], []),
  bad('issuer rules empty', ['issuers', 0, 'rules'], ''),
  bad('issuer rules a list', ['issuers', 1, 'rules'], ['./a.rules.yaml']),
  bad('issuer rules a number', ['issuers', 2, 'rules'], 42),
  bad('tokenSource without a place', ['tokenSource'], 'Authorization'),
  bad('tokenSource without a name', ['tokenSource'], 'header:'),
  bad('tokenSource from the body', ['tokenSource'], 'body:token'),
  bad('tokenSource with a space', ['tokenSource'], 'header:X Token'),
  bad('tokenSource header name with brackets', ['tokenSource'], 'header:auth[token]'),
  bad('tokenSource query name with &', ['tokenSource'], 'query:a&b'),
  bad('tokenSource kind in capitals', ['tokenSource'], 'Header:Authorization'),
  bad('v2Response unknown', ['v2Response'], 'both'),
  bad('context without claims', ['context'], { rename: {} }),
  bad('context with an unknown key', ['context', 'renames'], {}),
  bad('context claims a string', ['context', 'claims'], 'scope'),
  bad('context claim empty', ['context', 'claims'], ['email', '']),
  bad('rename to a reserved name', ['context', 'rename'], { email: 'principalId' }),
  bad('rename to an empty name', ['context', 'rename'], { email: '' }),
  bad('rename a list', ['context', 'rename'], ['email']),
  bad('usageIdentifierClaim empty', ['usageIdentifierClaim'], ''),
  bad('policyResource unknown', ['policyResource'], 'route'),
  bad('logDecisions unknown', ['logDecisions'], 'none'),
  bad('jwks with an unknown key', ['jwks', 'ttl'], 5),
  ...WRONG_TYPES.flatMap((value): Bad[] => [
    ...[
      'issuers',
      'rules',
      'tokenSource',
      'v2Response',
      'context',
      'usageIdentifierClaim',
      'policyResource',
      'logDecisions',
      'jwks',
    ].map((key) => bad(`${key}: ${JSON.stringify(value)}`, [key], value)),
    ...[
      'issuer',
      'preset',
      'audience',
      'algorithms',
      'jwksUri',
      'scopeClaims',
      'groupClaims',
      'requiredScopes',
      'scopeMatch',
      'rules',
    ].map((key) => bad(`issuers[0].${key}: ${JSON.stringify(value)}`, ['issuers', 0, key], value)),
    bad(`issuers[1].tokenUse: ${JSON.stringify(value)}`, ['issuers', 1, 'tokenUse'], value),
    bad(`issuers[2].secret: ${JSON.stringify(value)}`, ['issuers', 2, 'secret'], value),
  ]).filter(([name]) => !VALID_WRONG_TYPES.has(name)),
  ...Object.entries(INTEGER_SETTINGS).flatMap(([key, b]): Bad[] => [
    bad(`${key} below`, [key], b.min - 1),
    bad(`${key} above`, [key], b.max + 1),
    bad(`${key} fractional`, [key], b.min + 0.5),
    bad(`${key} as text`, [key], String(b.min)),
    bad(`${key} null`, [key], null),
  ]),
  ...Object.entries(JWKS_SETTINGS).flatMap(([key, b]): Bad[] => [
    bad(`jwks.${key} below`, ['jwks', key], b.min - 1),
    bad(`jwks.${key} above`, ['jwks', key], b.max + 1),
    bad(`jwks.${key} fractional`, ['jwks', key], b.min + 0.5),
    bad(`jwks.${key} as text`, ['jwks', key], String(b.min)),
  ]),
];

/** Documents the schema accepts and only the validator refuses: one per VALIDATOR_ONLY_CHECKS entry. */
const VALIDATOR_ONLY: [number, string, Json, Record<string, string>][] = [
  [0, 'no issuers and no TOKEN_ISSUER', { clockTolerance: 1 }, {}],
  [1, 'the same issuer twice', withValue(['issuers', 2, 'issuer'], 'https://t.auth0.com/'), ENV],
  [
    2,
    'a jwksUri port out of range',
    withValue(['issuers', 1, 'jwksUri'], 'https://example.com:99999/jwks'),
    ENV,
  ],
  [
    2,
    'a discovery issuer that is not a URL',
    withValue(['issuers', 0], { issuer: 'https://exa%mple.com/', audience: 'a' }),
    ENV,
  ],
  [3, 'minAge above maxAge', withValue(['jwks'], { minAge: 601, maxAge: 600 }), ENV],
  [
    4,
    'a claim named principalId, not renamed',
    withValue(['context', 'claims'], ['email', 'principalId']),
    ENV,
  ],
  [
    4,
    'a claim named claims, not renamed',
    withValue(['context', 'claims'], ['email', 'claims']),
    ENV,
  ],
  [5, 'a rename of a claim not copied', withValue(['context', 'rename'], { phone: 'tel' }), ENV],
  [
    5,
    'two claims renamed to one name',
    withValue(['context', 'rename'], { email: 'x', scope: 'x' }),
    ENV,
  ],
  [5, 'a rename onto a copied claim', withValue(['context', 'rename'], { email: 'scope' }), ENV],
];

describe('the JSON Schema agrees with the validator', () => {
  test("the schema is draft-07 (what VS Code's YAML and JSON language services support fully)", () => {
    assert.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#');
  });

  test('the example validates under both, and its modeline points at the schema', () => {
    const text = readFileSync(EXAMPLE_PATH, 'utf8');
    assert.match(
      text,
      /^# yaml-language-server: \$schema=\.\.\/schema\/tollgate\.config\.schema\.json\n/,
    );
    const doc = parse(text);
    assert.ok(schemaValid(doc), JSON.stringify(schemaValid.errors));
    assert.ok(validateConfigDocument(doc, { env: {} }).ok);
  });

  for (const [name, doc] of GOOD) {
    test(`both accept: ${name}`, () => {
      assert.ok(schemaValid(doc), `schema refuses: ${JSON.stringify(schemaValid.errors)}`);
      const result = validateConfigDocument(doc, { env: ENV });
      assert.ok(result.ok, `validator refuses: ${JSON.stringify(!result.ok && result.errors)}`);
    });
  }

  test(`both refuse each of ${BAD.length} broken documents`, () => {
    const disagreements: string[] = [];
    const under = (path: readonly (string | number)[], at: (string | number)[]): boolean =>
      at.every((part, i) => path[i] === part);
    for (const [name, doc, at] of BAD) {
      const bySchema = schemaValid(doc);
      const result = validateConfigDocument(doc, { env: ENV });
      if (bySchema || result.ok) {
        disagreements.push(
          `${name}: schema ${bySchema ? 'accepts' : 'refuses'}, validator ${result.ok ? 'accepts' : 'refuses'}`,
        );
        continue;
      }
      // Refused for the broken thing, not for something else: every validator error is under its
      // path, and so is at least one of the schema's.
      const stray = result.errors
        .filter((e) => !under(e.path, at))
        .map((e) => formatConfigPath(e.path));
      if (stray.length > 0)
        disagreements.push(`${name}: validator errors elsewhere: ${stray.join(', ')}`);
      const schemaPaths = schemaValid.errors!.map((e) =>
        e.instancePath
          .split('/')
          .slice(1)
          .map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
      );
      if (!schemaPaths.some((p) => under(p, at) || under(at, p)))
        disagreements.push(`${name}: schema errors elsewhere: ${JSON.stringify(schemaPaths)}`);
    }
    assert.deepEqual(disagreements, []);
  });

  test('what only the validator can check: the schema accepts, the validator refuses', () => {
    for (const [check, name, doc, env] of VALIDATOR_ONLY) {
      assert.ok(schemaValid(doc), `${name}: schema refuses ${JSON.stringify(schemaValid.errors)}`);
      assert.equal(validateConfigDocument(doc, { env }).ok, false, `${name}: validator accepts`);
      assert.ok(VALIDATOR_ONLY_CHECKS[check], name);
    }
    assert.deepEqual(
      [...new Set(VALIDATOR_ONLY.map(([check]) => check))],
      VALIDATOR_ONLY_CHECKS.map((_, i) => i),
      'every listed check has a case',
    );
  });

  test("the schema uses exactly the validator's patterns, enums and bounds", () => {
    const found = { patterns: new Set<string>(), enums: [] as string[][] };
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        for (const [key, value] of Object.entries(node)) {
          if (key === 'pattern') found.patterns.add(value as string);
          if (key === 'enum') found.enums.push(value as string[]);
          walk(value);
        }
      }
    };
    // The serve: section is checked by the CLI (src/cli/serve-settings.ts), not by this validator.
    const { serve: _serve, ...authorizerProperties } = (
      schema as { properties: Record<string, unknown> }
    ).properties;
    walk({ ...schema, properties: authorizerProperties });
    assert.deepEqual(
      [...found.patterns].sort(),
      [...Object.values(PATTERNS), ...Object.values(PRESET_ISSUER_PATTERNS)].sort(),
    );
    const enums = found.enums.map((e) => JSON.stringify(e));
    for (const expected of [
      PRESETS,
      KEY_ALGORITHMS,
      SECRET_ALGORITHMS,
      [...KEY_ALGORITHMS, ...SECRET_ALGORITHMS],
    ]) {
      assert.ok(
        enums.includes(JSON.stringify(expected)),
        `schema enum ${JSON.stringify(expected)}`,
      );
    }
    const props = schema.properties as Record<
      string,
      {
        minimum?: number;
        maximum?: number;
        properties?: Record<string, { minimum: number; maximum: number }>;
      }
    >;
    for (const [key, b] of Object.entries(INTEGER_SETTINGS))
      assert.deepEqual([props[key]!.minimum, props[key]!.maximum], [b.min, b.max], key);
    for (const [key, b] of Object.entries(JWKS_SETTINGS))
      assert.deepEqual(
        [props.jwks!.properties![key]!.minimum, props.jwks!.properties![key]!.maximum],
        [b.min, b.max],
        key,
      );
  });

  test("the schema's issuer pattern for each preset accepts exactly what checkPresetIssuer accepts", () => {
    const samples = [
      'https://',
      'https:///',
      'https://t.auth0.com/',
      'https://t.auth0.com',
      'https://auth.example.com/',
      'http://t.auth0.com/',
      'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123',
      'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123/',
      'https://cognito-idp.ap-southeast-2.amazonaws.com/ap-southeast-2_x',
      'https://cognito-idp.us-gov-west-1.amazonaws.com/us-gov-west-1_Z9',
      'https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_Abc',
      'https://cognito-idp.US-EAST-1.amazonaws.com/us-east-1_AbC123',
      'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_',
      'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_a-b',
      'https://dev-1.okta.com/oauth2/default',
      'https://dev-1.okta.com',
      'https://dev-1.okta.com/oauth2/default/',
      'https://a\nb',
      'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0',
      'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0/',
      'https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad/',
      'https://sts.windows.net/9188040d-6c67-4c5b-b112-36a304b66dad',
      'https://login.microsoftonline.com/common/v2.0',
      'https://login.microsoftonline.com/9188040d6c674c5bb11236a304b66dad1234/v2.0',
      'urn:example',
      '',
    ];
    for (const preset of PRESETS) {
      const pattern = PRESET_ISSUER_PATTERNS[preset];
      for (const issuer of samples) {
        const bySchema = pattern === undefined || new RegExp(pattern, 'u').test(issuer);
        assert.equal(
          bySchema,
          checkPresetIssuer(preset, issuer) === undefined,
          `${preset} ${JSON.stringify(issuer)}`,
        );
      }
    }
  });

  test('the bounds are those of the environment variables (configFromEnv)', () => {
    const base = {
      TOKEN_ISSUER: 'https://i.example.com/',
      AUDIENCE: 'a',
      JWKS_URI: 'https://i.example.com/jwks',
    };
    const bounds = [...Object.values(INTEGER_SETTINGS), ...Object.values(JWKS_SETTINGS)];
    for (const { min, max, env } of bounds) {
      // JWKS_MIN_AGE must not exceed JWKS_MAX_AGE: give the other room.
      const room =
        env === 'JWKS_MIN_AGE'
          ? { JWKS_MAX_AGE: '86400' }
          : env === 'JWKS_MAX_AGE'
            ? { JWKS_MIN_AGE: '1' }
            : {};
      for (const ok of [min, max])
        assert.doesNotThrow(
          () => configFromEnv({ ...base, ...room, [env]: String(ok) }),
          `${env}=${ok}`,
        );
      for (const bad of [min - 1, max + 1]) {
        if (bad < 0) continue;
        assert.throws(
          () => configFromEnv({ ...base, ...room, [env]: String(bad) }),
          (e: unknown) => e instanceof ConfigError && e.setting === env,
          `${env}=${bad}`,
        );
      }
    }
  });
});

test('the validator module does not pull in the yaml package (the Lambda can use it alone)', async () => {
  const result = await build({
    entryPoints: [join(ROOT, 'src/settings/file-validate.ts')],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    metafile: true,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  assert.ok(inputs.some((p) => p.endsWith('file-validate.ts')));
  assert.deepEqual(
    inputs.filter((p) => p.includes('node_modules')),
    [],
  );
});
