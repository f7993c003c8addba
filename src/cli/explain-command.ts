import { CLAIM_CHECKS } from '../core/claims.js';
import type { KeySet } from '../core/keyset.js';
import { decodeUnverified, parseJwt } from '../core/parse.js';
import { KeySourceError, type Decision, type Reason } from '../core/reasons.js';
import { checkScopes } from '../core/scopes.js';
import { checkSignature, worthRefetch } from '../core/verifier.js';
import { createAuthorizer } from '../lambda/authorizer.js';
import { cliAuthorizerConfig } from './load-config.js';
import { bearerToken } from '../aws/bearer.js';
import { EXIT, UsageError } from '../core/errors.js';
import { resolveEnv } from './resolve-env.js';

export const EXPLAIN_HELP = `Usage: tollgate explain [--config FILE] [--env-file FILE] <jwt>

Shows a token's header and claims (unverified), then each check against the current
configuration (the environment, over --env-file or ./.env; the development issuer when no
TOKEN_ISSUER is set), with PASS or FAIL and the reason code, and the decision the handler would make.
The token is never printed. Exit codes as for 'tollgate invoke'.`;

const STATUS: Record<Decision['kind'], string> = {
  allow: 'Allow (API Gateway calls the backend)',
  deny: 'Deny (API Gateway answers 403)',
  unauthorized: 'Unauthorized (API Gateway answers 401)',
  failure: 'Failure (API Gateway answers 500; the token is not at fault)',
};

function describeTime(claims: Record<string, unknown>, name: string): string {
  const v = claims[name];
  return typeof v === 'number' ? `  ${name}: ${new Date(v * 1000).toISOString()}` : '';
}

export async function explain(
  rawToken: string | undefined,
  envFile: string | undefined,
  out: (line: string) => void,
  configOption: string | undefined,
  err: (line: string) => void,
): Promise<number> {
  if (!rawToken) throw new UsageError('a token is required: tollgate explain <jwt>');
  const token = bearerToken(rawToken) ?? rawToken;
  const resolved = await resolveEnv(envFile, configOption, err);
  try {
    const authorizer = createAuthorizer(cliAuthorizerConfig(resolved.env, resolved.file), {
      log: () => {},
    });
    if (resolved.notice) out(`Note: ${resolved.notice}\n`);
    const { header, payload } = decodeUnverified(token);
    // With several issuers, the checks are against the issuer the token names (or the first).
    const named =
      typeof payload?.iss === 'string' ? authorizer.runtimes.get(payload.iss) : undefined;
    const runtime = named ?? [...authorizer.runtimes.values()][0]!;
    const config = runtime.config;
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
    out(
      `Checks against TOKEN_ISSUER=${config.issuer} AUDIENCE=${config.audiences.join(',')} ALGORITHMS=${config.algorithms.join(',')}:`,
    );
    const row = (ok: boolean, name: string, detail: string): void =>
      out(`  ${ok ? 'PASS' : 'FAIL'}  ${name.padEnd(10)} ${detail}`);
    const fail = (name: string, r: Reason): void => row(false, name, `${r.code}: ${r.message}`);

    const parsed = parseJwt(token, new Set(config.algorithms), config.maxTokenLength);
    if (!('signature' in parsed)) fail('format', parsed);
    else {
      row(true, 'format', `compact JWS, alg ${parsed.header.alg} allowed`);
      let keys: KeySet | undefined;
      try {
        keys = await runtime.keys.get();
      } catch (error) {
        fail('keys', {
          code: error instanceof KeySourceError ? error.code : 'INTERNAL_ERROR',
          message: (error as Error).message,
        });
      }
      if (keys) {
        // The same key selection and signature check as the verifier, so the rows cannot contradict the decision.
        const { alg, kid } = parsed.header;
        let candidates = keys.candidates(alg, kid);
        if (candidates.length === 0 && worthRefetch(parsed, keys))
          candidates = (await runtime.keys.refreshForUnknownKid(kid!)).candidates(alg, kid);
        const failure = checkSignature(parsed, candidates);
        if (failure?.code === 'KEY_NOT_FOUND') fail('key', failure);
        else {
          row(true, 'key', `kid ${JSON.stringify(kid ?? null)} found`);
          if (failure) fail('signature', failure);
          else row(true, 'signature', 'verifies');
        }
      }
      const now = Math.floor(Date.now() / 1000);
      for (const check of CLAIM_CHECKS) {
        if (check.applies?.(config) === false) continue;
        const r = check.run(parsed.payload, config, now);
        if (r) fail(check.name, r);
        else row(true, check.name, 'ok');
      }
      const scope = checkScopes(
        parsed.payload,
        config.requiredScopes,
        config.scopeMatch,
        config.scopeClaims,
      );
      if (scope) fail('scopes', scope);
      else
        row(
          true,
          'scopes',
          config.requiredScopes.length
            ? `has ${config.scopeMatch} of ${config.requiredScopes.join(' ')}`
            : 'none required',
        );
    }
    // The verdict comes from the verifier itself, so explain can never disagree with the handler.
    const decision = await authorizer.issuers.verify(token);
    out('');
    out(
      `Decision: ${STATUS[decision.kind]}${decision.kind === 'allow' ? '' : `, reason ${decision.reason.code}`}`,
    );
    return EXIT[decision.kind];
  } finally {
    await resolved.close();
  }
}
