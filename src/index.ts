// The public API: re-exports only.
export { ALGORITHMS, HMAC_ALGORITHMS, type Algorithm } from './core/algorithms.js';
export { checkClaims, CLAIM_CHECKS, type ClaimRules } from './core/claims.js';
export { buildContext, type ContextClaim } from './core/context.js';
export { IssuerSet } from './core/issuers.js';
export { KeySourceError, staticKeySource, type KeySource } from './core/key-source.js';
export {
  isTollgateError,
  TollgateError,
  UsageError,
  type TollgateErrorCode,
} from './core/errors.js';
export { importJwk, secretKey, verifySignature, type VerificationKey } from './core/keys.js';
export { KeySet } from './core/keyset.js';
export { parseJwt, type ParsedJwt } from './core/parse.js';
export { decodeUnverified } from './core/decode-unverified.js';
export { REASONS, reasonMessage } from './core/reason-messages.js';
export { REASON_KIND, type Decision, type Reason, type ReasonCode } from './core/reasons.js';
export {
  buildRoutePolicy,
  evaluateRule,
  validateRules,
  type CompiledRules,
  type RouteRule,
} from './core/rules.js';
export { checkScopes, claimValues, grantedScopes, type ScopeMatch } from './core/scopes.js';
export { Verifier, type VerifierOptions } from './core/verifier.js';
export { authorizerConfig, type Settings } from './settings/authorizer-config.js';
export { ConfigError, configFromEnv } from './settings/env.js';
export type { IssuerSettings, SharedSettings, VerifierSettings } from './settings/settings.js';
export { PRESETS, presetClaims, type PresetName } from './settings/presets.js';
export { JwksClient, type JwksClientOptions } from './keys/jwks-client.js';
export { discoverJwksUri } from './keys/discovery.js';
export { createAuthorizer, type Authorizer } from './lambda/authorizer.js';
export { bearerToken, UNAUTHORIZED } from './aws/bearer.js';
export { AuthorizerFailure } from './aws/authorizer-failure.js';
export { createHandler, type AuthorizerHandler } from './lambda/handler.js';
export { parseMethodArn, policyResource } from './aws/policy.js';
export { evaluatePolicy } from './aws/policy-eval.js';
export { createRuntime, type Runtime } from './lambda/runtime.js';
export { createIssuerHandler } from './lambda/issuer-handler.js';
