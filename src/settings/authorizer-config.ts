// The authorizer's settings from the environment and a validated config file, as the CLI and the
// tests build them (the Lambda converts its file in the lazily loaded validator chunk instead).
import { buildSettings, type Settings, type SettingsSources } from './build-settings.js';
import { fileInput } from './file-input.js';
import type { FileConfig } from './file-validate.js';

export type { Settings, SettingsOverrides } from './build-settings.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Builds the authorizer's settings: the file's typed settings and the environment's, merged (for
 * shared settings an environment variable wins over the file) and validated once. Issuers come
 * from the file or from TOKEN_ISSUER, never both.
 */
export function authorizerConfig(
  env: Env,
  sources: Omit<SettingsSources, 'file'> & { readonly file?: FileConfig | undefined } = {},
): Settings {
  const file = sources.file && fileInput(sources.file, env);
  return buildSettings(env, { ...sources, file });
}
