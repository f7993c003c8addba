import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { UsageError } from '../core/errors.js';

/**
 * The development issuer: what `tollgate token` signs as and what `tollgate invoke` trusts when no
 * issuer is configured. Its key lives outside version control and never reaches a deployed handler.
 */
export const DEV_ISSUER = 'http://localhost:3000/idp';
export const DEV_AUDIENCE = 'https://petstore.example.com';

/** The development provider's issuer when `tollgate serve` listens on `port`. */
export function devIssuerFor(port: number): string {
  return `http://localhost:${port}/idp`;
}

/** DEV_ISSUER, or the issuer at `$PORT` when that is a valid port, where `tollgate serve` would run it. */
export function defaultDevIssuer(env: NodeJS.ProcessEnv = process.env): string {
  const port = env.PORT?.trim();
  return port && /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535
    ? devIssuerFor(Number(port))
    : DEV_ISSUER;
}

/**
 * Settings that describe a real issuer. Any of them without TOKEN_ISSUER is a half-written
 * configuration: the development issuer would replace it (dropping JWKS_URI, trusting tokens that
 * `tollgate token` mints), so the CLI refuses to start instead.
 */
const ISSUER_SETTINGS = [
  'JWKS_URI',
  'AUDIENCE',
  'ALGORITHMS',
  'TOKEN_SECRET',
  'TOKEN_SECRET_FILE',
  'PRESET',
  'TOKEN_USE',
] as const;

/** Throws a UsageError when issuer settings are given without TOKEN_ISSUER (empty counts as unset). */
export function refuseHalfIssuer(env: Readonly<Record<string, string | undefined>>): void {
  if (env.TOKEN_ISSUER?.trim()) return;
  const given = ISSUER_SETTINGS.filter((name) => env[name]?.trim());
  if (given.length === 0) return;
  const list =
    given.length === 1
      ? `${given[0]} is`
      : `${given.slice(0, -1).join(', ')} and ${given.at(-1)} are`;
  throw new UsageError(
    `${list} set but TOKEN_ISSUER is not: set TOKEN_ISSUER (the exact iss of your tokens), or unset ${given.length === 1 ? 'it' : 'them'} to use the development issuer`,
  );
}

export interface DevKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: Record<string, unknown>;
  readonly path: string;
}

/** `$TOLLGATE_HOME`, or `.tollgate/` in the current directory (gitignored). */
export function devHome(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.TOLLGATE_HOME ?? '.tollgate');
}

/** Loads the development key, creating an RSA 2048 key on first use (file mode 0600). */
export function loadDevKey(options: {
  create: boolean;
  env?: NodeJS.ProcessEnv;
}): DevKey | undefined {
  const home = devHome(options.env);
  const path = join(home, 'dev-key.json');
  if (!existsSync(path)) {
    if (!options.create) return undefined;
    createDevKey(home, path);
  }
  let jwk: unknown;
  try {
    jwk = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UsageError(
      `the development key ${path} is not readable JSON; delete it to create a new one`,
    );
  }
  const fields = (
    typeof jwk === 'object' && jwk !== null && !Array.isArray(jwk) ? jwk : {}
  ) as Record<string, unknown>;
  if (typeof fields.kid !== 'string')
    throw new UsageError(`the development key ${path} has no kid; delete it to create a new one`);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: fields as never, format: 'jwk' });
  } catch {
    throw new UsageError(
      `the development key ${path} is not a valid private JWK; delete it to create a new one`,
    );
  }
  const publicJwk = {
    ...createPublicKey(privateKey).export({ format: 'jwk' }),
    kid: fields.kid,
    alg: 'RS256',
    use: 'sig',
  };
  return { kid: fields.kid, privateKey, publicJwk, path };
}

function createDevKey(home: string, path: string): void {
  // A .gitignore only in a folder made here: never overwrite one of the user's.
  if (!existsSync(home)) {
    mkdirSync(home, { recursive: true });
    createOnce(join(home, '.gitignore'), '*\n', 0o644);
  }
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `tollgate-dev-${randomBytes(6).toString('hex')}`;
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256' };
  createOnce(path, JSON.stringify(jwk, null, 2) + '\n', 0o600);
}

/**
 * Writes a whole file at `path` unless one is there. Written beside it, then linked into place:
 * a concurrent first run sees no file or a complete one, never a half-written one, and two first
 * runs at once keep one key. link() does not follow a symlink planted at the path.
 */
function createOnce(path: string, text: string, mode: number): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, text, { mode, flag: 'wx' });
    linkSync(temporary, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
      throw new UsageError(
        `cannot create ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Serves the development JWKS on 127.0.0.1 (port 0: any free port). */
export async function serveDevJwks(
  key: DevKey,
  port = 0,
): Promise<{ url: string; server: Server }> {
  const body = JSON.stringify({ keys: [key.publicJwk] });
  const server = createServer((req, res) => {
    if (req.url === '/.well-known/jwks.json')
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(new UsageError(`cannot listen on 127.0.0.1:${port}: ${error.code ?? error.message}`)),
    );
    server.listen(port, '127.0.0.1', ok);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    server,
  };
}
