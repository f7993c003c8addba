// The cold start's quick settings reader against buildSettings, the full one: wherever the quick
// reader answers, its answer is buildSettings' own; it leaves every other setting to buildSettings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { QUICK_UNREAD, quickSettings } from '../src/settings/quick.js';
import { buildSettings } from '../src/settings/build-settings.js';
import { SETTING_TABLE } from '../src/settings/table.js';

const AUTH0 = {
  TOKEN_ISSUER: 'https://tenant.auth0.com/',
  JWKS_URI: 'https://tenant.auth0.com/.well-known/jwks.json',
  AUDIENCE: 'https://api.example.com',
};

test("the Auth0 sample's environment is read quickly, and exactly as buildSettings reads it", () => {
  const quick = quickSettings({ ...AUTH0, PATH: '/usr/bin', AWS_REGION: 'us-east-1' });
  assert.ok(quick, 'the common environment needs no full reader');
  assert.deepEqual(quick, buildSettings(AUTH0));
  const discovery = { TOKEN_ISSUER: AUTH0.TOKEN_ISSUER, AUDIENCE: 'a b,c', ALGORITHMS: 'ES256' };
  assert.deepEqual(quickSettings(discovery), buildSettings(discovery));
});

test('every setting the quick reader does not read sends the environment to buildSettings', () => {
  const read = ['TOKEN_ISSUER', 'AUDIENCE', 'JWKS_URI', 'ALGORITHMS', 'REQUIRED_SCOPES'];
  // A setting added to the table must be read here or listed as unread.
  assert.deepEqual(
    [...QUICK_UNREAD, ...read].sort(),
    Object.keys(SETTING_TABLE).sort(),
    'QUICK_UNREAD is every setting of the table the quick reader does not read',
  );
  for (const name of QUICK_UNREAD) {
    assert.equal(quickSettings({ ...AUTH0, [name]: 'x' }), undefined, name);
    // Blank counts as unset, as buildSettings counts it.
    assert.ok(quickSettings({ ...AUTH0, [name]: ' ' }), `${name} blank`);
  }
});

test('what the quick reader would have to explain, it leaves to buildSettings', () => {
  for (const env of [
    { ...AUTH0, TOKEN_ISSUER: ' ' },
    { ...AUTH0, AUDIENCE: ', ' },
    { ...AUTH0, ALGORITHMS: 'HS256' },
    { ...AUTH0, ALGORITHMS: 'none' },
    { ...AUTH0, JWKS_URI: 'http://keys.example.com/jwks.json' },
    { TOKEN_ISSUER: 'tenant', AUDIENCE: 'api' },
  ]) {
    assert.equal(quickSettings(env), undefined, JSON.stringify(env));
    assert.throws(() => buildSettings(env), JSON.stringify(env));
  }
});

test('on any environment of the settings it reads, the quick reader is buildSettings or silent', () => {
  const value = fc.oneof(
    fc.constant(undefined),
    fc.constantFrom('', ' ', ',', 'RS256', 'ES256, PS384', 'RS256 HS256', 'EdDSA,none'),
    fc.constantFrom('https://id.example.com/', 'http://127.0.0.1:9/jwks', 'ftp://x', 'not a url'),
    fc.constantFrom('https://u:p@id.example.com/', ' api ', 'a,b c', 'read:pets write:pets'),
    fc.string({ maxLength: 12 }),
  );
  fc.assert(
    fc.property(
      fc.record(
        {
          TOKEN_ISSUER: value,
          AUDIENCE: value,
          JWKS_URI: value,
          ALGORITHMS: value,
          REQUIRED_SCOPES: value,
        },
        { requiredKeys: [] },
      ),
      (env) => {
        const quick = quickSettings(env);
        if (quick === undefined) return;
        assert.deepEqual(quick, buildSettings(env));
      },
    ),
    { numRuns: 2000 },
  );
});
