// One source for the PetStore: deploy/template.yaml is what `npm start` serves (through
// examples/serve.config.yaml) and what `sam deploy` deploys. Here the deployed authorizer, the
// bundle `npm run deploy:build` makes (dist/authorizer/index.mjs, deploy/tollgate.config.yaml's
// rules embedded), runs as the template's TollgateAuthorizerFunction with the environment the
// template gives it; and `npm start`'s gateway, where Tollgate's own authorizer stands for that
// function, serves the same template with the same stack parameters. Both answer the same
// requests identically: what is allowed locally is what the deployed authorizer allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve, type RunningServer } from '../src/cli/serve-command.js';
import { spawnSync } from './support/child.js';
import { startJwksServer } from './support/jwks-server.js';
import { generateKey, sign } from './support/keys.js';
import { ROOT, repoPath } from './support/paths.js';
import { useTempHome } from './support/temp-home.js';

const ISSUER = 'https://tenant.example.com/';
const AUDIENCE = 'https://petstore.example.com';

let dir: string;
useTempHome('tollgate-one-source-', (path) => (dir = path));
/** deploy:build's bundle step, into the test's folder (the repository's dist/ is left alone). */
function buildBundle(): string {
  const out = join(dir, 'authorizer');
  const built = spawnSync(
    process.execPath,
    [
      'scripts/bundle.mjs',
      '--config',
      'deploy/tollgate.config.yaml',
      '--outdir',
      out,
      '--zip',
      join(dir, 'authorizer.zip'),
    ],
    { cwd: ROOT, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
  );
  assert.equal(built.status, 0, built.stderr);
  return out;
}

/** deploy/template.yaml with the authorizer's code the built bundle folder, as `sam deploy` zips it. */
function templateWithBundle(bundle: string): string {
  const text = readFileSync(repoPath('deploy/template.yaml'), 'utf8');
  const withBundle = text
    .replace('CodeUri: ../dist/tollgate-authorizer.zip', `CodeUri: ${bundle}`)
    .replace('CodeUri: ../examples/pets/', `CodeUri: ${repoPath('examples/pets')}`);
  assert.notEqual(withBundle, text);
  const path = join(dir, 'template.yaml');
  writeFileSync(path, withBundle);
  return path;
}

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

async function call(running: RunningServer, method: string, path: string, auth?: string) {
  const r = await fetch(`${running.url}${path}`, {
    method,
    headers: { ...(auth ? { authorization: auth } : {}), 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: '{"type":"hamster","price":3}' } : {}),
  });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: compared as text
  }
  return { status: r.status, body } satisfies Answer;
}

test("the deployed bundle, run as the template function with the template environment, and npm start's gateway answer the same requests alike", async () => {
  const bundle = buildBundle();
  const key = generateKey('RS256');
  const jwks = await startJwksServer([key.jwk]);
  const now = Math.floor(Date.now() / 1000);
  const token = async (claims: Record<string, unknown>): Promise<string> =>
    `Bearer ${await sign(key, { iss: ISSUER, aud: AUDIENCE, sub: 'ada', iat: now, exp: now + 600, ...claims })}`;
  const tokens: Record<string, string | undefined> = {
    none: undefined,
    read: await token({ scope: 'read:pets' }),
    write: await token({ scope: 'write:pets' }),
    both: await token({ scope: 'read:pets write:pets' }),
    scopeless: await token({}),
    expired: await token({ scope: 'read:pets', exp: now - 120 }),
    otherAudience: await token({ scope: 'read:pets', aud: 'https://other.example.com' }),
    otherIssuer: await token({ scope: 'read:pets', iss: 'https://evil.example.com/' }),
    garbage: 'Bearer abc.def.ghi',
  };
  const parameters = [`TokenIssuer=${ISSUER} Audience=${AUDIENCE} JwksUri=${jwks.url}`];
  const quiet = (): void => {};
  const local = await serve(
    {
      config: repoPath('examples/serve.config.yaml'),
      'parameter-overrides': parameters,
      port: '0',
    },
    quiet,
    quiet,
  );
  const deployed = await serve(
    { template: templateWithBundle(bundle), 'parameter-overrides': parameters, port: '0' },
    quiet,
    quiet,
  );
  try {
    const routes = [
      ['GET', '/pets'],
      ['POST', '/pets'],
      ['GET', '/pets/1'],
      ['GET', '/public'],
    ] as const;
    const statuses = new Set<number>();
    for (const [name, auth] of Object.entries(tokens))
      for (const [method, path] of routes) {
        const a = await call(local, method, path, auth);
        const b = await call(deployed, method, path, auth);
        assert.deepEqual(a, b, `${name}: ${method} ${path}`);
        statuses.add(a.status);
      }
    // The comparison covers every kind of answer, not one alike failure.
    assert.deepEqual([...statuses].sort(), [200, 201, 401, 403]);
    const read = await call(local, 'GET', '/pets', tokens.read);
    assert.equal((read.body as { store: string }).store, 'Tollgate PetStore');
  } finally {
    await local.close();
    await deployed.close();
    await jwks.close();
  }
});
