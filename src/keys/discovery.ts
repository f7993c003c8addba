// OpenID discovery, in a module of its own: a deployment with JWKS_URI set never loads it.
import { KeySourceError } from '../core/key-source.js';
import { httpGet, type HttpResponse } from './http-get.js';
import { checkKeyUrl } from './key-url.js';

/** The OpenID discovery step: the issuer's `jwks_uri`, after checking the document names this issuer. */
export async function discoverJwksUri(
  issuer: string,
  options: { timeoutMs: number; get?: typeof httpGet },
): Promise<URL> {
  const base = issuer.endsWith('/') ? issuer : `${issuer}/`;
  const url = new URL('.well-known/openid-configuration', base);
  const fail = (message: string, cause?: unknown): KeySourceError =>
    new KeySourceError('DISCOVERY_FAILED', `OpenID discovery at ${url.href}: ${message}`, {
      cause,
    });
  let response: HttpResponse;
  try {
    response = await (options.get ?? httpGet)(url, {
      timeoutMs: options.timeoutMs,
      maxBytes: 512 * 1024,
    });
  } catch (error) {
    throw fail(error instanceof Error ? error.message : String(error), error);
  }
  if (response.status !== 200) throw fail(`answered HTTP ${response.status}`);
  let doc: unknown;
  try {
    doc = JSON.parse(response.body.toString('utf8'));
  } catch {
    throw fail('the document is not JSON');
  }
  const meta = (typeof doc === 'object' && doc !== null ? doc : {}) as {
    issuer?: unknown;
    jwks_uri?: unknown;
  };
  // OpenID Connect Discovery 1.0 section 4.3: the issuer in the document must match exactly.
  if (meta.issuer !== issuer)
    throw fail(
      `the document names issuer ${JSON.stringify(meta.issuer)}, not ${JSON.stringify(issuer)}`,
    );
  if (typeof meta.jwks_uri !== 'string') throw fail('the document has no jwks_uri');
  const jwks = checkKeyUrl(meta.jwks_uri);
  if (typeof jwks === 'string') throw fail(`jwks_uri ${jwks}`);
  return jwks;
}
