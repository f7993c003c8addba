// `npm run bundle -- --embed-keys`: the issuers' current public keys, fetched at build time, to
// embed in the bundle (the Lambda's embedded-keys.ts decides at cold start whether they apply).
import { KeySet } from '../core/keyset.js';
import { UsageError } from '../core/errors.js';
import { discoverJwksUri } from '../keys/discovery.js';
import { httpGet, type HttpResponse } from '../keys/http-get.js';
import { checkKeyUrl } from '../keys/key-url.js';
import type { EmbeddedJwks } from '../lambda/embedded-keys.js';

/** An issuer to embed keys for: its JWKS URL, or none (found through OpenID discovery). */
export interface EmbedTarget {
  readonly issuer: string;
  readonly jwksUri?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

// The members a public JWK may need for verification; anything else (a private `d`) stays out.
const PUBLIC_MEMBERS = ['kty', 'kid', 'use', 'alg', 'key_ops', 'n', 'e', 'crv', 'x', 'y'];

/**
 * The issuers whose keys a bundle embeds: the config document's issuers with keys from a JWKS (not
 * a secret), else TOKEN_ISSUER and JWKS_URI of the build's environment. A UsageError when none.
 */
export function embedTargets(
  document: { readonly issuers?: readonly Record<string, unknown>[] } | undefined,
  env: Env,
): EmbedTarget[] {
  const fromFile = document?.issuers
    ?.filter((i) => i.secret === undefined && typeof i.issuer === 'string')
    .map((i) => ({ issuer: i.issuer as string, jwksUri: i.jwksUri as string | undefined }));
  const issuer = env.TOKEN_ISSUER?.trim();
  const targets =
    fromFile ??
    (issuer && !env.TOKEN_SECRET && !env.TOKEN_SECRET_FILE
      ? [{ issuer, jwksUri: env.JWKS_URI?.trim() || undefined }]
      : []);
  if (targets.length === 0)
    throw new UsageError(
      '--embed-keys needs an issuer with a JWKS: TOKEN_ISSUER (and JWKS_URI) in the build environment, or issuers in the config file',
    );
  return targets;
}

/** Fetches each issuer's JWKS now, checks it is a usable key set, and keeps its public members. */
export async function fetchEmbeddedKeys(
  targets: readonly EmbedTarget[],
  timeoutMs = 10_000,
): Promise<EmbeddedJwks[]> {
  const out: EmbeddedJwks[] = [];
  for (const target of targets) {
    const fail = (problem: string): never => {
      throw new UsageError(`--embed-keys: ${target.issuer}: ${problem}`);
    };
    const checked = target.jwksUri === undefined ? undefined : checkKeyUrl(target.jwksUri);
    if (typeof checked === 'string') fail(checked);
    let url: URL;
    try {
      url = (checked as URL | undefined) ?? (await discoverJwksUri(target.issuer, { timeoutMs }));
    } catch (error) {
      return fail(error instanceof Error ? error.message : String(error));
    }
    const keys = await fetchKeys(url, timeoutMs, fail);
    out.push({
      issuer: target.issuer,
      jwksUri: url.href,
      discovered: target.jwksUri === undefined,
      fetchedAt: new Date().toISOString(),
      keys,
    });
  }
  return out;
}

async function fetchKeys(
  url: URL,
  timeoutMs: number,
  fail: (problem: string) => never,
): Promise<Record<string, unknown>[]> {
  let response: HttpResponse;
  try {
    response = await httpGet(url, { timeoutMs, maxBytes: 256 * 1024 });
  } catch (error) {
    return fail(`${url.href}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (response.status !== 200) fail(`${url.href} answered HTTP ${response.status}`);
  let document: unknown;
  try {
    document = JSON.parse(response.body.toString('utf8'));
  } catch {
    fail(`${url.href} is not JSON`);
  }
  const parsed = KeySet.parse(document);
  if (typeof parsed === 'string') fail(`${url.href}: ${parsed}`);
  const keys = (document as { keys: unknown[] }).keys.filter(
    (jwk): jwk is Record<string, unknown> => typeof jwk === 'object' && jwk !== null,
  );
  return keys.map((jwk) =>
    Object.fromEntries(PUBLIC_MEMBERS.filter((m) => m in jwk).map((m) => [m, jwk[m]])),
  );
}
