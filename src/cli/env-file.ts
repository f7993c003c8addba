import { existsSync, readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';

/**
 * Reads a dotenv-style file: `KEY=value` lines, `#` comments, optional `export `, values in
 * single or double quotes. Errors name the file and line.
 */
export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read env file ${path}: ${code === 'ENOENT' ? 'there is no such file' : (code ?? String(error))}`,
    );
  }
  const env: Record<string, string> = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match) throw new UsageError(`${path}:${i + 1}: expected KEY=value`);
    const rest = match[2]!;
    const quote = rest[0];
    let value: string;
    if (quote === '"' || quote === "'") {
      // The value ends at the closing quote; only a comment may follow it.
      const close = rest.indexOf(quote, 1);
      if (close < 0 || !/^\s*(?:#.*)?$/.test(rest.slice(close + 1)))
        throw new UsageError(`${path}:${i + 1}: unterminated or trailing text after quoted value`);
      value = rest.slice(1, close);
    } else value = rest.replace(/\s+#.*$/, '');
    env[match[1]!] = value;
  });
  return env;
}

/**
 * The environment invoke, explain and serve run with: the `--env-file` file, or else `./.env` when
 * present (as dotenv reads it), under the process environment, which wins over either as it does
 * with dotenv. Reading `.env`, and every file setting the environment overrides, is said on `note`.
 */
export function commandEnv(
  envFile: string | undefined,
  note: (line: string) => void,
  processEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  const path = envFile ?? (existsSync('.env') ? '.env' : undefined);
  if (path === undefined) return { ...processEnv };
  const fromFile = readEnvFile(path);
  const names = Object.keys(fromFile);
  if (envFile === undefined)
    note(
      `tollgate: read .env in this folder (${names.join(', ') || 'no settings'}); --env-file FILE reads another file instead`,
    );
  const overridden = names.filter((name) => Object.hasOwn(processEnv, name));
  if (overridden.length)
    note(
      `tollgate: ${overridden.join(', ')} from the environment ${overridden.length > 1 ? 'win' : 'wins'} over ${path}`,
    );
  return { ...fromFile, ...processEnv };
}
