// Small pure pieces, each against the cases that once went wrong or could.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkScopes, grantedScopes } from '../src/core/scopes.js';
import { buildContext, MAX_CONTEXT_LENGTH } from '../src/core/context.js';
import { parseMethodArn, policyResource } from '../src/aws/policy.js';
import { readEnvFile } from '../src/cli/env-file.js';
import { loadDevKey } from '../src/idp/dev-issuer.js';
import { UsageError } from '../src/core/errors.js';

test('granted scopes come from scope (space-delimited) and scp as a string or an array', () => {
  assert.deepEqual(
    [...grantedScopes({ scope: 'read:pets  write:pets' })],
    ['read:pets', 'write:pets'],
  );
  assert.deepEqual(
    [...grantedScopes({ scp: ['read:pets', 'admin', 7, ''] })],
    ['read:pets', 'admin'],
  );
  assert.deepEqual([...grantedScopes({ scp: 'read:pets' })], ['read:pets']);
  assert.deepEqual([...grantedScopes({ scope: 'a', scp: ['b'] })], ['a', 'b']);
  assert.deepEqual(
    [...grantedScopes({ scope: ['not', 'a', 'string'] as unknown as string })],
    ['not', 'a', 'string'],
  );
  assert.equal(checkScopes({ scp: ['read:pets'] }, ['read:pets'], 'all'), undefined);
  assert.equal(
    checkScopes({ scp: ['read:pets'] }, ['read:pets', 'write:pets'], 'all')?.code,
    'SCOPE_INSUFFICIENT',
  );
  assert.equal(checkScopes({ scp: ['read:pets'] }, ['admin', 'read:pets'], 'any'), undefined);
  assert.equal(checkScopes({}, ['read:pets'], 'any')?.code, 'SCOPE_INSUFFICIENT');
});

test('context: own claims only, flat values, non-finite numbers dropped, bounded in total', () => {
  const payload = JSON.parse(
    '{"sub":"u","n":1e400,"m":-5,"ok":true,"nul":null,"__proto__":{"x":1},"list":["a","b"],"mixed":[1,"a"]}',
  );
  const context = buildContext(payload, [
    'constructor',
    'toString',
    'hasOwnProperty',
    '__proto__',
    'n',
    'm',
    'ok',
    'nul',
    'list',
    'mixed',
    'absent',
  ]);
  assert.deepEqual(context, {
    __proto__: '{"x":1}',
    m: -5,
    ok: true,
    list: 'a b',
    mixed: '[1,"a"]',
  });
  assert.equal(
    Object.getPrototypeOf(context),
    Object.prototype,
    'a __proto__ claim is data, not a prototype',
  );
  const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`c${i}`, 'x'.repeat(2000)]));
  const bounded = buildContext(big, Object.keys(big));
  const size = JSON.stringify(bounded).length;
  assert.ok(size <= MAX_CONTEXT_LENGTH + 100, `context of ${size} characters`);
  assert.ok(Object.keys(bounded).length >= 3);
  for (const v of Object.values(bounded)) assert.ok(String(v).length <= 1024);
});

test('methodArn: root path, path values with colons, other partitions; malformed ARNs refused', () => {
  const root = parseMethodArn('arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/');
  assert.deepEqual(root, {
    partition: 'aws',
    region: 'us-east-1',
    account: '123456789012',
    apiId: 'abc123',
    stage: 'prod',
  });
  const colon = parseMethodArn(
    'arn:aws:execute-api:us-east-1:123456789012:abc123/lab/GET/counters/2021-08-01T00:00:00Z',
  );
  assert.equal(
    colon && policyResource(colon, 'stage'),
    'arn:aws:execute-api:us-east-1:123456789012:abc123/lab/*/*',
  );
  const cn = parseMethodArn('arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/v1/POST/orders');
  assert.equal(
    cn && policyResource(cn, 'api'),
    'arn:aws-cn:execute-api:cn-north-1:123456789012:abc123/*',
  );
  const ws = parseMethodArn('arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$connect');
  assert.equal(ws?.stage, 'prod');
  for (const bad of [
    '',
    'nonsense',
    'arn:aws:lambda:us-east-1:123456789012:function:x',
    'arn:aws:execute-api:us-east-1:123456789012:abc123',
    'arn:aws:execute-api:us-east-1:123456789012:/prod/GET/',
    42,
    null,
  ]) {
    assert.equal(parseMethodArn(bad), undefined, String(bad));
  }
});

test('env files: comments, export, quotes with trailing comments, errors naming the line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-env-'));
  const file = join(dir, '.env');
  writeFileSync(
    file,
    [
      '# settings',
      'export TOKEN_ISSUER="https://x.auth0.com/" # tenant',
      "AUDIENCE='api' # id",
      'ALGORITHMS=RS256,ES256 # two',
      'EMPTY=',
      'HASH="a#b"',
      '',
    ].join('\n'),
  );
  assert.deepEqual(readEnvFile(file), {
    TOKEN_ISSUER: 'https://x.auth0.com/',
    AUDIENCE: 'api',
    ALGORITHMS: 'RS256,ES256',
    EMPTY: '',
    HASH: 'a#b',
  });
  writeFileSync(file, 'GOOD=1\nthis is not a setting\n');
  assert.throws(
    () => readEnvFile(file),
    (e: Error) => e instanceof UsageError && /:2: expected KEY=value/.test(e.message),
  );
  writeFileSync(file, 'A="unterminated\n');
  assert.throws(() => readEnvFile(file), /:1: unterminated/);
});

test('the development key: created once with mode 0600, never overwriting a .gitignore, bad files named', () => {
  const home = mkdtempSync(join(tmpdir(), 'tollgate-home-'));
  writeFileSync(join(home, '.gitignore'), 'node_modules/\n');
  const env = { TOLLGATE_HOME: home };
  assert.equal(loadDevKey({ create: false, env }), undefined);
  const first = loadDevKey({ create: true, env })!;
  assert.equal(
    readFileSync(join(home, '.gitignore'), 'utf8'),
    'node_modules/\n',
    'an existing .gitignore is left alone',
  );
  assert.equal(loadDevKey({ create: true, env })!.kid, first.kid, 'the same key on later runs');
  assert.equal(first.publicJwk.d, undefined);

  const fresh = join(home, 'new-home');
  loadDevKey({ create: true, env: { TOLLGATE_HOME: fresh } });
  assert.equal(
    readFileSync(join(fresh, '.gitignore'), 'utf8'),
    '*\n',
    'a folder made here ignores itself',
  );

  for (const [content, message] of [
    ['null', /has no kid/],
    ['[1]', /has no kid/],
    ['{', /not readable JSON/],
    ['{"kid":"k","kty":"RSA"}', /not a valid private JWK/],
  ] as const) {
    const dir = join(home, `bad-${Math.random().toString(36).slice(2)}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'dev-key.json'), content);
    assert.throws(
      () => loadDevKey({ create: true, env: { TOLLGATE_HOME: dir } }),
      (e: Error) => e instanceof UsageError && message.test(e.message),
      content,
    );
  }
});
