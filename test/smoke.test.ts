import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKey, sign } from './support/keys.js';
import { startJwksServer } from './support/jwks-server.js';
import { testRuntime } from './support/verifier.js';

test('a valid RS256 token is allowed', async () => {
  const key = generateKey('RS256');
  const server = await startJwksServer([key.jwk]);
  try {
    const rt = testRuntime(server.url);
    const d = await rt.verifier.verify(await sign(key));
    assert.equal(d.kind, 'allow');
  } finally {
    await server.close();
  }
});
