import { reasonMessage } from '../core/reason-messages.js';
import { CLAIM_CHECKS } from '../core/claims.js';
import type { DecisionRules, Verdict } from '../core/decide.js';
import { ruleFor } from '../core/route-verdict.js';
import type { KeySet } from '../core/keyset.js';
import { parseJwt, type ParsedJwt } from '../core/parse.js';
import { decodeUnverified } from '../core/decode-unverified.js';
import { KeySourceError } from '../core/key-source.js';
import type { Decision, Reason } from '../core/reasons.js';
import { HTTP_METHODS } from '../core/rules-types.js';
import { checkScopes } from '../core/scopes.js';
import { checkSignature, worthRefetch } from '../core/verifier.js';
import { createAuthorizer, type Authorizer } from '../lambda/authorizer.js';
import { decisionRules, verdictFor } from '../lambda/handler.js';
import type { Runtime } from '../lambda/runtime.js';
import { cliAuthorizerConfig } from '../settings/config-file.js';
import { bearerToken } from '../aws/bearer.js';
import { EXIT, UsageError } from '../core/errors.js';
import { resolveEnv } from './resolve-env.js';

export const EXPLAIN_HELP = `Usage: tollgate explain [--config FILE] [--env-file FILE] [--rules FILE --route "METHOD /path"] [<jwt>]

Shows a token's header and claims (unverified), then each check against the current
configuration (the environment, over --env-file or ./.env; the development issuer when no
TOKEN_ISSUER is set), with PASS or FAIL and the reason code, and the decision the handler would make.
The token is never printed.

Options:
  --config FILE        a tollgate.config.yaml or .json (default: TOLLGATE_CONFIG, or
                       tollgate.config.yaml/.yml/.json in this folder)
  --env-file FILE      settings in KEY=value lines (default: ./.env when present)
  --rules FILE         route rules (YAML or JSON), as RULES_FILE (or the config file's rules)
  --route "METHOD /path"
                       decide this request under the route rules, as the handler does; without
                       it, the token alone is decided (no route rules). With --route, the token
                       may be left out: a request without one (public routes allow it)

Exit codes as for 'tollgate invoke': 0 allow, 3 deny, 4 unauthorized, 5 failure, 2 bad arguments.`;

export interface ExplainOptions {
  readonly token?: string | undefined;
  readonly envFile?: string | undefined;
  readonly config?: string | undefined;
  readonly rules?: string | undefined;
  readonly route?: string | undefined;
}

/** A request `--route` names: an API Gateway method and a path from the root. */
interface RouteOption {
  readonly method: string;
  readonly path: string;
}

const STATUS: Record<Decision['kind'], string> = {
  allow: 'Allow (API Gateway calls the backend)',
  deny: 'Deny (API Gateway answers 403)',
  unauthorized: 'Unauthorized (API Gateway answers 401)',
  failure: 'Failure (API Gateway answers 500; the token is not at fault)',
};

type Out = (line: string) => void;

/** Explains what the handler would decide for a token (and a route), and exits as it would. */
export async function explain(options: ExplainOptions, out: Out, err: Out): Promise<number> {
  const route = parseRoute(options.route);
  if (!options.token && route === undefined)
    throw new UsageError('a token is required: tollgate explain <jwt>');
  const token =
    options.token === undefined ? undefined : (bearerToken(options.token) ?? options.token);
  const resolved = await resolveEnv(options.envFile, options.config, err);
  try {
    const overrides = { ...resolved.overrides, rulesFile: options.rules };
    const authorizer = createAuthorizer(
      cliAuthorizerConfig(resolved.env, resolved.file, overrides),
      {
        log: () => {},
      },
    );
    if (resolved.notice) out(`Note: ${resolved.notice}\n`);
    if (token === undefined) out('No token: the request is decided as one without credentials.');
    else await showChecks(authorizer, token, out);
    const verdict = await verdictFor(authorizer, rulesFor(authorizer, route, out), {
      token,
      method: route?.method,
      path: route?.path,
    });
    showDecision(verdict, route, out);
    return EXIT[verdict.decision.kind];
  } finally {
    await resolved.close();
  }
}

/** `--route "METHOD /path"`, or a one-line usage error. */
function parseRoute(option: string | undefined): RouteOption | undefined {
  if (option === undefined) return undefined;
  const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(option);
  const method = m?.[1]!.toUpperCase();
  const path = m?.[2];
  if (!m || !path!.startsWith('/') || path!.includes('?'))
    throw new UsageError(
      `--route must be "METHOD /path" (the path without a query), e.g. "GET /pets/1"; got ${JSON.stringify(option)}`,
    );
  if (!(HTTP_METHODS as readonly string[]).includes(method!))
    throw new UsageError(
      `--route method must be one of ${HTTP_METHODS.join(', ')}; got ${JSON.stringify(m[1])}`,
    );
  return { method: method!, path: path! };
}

/** The rules decide applies: the handler's with --route; without it, the token alone. */
function rulesFor(authorizer: Authorizer, route: RouteOption | undefined, out: Out): DecisionRules {
  const rules = decisionRules(authorizer);
  if (route !== undefined) return rules;
  if (rules.shared !== undefined || rules.byIssuer.size > 0)
    out(
      '\nNote: route rules are configured; give --route "METHOD /path" to decide a request under them.',
    );
  return { ...rules, shared: undefined, byIssuer: new Map() };
}

function showDecision(verdict: Verdict, route: RouteOption | undefined, out: Out): void {
  const { decision } = verdict;
  out('');
  if (route !== undefined) out(`Route: ${route.method} ${route.path}${ruleNote(verdict, route)}`);
  out(
    `Decision: ${STATUS[decision.kind]}${decision.kind === 'allow' ? '' : `, reason ${decision.reason.code}`}`,
  );
  if (decision.kind !== 'allow') out(`  ${reasonMessage(decision.reason)}`);
}

/** Which rule decided the route, when the rules applied. */
function ruleNote(verdict: Verdict, route: RouteOption): string {
  const { grant } = verdict;
  if (grant === undefined) return '';
  if (grant.kind === 'token') return ' (decided by the token alone: no route rules apply to it)';
  const rule = ruleFor(grant.rules.compiled, route);
  return rule.index < 0 ? ` (${rule.route}: no route lists it)` : ` (rule ${rule.route})`;
}

/** The token's header, claims and each check, as the verifier makes them. */
async function showChecks(authorizer: Authorizer, token: string, out: Out): Promise<void> {
  const { header, payload } = decodeUnverified(token);
  // With several issuers, the checks are against the issuer the token names (or the first).
  const named = typeof payload?.iss === 'string' ? authorizer.runtimes.get(payload.iss) : undefined;
  const runtime = named ?? [...authorizer.runtimes.values()][0]!;
  if (!named && authorizer.runtimes.size > 1)
    out(
      `Note: iss ${JSON.stringify(payload?.iss ?? null)} is none of the ${authorizer.runtimes.size} configured issuers; checking against the first.\n`,
    );
  out('Header (unverified):');
  out(header ? JSON.stringify(header, null, 2) : '  (not decodable)');
  out('Claims (unverified):');
  out(payload ? JSON.stringify(payload, null, 2) : '  (not decodable)');
  if (payload)
    for (const t of ['iat', 'nbf', 'exp'])
      if (describeTime(payload, t)) out(describeTime(payload, t));
  out('');
  const config = runtime.config;
  out(
    `Checks against TOKEN_ISSUER=${config.issuer} AUDIENCE=${config.audiences.join(',')} ALGORITHMS=${config.algorithms.join(',')}:`,
  );
  const parsed = parseJwt(token, new Set(config.algorithms), config.maxTokenLength);
  if (!('signature' in parsed)) return fail(out, 'format', parsed);
  row(out, true, 'format', `compact JWS, alg ${parsed.header.alg} allowed`);
  await showSignature(runtime, parsed, out);
  showClaims(runtime, parsed, out);
}

function describeTime(claims: Record<string, unknown>, name: string): string {
  const v = claims[name];
  return typeof v === 'number' ? `  ${name}: ${new Date(v * 1000).toISOString()}` : '';
}

function row(out: Out, ok: boolean, name: string, detail: string): void {
  out(`  ${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(10)} ${detail}`);
}

function fail(out: Out, name: string, r: Reason): void {
  row(out, false, name, `${r.code}: ${r.message}`);
}

/** The same key selection and signature check as the verifier, so the rows cannot contradict the decision. */
async function showSignature(runtime: Runtime, parsed: ParsedJwt, out: Out): Promise<void> {
  let keys: KeySet;
  try {
    keys = await runtime.keys.get();
  } catch (error) {
    return fail(out, 'keys', {
      code: error instanceof KeySourceError ? error.code : 'INTERNAL_ERROR',
      message: (error as Error).message,
    });
  }
  const { alg, kid } = parsed.header;
  let candidates = keys.candidates(alg, kid);
  if (candidates.length === 0 && worthRefetch(parsed, keys))
    candidates = (await runtime.keys.refreshForUnknownKid(kid!)).candidates(alg, kid);
  const failure = checkSignature(parsed, candidates);
  if (failure?.code === 'KEY_NOT_FOUND') return fail(out, 'key', failure);
  row(out, true, 'key', `kid ${JSON.stringify(kid ?? null)} found`);
  if (failure) fail(out, 'signature', failure);
  else row(out, true, 'signature', 'verifies');
}

function showClaims(runtime: Runtime, parsed: ParsedJwt, out: Out): void {
  const config = runtime.config;
  const now = Math.floor(Date.now() / 1000);
  for (const check of CLAIM_CHECKS) {
    if (check.applies?.(config) === false) continue;
    const r = check.run(parsed.payload, config, now);
    if (r) fail(out, check.name, r);
    else row(out, true, check.name, 'ok');
  }
  const scope = checkScopes(
    parsed.payload,
    config.requiredScopes,
    config.scopeMatch,
    config.scopeClaims,
  );
  if (scope) return fail(out, 'scopes', scope);
  row(
    out,
    true,
    'scopes',
    config.requiredScopes.length
      ? `has ${config.scopeMatch} of ${config.requiredScopes.join(' ')}`
      : 'none required',
  );
}
