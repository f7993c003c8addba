// The full local stack as `npm start` runs it: `serve()` with examples/serve.config.yaml, which
// mounts the development OpenID provider at /idp and the sign-in page at /, in front of the
// PetStore behind Tollgate's authorizer. Any free port; the development key in a fresh home.
import { serve } from '../../src/cli/serve-command.js';
import { repoPath } from '../support/paths.js';

export interface Stack {
  /** http://localhost:PORT, the development issuer's origin. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startStack(home: string): Promise<Stack> {
  // serve reads these from the environment: a fresh development key, and no issuer of the caller's
  // (with one, serve would trust it instead of running the development provider).
  process.env.TOLLGATE_HOME = home;
  for (const name of ['TOKEN_ISSUER', 'JWKS_URI', 'AUDIENCE', 'TOLLGATE_CONFIG', 'RULES_FILE'])
    delete process.env[name];
  // Its banner and access log are not what these tests check: kept off the test output.
  const running = await serve(
    { config: repoPath('examples', 'serve.config.yaml'), port: '0' },
    () => {},
    () => {},
  );
  return { url: running.url, close: () => running.close() };
}
