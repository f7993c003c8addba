// npm run tour: the authorizer handler on the embedded development issuer. It mints tokens, runs
// the real handler on TOKEN events, and shows an Allow, a Deny and an Unauthorized, with no
// account and no network beyond 127.0.0.1.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/tollgate.js', import.meta.url));
// The tour always uses the development issuer, whatever issuer the shell has configured.
const devEnv = {
  ...process.env,
  TOKEN_ISSUER: '',
  JWKS_URI: '',
  AUDIENCE: '',
  ALGORITHMS: '',
  REQUIRED_SCOPES: '',
  TOKEN_SECRET: '',
  TOKEN_SECRET_FILE: '',
  PRESET: '',
  TOKEN_USE: '',
};
const run = (args, env = {}) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...devEnv, ...env } });
const say = (text) =>
  process.stdout.write(process.stdout.isTTY ? `\n\x1b[1m${text}\x1b[0m\n` : `\n${text}\n`);
const show = (r) => process.stdout.write(r.stdout + (r.status === 0 ? '' : `(exit ${r.status})\n`));

say('1. Mint a development token: tollgate token --sub alice --scope "read:pets"');
const minted = run(['token', '--sub', 'alice', '--scope', 'read:pets']);
if (minted.status !== 0) {
  process.stderr.write(minted.stderr);
  process.exit(1);
}
const token = minted.stdout.trim();
process.stdout.write(
  `${token.slice(0, 40)}... (${token.length} characters, signed by .tollgate/dev-key.json)\n`,
);

say('2. Run the handler on a TOKEN event for GET /pets: an Allow over the whole stage');
const allowed = run(['invoke', '--token', token]);
show(allowed);

say(
  '3. The same token where write:pets is required (REQUIRED_SCOPES=write:pets): a Deny, API Gateway answers 403',
);
const denied = run(['invoke', '--token', token], { REQUIRED_SCOPES: 'write:pets' });
show(denied);

say('4. The token with its payload changed to sub "admin": Unauthorized, API Gateway answers 401');
const [h, p, s] = token.split('.');
const forgedPayload = Buffer.from(
  JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), sub: 'admin' }),
).toString('base64url');
const forged = `${h}.${forgedPayload}.${s}`;
const refused = run(['invoke', '--token', forged]);
show(refused);

say('5. Why? tollgate explain <jwt>');
show(run(['explain', forged]));

const ok = allowed.status === 0 && denied.status === 3 && refused.status === 4;
say(ok ? 'All three answers are as API Gateway needs them.' : 'Unexpected answers above.');
process.stdout.write(
  'Next: npm start (the PetStore behind a local API Gateway), tollgate --help, README.md.\n',
);
process.exit(ok ? 0 : 1);
