import { readFileSync } from 'node:fs';
import { UsageError } from './errors.js';

/**
 * Reads a dotenv-style file: `KEY=value` lines, `#` comments, optional `export `, values in
 * single or double quotes. Errors name the file and line.
 */
export function readEnvFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read env file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
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
      if (close < 0 || !/^\s*(?:#.*)?$/.test(rest.slice(close + 1))) throw new UsageError(`${path}:${i + 1}: unterminated or trailing text after quoted value`);
      value = rest.slice(1, close);
    } else value = rest.replace(/\s+#.*$/, '');
    env[match[1]!] = value;
  });
  return env;
}
