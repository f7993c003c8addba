/**
 * Identity-provider presets: where each provider puts scopes, groups and the audience, and what
 * its issuer looks like. Each quirk is here, once, and tested with tokens shaped like the real ones.
 */
export const PRESETS = ['oidc', 'auth0', 'cognito', 'okta', 'entra'] as const;
export type PresetName = (typeof PRESETS)[number];

export interface PresetClaims {
  /** Claims whose values are scopes (space-delimited strings or arrays). */
  readonly scopeClaims: readonly string[];
  /** Claims whose values are groups or roles. */
  readonly groupClaims: readonly string[];
  readonly audienceClaim: 'aud' | 'client_id';
  readonly tokenUse: 'access' | 'id' | undefined;
}

/**
 * - Auth0: `scope` string; with RBAC, `permissions` array. Groups are a namespaced custom claim,
 *   so none by default (set groupClaims).
 * - Amazon Cognito: access tokens carry `client_id`, not `aud`, and `token_use: access`; ID tokens
 *   carry `aud` and `token_use: id` and no scopes. Groups in `cognito:groups`.
 * - Okta: `scp` array; groups in `groups` when the authorization server adds the claim.
 * - Microsoft Entra ID: `scp` space-delimited string (delegated), `roles` array (app roles), `groups`.
 * - Any other OpenID Connect issuer: `scope` and `scp`; `groups`.
 */
export function presetClaims(
  preset: PresetName,
  tokenUse: 'access' | 'id' = 'access',
): PresetClaims {
  switch (preset) {
    case 'auth0':
      return {
        scopeClaims: ['scope', 'permissions'],
        groupClaims: [],
        audienceClaim: 'aud',
        tokenUse: undefined,
      };
    case 'cognito':
      return tokenUse === 'access'
        ? {
            scopeClaims: ['scope'],
            groupClaims: ['cognito:groups'],
            audienceClaim: 'client_id',
            tokenUse: 'access',
          }
        : {
            scopeClaims: [],
            groupClaims: ['cognito:groups'],
            audienceClaim: 'aud',
            tokenUse: 'id',
          };
    case 'okta':
      return {
        scopeClaims: ['scp'],
        groupClaims: ['groups'],
        audienceClaim: 'aud',
        tokenUse: undefined,
      };
    case 'entra':
      return {
        scopeClaims: ['scp'],
        groupClaims: ['roles', 'groups'],
        audienceClaim: 'aud',
        tokenUse: undefined,
      };
    case 'oidc':
      return {
        scopeClaims: ['scope', 'scp'],
        groupClaims: ['groups'],
        audienceClaim: 'aud',
        tokenUse: undefined,
      };
  }
}

const COGNITO =
  /^https:\/\/cognito-idp\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com\/[a-z]{2}(?:-[a-z]+)+-\d_[A-Za-z0-9]+$/;
const ENTRA =
  /^https:\/\/(?:login\.microsoftonline\.com\/[0-9a-fA-F-]{36}\/v2\.0|sts\.windows\.net\/[0-9a-fA-F-]{36}\/)$/;

/**
 * Checks the configured issuer against the provider's form, so a near miss (a missing trailing
 * slash on Auth0, one added on Cognito) fails at cold start instead of refusing every token.
 * Returns a problem description, or undefined.
 */
export function checkPresetIssuer(preset: PresetName, issuer: string): string | undefined {
  switch (preset) {
    case 'auth0':
      return issuer.startsWith('https://') && issuer.endsWith('/')
        ? undefined
        : 'an Auth0 issuer is https://YOUR_DOMAIN/ with the trailing slash, as in its tokens';
    case 'cognito':
      return COGNITO.test(issuer)
        ? undefined
        : 'a Cognito issuer is https://cognito-idp.REGION.amazonaws.com/USER_POOL_ID, without a trailing slash';
    case 'entra':
      return ENTRA.test(issuer)
        ? undefined
        : 'an Entra ID issuer is https://login.microsoftonline.com/TENANT_ID/v2.0 (v2 tokens) or https://sts.windows.net/TENANT_ID/ (v1)';
    case 'okta':
      return issuer.startsWith('https://') && !issuer.endsWith('/')
        ? undefined
        : 'an Okta issuer is https://YOUR_DOMAIN/oauth2/SERVER_ID (or https://YOUR_DOMAIN for the org server), without a trailing slash';
    case 'oidc':
      return undefined;
  }
}
