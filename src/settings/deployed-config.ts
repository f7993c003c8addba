// The deployed function's full settings reader (a chunk of its own, loaded when quick.ts cannot
// answer): environment variables and a JSON config file (or the one `npm run bundle` embedded),
// read at cold start. Unlike config-file.ts (the CLI's: YAML or JSON,
// every problem at its line and column), it carries no YAML parser, and the file validator and
// the rules engine are chunks loaded only when a config file or rules are used.
import { buildSettings, rulesConfigured, type FileInput, type Settings } from './build-settings.js';
import { ConfigError } from './config-error.js';

// Not an ESM import: this chunk loads at cold start with a config file (lambda/log-line.ts says why).
const { readFileSync } = process.getBuiltinModule('node:fs');

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The deployed function's configuration: environment variables, plus a config file when
 * TOLLGATE_CONFIG names a JSON file or `npm run bundle` embedded one in the bundle (its rules
 * inlined), so a cold start touches no file to find it. The Lambda reads JSON only: YAML stays a
 * development format, so the bundle carries no YAML parser.
 */
export async function loadLambdaConfig(env: Env, embedded: unknown = undefined): Promise<Settings> {
  const path = env.TOLLGATE_CONFIG?.trim();
  // The file validator and the rules engine are separate chunks, loaded only when configured.
  const file = path
    ? await validated(readJson(path, 'TOLLGATE_CONFIG'), path, env)
    : embedded !== undefined
      ? await validated(embedded, 'the embedded config', env)
      : undefined;
  const rulesEngine = rulesConfigured(env, file)
    ? (await import('../core/rules-engine.js')).rulesEngine
    : undefined;
  return buildSettings(env, { file, readRules: (p) => readJson(p, 'RULES_FILE'), rulesEngine });
}

function readJson(path: string, setting: string): unknown {
  if (/\.ya?ml$/i.test(path))
    throw new ConfigError(
      setting,
      `${path}: the deployed function reads JSON; npm run bundle converts YAML files`,
    );
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      setting,
      `${path} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(setting, `${path} is not valid JSON: ${(error as Error).message}`);
  }
}

async function validated(document: unknown, path: string, env: Env): Promise<FileInput> {
  const { fileInputFromDocument } = await import('./file-validate.js');
  return fileInputFromDocument(document, path, env);
}
