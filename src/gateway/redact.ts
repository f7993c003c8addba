// Keeps tokens, keys and cookies out of the gateway's log lines (`--verbose` logs authorizer
// events and results). As the Lambda handler's own log, which names the principal, the key id and
// the issuer but never the token, nothing that authenticates a caller is written, not even in part.

/** Names whose values authenticate a caller, compared in lower case (headers, event fields, claims). */
const SENSITIVE_NAMES = new Set([
  'authorization',
  'proxy-authorization',
  'authorizationtoken',
  'identitysource',
  'cookie',
  'cookies',
  'set-cookie',
  'x-api-key',
  'apikey',
  'usageidentifierkey',
  'token',
  'access_token',
  'id_token',
  'refresh_token',
  'client_secret',
  'password',
  'secret',
]);

/** A JWS or JWE in compact form anywhere in a string: its header is base64url JSON, so it starts `eyJ`. */
const COMPACT_JOSE = /eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){1,4}/g;

/** Pieces of a secret shorter than this are not searched for on their own (they would match anything). */
const MIN_PART = 8;

const REDACTED = '[redacted]';

/**
 * The strings to search for: each secret, without a `Bearer ` prefix, URL-encoded, and each of its
 * dot-separated parts (a token's header, payload and signature leak on their own too).
 */
function needles(secrets: readonly string[]): string[] {
  const out = new Set<string>();
  for (const raw of secrets) {
    const s = raw.replace(/^bearer\s+/i, '');
    for (const v of [raw, s, encodeURIComponent(s), ...s.split(/[.,\s]/)])
      if (v.length >= MIN_PART) out.add(v);
  }
  return [...out].sort((a, b) => b.length - a.length);
}

function scrub(text: string, found: readonly string[]): string {
  let out = text.replace(COMPACT_JOSE, REDACTED);
  for (const n of found) if (out.includes(n)) out = out.split(n).join(REDACTED);
  return out;
}

/**
 * A copy of `value` fit for a log line: values under sensitive names replaced whole, compact JWS/JWE
 * and every known secret (e.g. the request's identity values) replaced wherever they occur.
 *
 * @example
 * redact({ headers: { Authorization: 'Bearer eyJ…' }, path: '/pets' }) // { headers: { Authorization: '[redacted]' }, path: '/pets' }
 */
export function redact(value: unknown, secrets: readonly string[] = []): unknown {
  const found = needles(secrets);
  const walk = (v: unknown, sensitive: boolean, depth: number): unknown => {
    if (typeof v === 'string') return sensitive && v !== '' ? REDACTED : scrub(v, found);
    if (typeof v !== 'object' || v === null) return v;
    if (depth > 32) return REDACTED;
    if (Array.isArray(v)) return v.map((x) => walk(x, sensitive, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v))
      out[scrub(k, found)] = walk(x, sensitive || SENSITIVE_NAMES.has(k.toLowerCase()), depth + 1);
    return out;
  };
  return walk(value, false, 0);
}

/** A free-text detail (an authorizer's error message) without known secrets or compact tokens. */
export function redactText(text: string, secrets: readonly string[] = []): string {
  return scrub(text, needles(secrets));
}
