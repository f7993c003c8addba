// The one wording of each rule that the environment (settings.ts) and the config file
// (file-validate.ts) both apply. A message names settings as its source spells them: the
// environment as TOKEN_SECRET, the file as `secret` (fileKey in file-forms.ts). In the Lambda
// bundle: only what the environment's checks need is here.
import { ALGORITHMS, HMAC_ALGORITHMS, isAlgorithm, isHmac } from '../core/algorithms.js';
import type { SettingName } from './table.js';

/** How a source names a setting in its messages. */
export type Namer = (setting: SettingName) => string;

export const envName: Namer = (setting) => setting;

const q = JSON.stringify;
/** `HS256, HS384 or HS512`. */
const HMAC_NAMES = `${HMAC_ALGORITHMS.slice(0, -1).join(', ')} or ${HMAC_ALGORITHMS.at(-1)!}`;

export const PROBLEMS = {
  issuerRequired: 'is required (the exact iss of the tokens, e.g. https://YOUR_TENANT.auth0.com/)',
  audienceRequired: 'is required (the aud values accepted, or the app client ids for Cognito)',
  emptyList: 'must not be an empty list',
  wholeNumber: 'must be a whole number',
  /** Of JWKS_URI (or jwksUri) when the issuer has a secret. */
  keysAndSecret: (name: Namer, secret: SettingName): string =>
    `cannot be used with ${name(secret)}: an issuer signs with a shared secret or with published keys, never both`,
  /** Of the issuer, when keys come from OpenID discovery at it: `why` says what is wrong with it as a URL. */
  discovery: (name: Namer, why: string): string =>
    `cannot be used for OpenID discovery (set ${name('JWKS_URI')}, or fix the issuer): ${why}`,
  presetIssuer: (name: Namer, issuer: string, preset: string, why: string): string =>
    `${q(issuer)} does not fit ${name('PRESET')} ${preset}: ${why}`,
  tokenUseNotCognito: (name: Namer, preset: string): string =>
    `applies only to ${name('PRESET')} cognito (this issuer's ${name('PRESET')} is ${preset})`,
  minAge: (name: Namer, min: number, max: number): string =>
    `(${min}) must not exceed ${name('JWKS_MAX_AGE')} (${max})`,
  reservedContextName: (claim: string): string => `${q(claim)} is a name API Gateway reserves`,
} as const;

/**
 * What is wrong with `alg` as one of an issuer's algorithms, or undefined: `none` never, HMAC only
 * with a secret and only HMAC with one. `secret` names the issuer's secret setting.
 */
export function algorithmProblem(
  alg: string,
  secret: SettingName | undefined,
  name: Namer,
): string | undefined {
  const hmac = isAlgorithm(alg) && isHmac(alg);
  if (isAlgorithm(alg) && hmac === (secret !== undefined)) return undefined;
  const quoted = q(alg);
  if (hmac)
    return `${quoted} needs ${name('TOKEN_SECRET')}: HMAC cannot be used with keys from a JWKS`;
  if (isAlgorithm(alg))
    return `${quoted} cannot be used with ${name(secret!)}: an issuer with a secret verifies only ${HMAC_NAMES}`;
  const unsupported = `${quoted} is not a supported algorithm`;
  if (/^none$/i.test(alg)) return `${unsupported}: unsigned tokens are never accepted`;
  if (/^hs/i.test(alg))
    return `${unsupported}: names are case-sensitive: HMAC is ${HMAC_NAMES}, and only with ${name('TOKEN_SECRET')}`;
  return `${unsupported} (supported: ${(secret ? HMAC_ALGORITHMS : ALGORITHMS).join(', ')})`;
}
