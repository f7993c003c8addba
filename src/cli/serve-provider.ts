// `tollgate serve`, step five: with no issuer configured, the development OpenID provider at /idp
// is the issuer: it grants the scopes the rules name, and Tollgate's own authorizer trusts it.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { ApiDefinition } from '../gateway/openapi.js';
import { DEV_AUDIENCE, devIssuerFor, loadDevKey } from '../idp/dev-issuer.js';
import { createDevProvider, type DevProvider } from '../idp/dev-provider.js';
import type { FileConfig } from '../settings/file-validate.js';
import type { IssuerInput } from '../settings/settings.js';
import { withCognitoScopes } from './cognito-option.js';
import { devIssuerSettings } from './resolve-env.js';

export interface ProviderStart {
  readonly port: number;
  readonly api: ApiDefinition;
  /** AUDIENCE from the environment, if set: the provider's tokens carry it. */
  readonly audience: string | undefined;
  readonly rulesFile: string | undefined;
  readonly file: FileConfig | undefined;
  /** `--cognito POOL=dev`: the provider also issues the pool's tokens. */
  readonly cognito: boolean;
  /**
   * TOLLGATE_DEV_REDIRECT_URIS: more sign-in callbacks for the web client, for a frontend served
   * from another origin (an identity provider's "Allowed Callback URLs"); the token endpoint then
   * answers that origin's CORS requests too.
   */
  readonly moreRedirectUris: string | undefined;
  readonly log: (entry: Record<string, unknown>) => void;
}

/** The provider, and the issuer settings Tollgate's own authorizer uses to trust it. */
export async function startDevProvider(
  o: ProviderStart,
): Promise<{ provider: DevProvider; issuer: IssuerInput }> {
  const scopes = rulesScopes(o.rulesFile, o.file) ?? ['read:pets', 'write:pets'];
  const provider = await createDevProvider({
    issuer: devIssuerFor(o.port),
    audience: o.audience?.trim() || DEV_AUDIENCE,
    scopes: o.cognito ? withCognitoScopes(scopes, o.api) : scopes,
    redirectUris: [
      `http://localhost:${o.port}/`,
      `http://127.0.0.1:${o.port}/`,
      ...(o.moreRedirectUris ?? '').split(/[\s,]+/).filter(Boolean),
    ],
    key: loadDevKey({ create: true })!,
    log: o.log,
    ...(o.cognito ? { cognito: true } : {}),
  });
  const issuer = devIssuerSettings(o.audience, provider.issuer, devJwksUri(provider, o.port));
  return { provider, issuer };
}

/** The provider's JWKS on the local server. */
export function devJwksUri(provider: DevProvider, port: number): string {
  return `http://127.0.0.1:${port}${provider.mountPath}/jwks`;
}

/** The scopes the rules name (--rules or RULES_FILE, else the file's), if any. */
function rulesScopes(
  rulesFile: string | undefined,
  file: FileConfig | undefined,
): string[] | undefined {
  const path = rulesFile ?? (file?.rules?.kind === 'file' ? file.rules.path : undefined);
  try {
    const rulesDoc = path
      ? parseYaml(readFileSync(path, 'utf8'))
      : file?.rules?.kind === 'inline'
        ? file.rules.document
        : undefined;
    const found = scopesIn(rulesDoc);
    return found.size ? [...found] : undefined;
  } catch {
    // The authorizer's own loading reports a bad rules file with its position.
    return undefined;
  }
}

/** Every scope a rules document names, so the development provider can grant them. */
function scopesIn(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) scopesIn(v, out);
  else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'scopes') {
        const list = Array.isArray(v)
          ? v
          : typeof v === 'object' && v !== null
            ? Object.values(v).flat()
            : [];
        for (const s of list) if (typeof s === 'string') out.add(s);
      } else scopesIn(v, out);
    }
  }
  return out;
}
