// examples/cdk: the CDK app synthesizes offline (app.synth() in node, no AWS account), and
// `tollgate serve --template cdk.out/TollgatePetStore.template.json` answers every request as
// `tollgate serve --template examples/cdk/sam-template.yaml`, the same API written in SAM: the
// Tollgate bundle as the TOKEN authorizer, a Cognito user pool authorizer, a public method.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cfnLint, samTransformText } from './support/aws-tools.js';
import { spawnSync } from './support/child.js';
import { startJwksServer, startOidcProvider, type JwksServer } from './support/jwks-server.js';
import { generateKey, sign, type TestKey } from './support/keys.js';
import { ROOT, repoPath } from './support/paths.js';
import { serveTemplate } from './support/serve-template.js';

const CDK_DIR = repoPath('examples/cdk');
const SAM_TEMPLATE = join(CDK_DIR, 'sam-template.yaml');
const STACK = 'TollgatePetStore';
const ISSUER = 'https://issuer.example.com/';
const AUDIENCE = 'https://api.example.com';
// GetAtt PetsUserPool.Arn locally: the pool id is REGION_LOGICALID (app.mjs fixes the logical id).
const POOL = 'us-east-1_PetsUserPool';
const SLOW = { timeout: 600_000, encoding: 'utf8' } as const;

let dir: string;
let cdkTemplate: string;
let httpTemplate: string;
let samTemplate: string;
const savedHome = process.env.TOLLGATE_HOME;

/** examples/cdk's own dependencies: CI installs them (.ci/run); elsewhere the first run does. */
function ensureCdkInstalled(): void {
  if (existsSync(join(CDK_DIR, 'node_modules/aws-cdk-lib/package.json'))) return;
  const r = spawnSync('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: CDK_DIR,
    ...SLOW,
  });
  assert.equal(r.status, 0, `npm ci in examples/cdk: ${r.stderr}`);
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'tollgate-cdk-example-'));
  process.env.TOLLGATE_HOME = join(dir, '.tollgate');
  ensureCdkInstalled();
  // The bundle as `npm run bundle` builds it (no embedded config: the stack's environment is the
  // configuration), in a folder of its own: test/bundle.test.ts rebuilds dist/authorizer meanwhile.
  const bundle = join(dir, 'authorizer');
  const built = spawnSync(
    process.execPath,
    ['scripts/bundle.mjs', '--outdir', bundle, '--zip', join(dir, 'authorizer.zip')],
    { cwd: ROOT, env: { ...process.env, TOLLGATE_CONFIG: '' }, ...SLOW },
  );
  assert.equal(built.status, 0, built.stderr);
  const outdir = join(dir, 'cdk.out');
  const app = pathToFileURL(join(CDK_DIR, 'app.mjs')).href;
  const synth = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(app)});
       m.createApp({ outdir: ${JSON.stringify(outdir)}, authorizerCode: ${JSON.stringify(bundle)} }).synth();`,
    ],
    { cwd: CDK_DIR, ...SLOW },
  );
  assert.equal(synth.status, 0, `cdk synth: ${synth.stderr}`);
  cdkTemplate = join(outdir, `${STACK}.template.json`);
  httpTemplate = join(outdir, `${STACK}Http.template.json`);
  // The SAM version, its CodeUri paths pointing at the same code.
  samTemplate = join(dir, 'sam-template.yaml');
  writeFileSync(
    samTemplate,
    readFileSync(SAM_TEMPLATE, 'utf8')
      .replace('CodeUri: ../../dist/authorizer/', `CodeUri: ${bundle}`)
      .replace('CodeUri: ../pets/\n', `CodeUri: ${repoPath('examples/pets')}\n`),
  );
});

after(() => {
  if (savedHome === undefined) delete process.env.TOLLGATE_HOME;
  else process.env.TOLLGATE_HOME = savedHome;
  rmSync(dir, { recursive: true, force: true });
});

test("the synthesized template passes cfn-lint; the SAM version passes AWS's SAM transform and cfn-lint", () => {
  const template = JSON.parse(readFileSync(cdkTemplate, 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
  };
  const functions = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function',
  );
  assert.equal(functions.length, 2);
  // What `tollgate serve` reads the code from: cdk.out's asset folders.
  for (const f of functions) assert.match(String(f.Metadata?.['aws:asset:path']), /^asset\./);
  // W3005: CDK itself writes a DependsOn on each function's role beside the GetAtt of its Arn.
  assert.equal(cfnLint(cdkTemplate, ['W3005']), '');
  assert.equal(cfnLint(httpTemplate, ['W3005']), '');
  const packaged = readFileSync(SAM_TEMPLATE, 'utf8').replace(/CodeUri: \S+/g, 'CodeUri: s3://b/k');
  const out = samTransformText(packaged);
  assert.ok(out.ok, JSON.stringify(out));
  assert.equal(cfnLint(SAM_TEMPLATE), '');
});

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly token?: string;
  readonly status: number;
}

async function cases(key: TestKey): Promise<Case[]> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = (claims: Record<string, unknown>): Promise<string> =>
    sign(key, { iss: ISSUER, aud: AUDIENCE, sub: 'ada', iat: now, exp: now + 600, ...claims });
  const reader = `Bearer ${await jwt({ scope: 'read:pets' })}`;
  const cognitoIss = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;
  const idToken = await jwt({ iss: cognitoIss, aud: 'client1', token_use: 'id' });
  const accessToken = await jwt({ iss: cognitoIss, client_id: 'client1', token_use: 'access' });
  const bearer = async (claims: Record<string, unknown>): Promise<string> =>
    `Bearer ${await jwt(claims)}`;
  const rows: [string, string, string, string | undefined, number][] = [
    ['public, no token', 'GET', '/pets', undefined, 200],
    ['no token', 'GET', '/pets/1', undefined, 401],
    ['not Bearer (validation expression)', 'GET', '/pets/1', 'Basic x', 401],
    ['not a JWT', 'GET', '/pets/1', 'Bearer abc', 401],
    ['read:pets', 'GET', '/pets/1', reader, 200],
    ['read:pets, no such pet', 'GET', '/pets/9', reader, 404],
    ['read:pets, stage in the path', 'GET', '/prod/pets/2', reader, 200],
    ['without read:pets', 'GET', '/pets/1', await bearer({ scope: 'other' }), 403],
    ['expired', 'GET', '/pets/1', await bearer({ scope: 'read:pets', exp: now - 60 }), 401],
    ['another audience', 'GET', '/pets/1', await bearer({ scope: 'read:pets', aud: 'x' }), 401],
    ['Cognito ID token to Tollgate', 'GET', '/pets/3', `Bearer ${idToken}`, 401],
    ['Cognito: no token', 'POST', '/pets', undefined, 401],
    ['Cognito: ID token', 'POST', '/pets', idToken, 201],
    ['Cognito: access token, no method scopes', 'POST', '/pets', accessToken, 401],
    ['Cognito: a token of another issuer', 'POST', '/pets', reader, 401],
  ];
  return rows.map(([name, method, path, token, status]) => ({
    name,
    method,
    path,
    ...(token === undefined ? {} : { token }),
    status,
  }));
}

test('tollgate serve on cdk.out answers as on the SAM version of the same API: 401, 403, 200 and 201 for the same tokens, with the same bodies', async () => {
  const key = generateKey('RS256');
  const jwks: JwksServer = await startJwksServer([key.jwk]);
  const flags = {
    'parameter-overrides': [`TokenIssuer=${ISSUER} Audience=${AUDIENCE} JwksUri=${jwks.url}`],
    cognito: [`${POOL}=${jwks.url}`],
  };
  const cdk = await serveTemplate(cdkTemplate, flags);
  const sam = await serveTemplate(samTemplate, flags);
  try {
    const ask = async (url: string, c: Case): Promise<{ status: number; body: string }> => {
      const r = await fetch(`${url}${c.path}`, {
        method: c.method,
        headers: {
          ...(c.token ? { authorization: c.token } : {}),
          ...(c.method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        ...(c.method === 'POST' ? { body: '{"type":"hamster","price":9}' } : {}),
      });
      return { status: r.status, body: await r.text() };
    };
    for (const c of await cases(key)) {
      const fromCdk = await ask(cdk.running.url, c);
      const fromSam = await ask(sam.running.url, c);
      assert.equal(fromCdk.status, c.status, `${c.name}: ${fromCdk.body}`);
      assert.deepEqual(fromCdk, fromSam, c.name);
    }
    // The Tollgate bundle ran as each template's function, with its parameters as environment.
    const said = cdk.lines.join('\n');
    assert.match(said, new RegExp(`Cognito user pool ${POOL}: `));
    assert.match(said, /PetsUserPool\.Type AWS::Cognito::UserPool is not created locally: Cognito/);
    assert.doesNotMatch(said, /not run locally|\.zip/);
  } finally {
    await cdk.running.close();
    await sam.running.close();
    await jwks.close();
  }
});

test('the HTTP API stack (HttpApi, HttpJwtAuthorizer, HttpLambdaIntegration): an open route, 401 without a token, 403 without the route scope, 200 and 201 with it', async () => {
  const key = generateKey('RS256');
  const idp = await startOidcProvider([key.jwk]);
  const { running, lines } = await serveTemplate(httpTemplate, {
    'parameter-overrides': [`TokenIssuer=${idp.origin} Audience=${AUDIENCE}`],
  });
  try {
    const now = Math.floor(Date.now() / 1000);
    const bearer = async (scope: string, exp = now + 600): Promise<Record<string, string>> => ({
      authorization: `Bearer ${await sign(key, { iss: idp.origin, aud: AUDIENCE, sub: 'ada', scope, exp })}`,
    });
    const call = (method: string, path: string, headers: Record<string, string> = {}) =>
      fetch(`${running.url}${path}`, {
        method,
        headers: { ...headers, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{"type":"hamster"}' } : {}),
      });
    assert.equal((await call('GET', '/pets')).status, 200);
    const missing = await call('GET', '/pets/1');
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), { message: 'Unauthorized' });
    const ok = await call('GET', '/pets/1', await bearer('read:pets'));
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { pet: { id: string } }).pet.id, '1');
    assert.equal((await call('GET', '/pets/1', await bearer('write:pets'))).status, 403);
    assert.equal((await call('GET', '/pets/1', await bearer('read:pets', now - 60))).status, 401);
    assert.equal((await call('POST', '/pets', await bearer('write:pets'))).status, 201);
    assert.equal((await call('POST', '/pets', await bearer('read:pets'))).status, 403);
    assert.ok(!lines.some((l) => /warning/.test(l)), lines.join('\n'));
  } finally {
    await running.close();
    await idp.close();
  }
});
