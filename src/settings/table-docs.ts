// The doc line and the default as the README shows it, for each setting of SETTING_TABLE
// (table.ts): kept apart so the Lambda bundle carries no prose. The type makes the two tables
// agree: a setting without a doc line, or a doc line without a setting, does not compile.
// `npm run docs:settings` writes the README's configuration table from these.
import type { SettingName } from './table.js';

export interface SettingDoc {
  /** Markdown for the README's Default column, when the table's default does not say it all (`required`, `discovery`). */
  readonly default?: string;
  /** Markdown: what the setting does, its values and bounds. */
  readonly doc: string;
}

export const SETTING_DOCS: { readonly [K in SettingName]: SettingDoc } = {
  TOKEN_ISSUER: {
    default: 'required',
    doc: 'Expected `iss`, compared exactly. Auth0 issuers end with `/`.',
  },
  AUDIENCE: {
    default: 'required',
    doc: 'Accepted `aud` values, separated by commas or spaces; the token must carry at least one.',
  },
  TOLLGATE_CONFIG: {
    doc: 'A config file (JSON in Lambda; YAML or JSON from the CLI). Without it, the function uses the config `npm run bundle` embedded, if any.',
  },
  RULES_FILE: {
    doc: 'A route rules file (JSON in Lambda; YAML or JSON from the CLI). Without rules, an Allow covers the whole stage.',
  },
  TOKEN_SOURCE: {
    doc: 'Where REQUEST, HTTP API and WebSocket events carry the token: `header:NAME`, `query:NAME` or `cookie:NAME`. TOKEN events always use `authorizationToken`.',
  },
  V2_RESPONSE: {
    default: '`simple` (`iam` with route rules)',
    doc: 'HTTP API payload 2.0: `simple` (`enableSimpleResponses: true`) or `iam`. The event does not say which the API expects; the wrong one is a 500, never an Allow.',
  },
  V2_SIMPLE_CACHE: {
    doc: "Required to combine `V2_RESPONSE=simple` with route rules: `per-route` (the authorizer's identity sources include `$context.routeKey`) or `off` (result TTL 0). Otherwise a cached `isAuthorized: true` from one route would open every route, so Tollgate refuses to start.",
  },
  JWKS_URI: {
    default: 'discovery',
    doc: 'Where the signing keys are. Unset: `jwks_uri` from `{TOKEN_ISSUER}/.well-known/openid-configuration`, whose `issuer` must equal `TOKEN_ISSUER`. Must be `https`, except `localhost`, `127.0.0.1`, `[::1]`. Redirects to another origin are not followed.',
  },
  ALGORITHMS: {
    default: '`RS256` (`HS256` with a secret)',
    doc: 'Allowed `alg` values, comma-separated: `RS256/384/512`, `PS256/384/512`, `ES256/384/512`, `EdDSA`, `Ed25519`; `HS256/384/512` only with `TOKEN_SECRET`. `none` is always refused.',
  },
  TOKEN_SECRET: {
    doc: 'For an issuer that signs with HMAC: the shared secret (text, or `base64:` followed by base64). At least as long as the digest (32 bytes for HS256, 48 for HS384, 64 for HS512). Such an issuer has no JWKS: `JWKS_URI` must be unset, and asymmetric algorithms are refused.',
  },
  TOKEN_SECRET_FILE: {
    doc: 'The same, read from a file (a trailing newline is removed).',
  },
  PRESET: {
    doc: "The identity provider: `auth0`, `cognito`, `okta`, `entra` or `oidc`. Sets where scopes, groups and the audience are read (below) and checks that `TOKEN_ISSUER` has the provider's form.",
  },
  TOKEN_USE: {
    doc: '`cognito` only: `access` (audience from `client_id`, `token_use: access`) or `id` (audience from `aud`, `token_use: id`).',
  },
  SCOPE_CLAIMS: {
    default: 'from the preset',
    doc: 'Claims holding scopes. `oidc`: `scope`, `scp`; `auth0`: `scope`, `permissions`; `cognito`: `scope`; `okta`, `entra`: `scp`.',
  },
  GROUP_CLAIMS: {
    default: 'from the preset',
    doc: 'Claims holding groups or roles. `oidc`, `okta`: `groups`; `cognito`: `cognito:groups`; `entra`: `roles`, `groups`; `auth0`: none (set your namespaced claim).',
  },
  CLOCK_TOLERANCE: {
    doc: 'Seconds of leeway on `exp`, `nbf` and `iat`.',
  },
  REQUIRED_SCOPES: {
    doc: 'Scopes every request needs, space- or comma-separated, read from `SCOPE_CLAIMS` (each a space-delimited string or an array). A valid token without them gets a Deny (403).',
  },
  SCOPE_MATCH: {
    doc: '`all`: every required scope; `any`: at least one.',
  },
  CONTEXT_CLAIMS: {
    doc: "Claims copied into the authorizer context, comma-separated; `claim=name` renames (`cognito:groups=groups`). Arrays of strings become space-separated text, objects JSON text; null and non-finite values are left out; values are cut at 1024 characters and the whole context at about 4 KB, inside API Gateway's 8 KB result limit. `principalId` is always `sub`.",
  },
  USAGE_IDENTIFIER_CLAIM: {
    doc: 'A claim (e.g. `client_id`, `azp`) whose value becomes `usageIdentifierKey`, so API Gateway usage plans with API key source `AUTHORIZER` meter and throttle each client.',
  },
  POLICY_RESOURCE: {
    doc: 'What an Allow (or Deny) covers: `stage` = `{apiId}/{stage}/*/*`, `api` = `{apiId}/*`.',
  },
  TOKEN_MAX_LENGTH: {
    doc: 'Longest token accepted, in characters.',
  },
  TOKEN_CACHE_SIZE: {
    doc: 'Allowed tokens remembered per container, by exact token, to skip parsing and the signature on repeats. `exp`, `nbf` and `iat` are re-checked on every request; entries verified under an older key set are never used; `0` disables. Larger caches keep entries alive long enough to be promoted by the garbage collector, which costs distinct tokens about 4% throughput at 1000.',
  },
  LOG_DECISIONS: {
    doc: "`refusals` (the default): Deny, Unauthorized and failures get a JSON line each; Allow decisions are not logged one by one (on Lambda's stdout pipe a line costs several microseconds, more than a cached answer, and CloudWatch ingestion at high volume) but counted: the deployed function writes counts per decision and reason as CloudWatch embedded-metric-format lines every few seconds (docs/logging.md). `all`: a line per decision, Allows included.",
  },
  JWKS_TIMEOUT_MS: {
    doc: "Bound on one key fetch in milliseconds, OpenID discovery included (API Gateway gives an authorizer 10 s). Keep it under the Lambda function's timeout.",
  },
  JWKS_MAX_AGE: {
    doc: 'Seconds keys are used before a refetch. `Cache-Control: max-age` may shorten it, never lengthen it. A key removed from the JWKS stops working after this.',
  },
  JWKS_MIN_AGE: {
    doc: 'Shortest key cache lifetime, whatever `Cache-Control` says (`no-store`, `max-age=0`).',
  },
  JWKS_COOLDOWN: {
    doc: 'At most one refetch for unknown `kid`s per this many seconds, so a flood of made-up `kid`s cannot hammer the identity provider.',
  },
  JWKS_STALE_IF_ERROR: {
    doc: 'Seconds past `JWKS_MAX_AGE` that cached keys keep working while refetches fail (each failure is logged). After a failure, fetches are retried at most every 5 s.',
  },
};
