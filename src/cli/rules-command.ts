// `tollgate rules check FILE`: the rules file read with every problem at its line and column
// (src/settings/rules-file.ts).
import { parseArgs } from 'node:util';
import { EXIT, UsageError } from '../core/errors.js';
import { formatRulesError, loadRulesFile } from '../settings/rules-file.js';

export const RULES_HELP = `Usage: tollgate rules check FILE

Checks a route rules file (YAML or JSON). When it is valid, prints one line,
"FILE: N routes, default deny", and exits 0; otherwise prints each problem as
FILE:LINE:COLUMN: where and what, and exits 2. examples/petstore.rules.yaml shows the format.`;

/** `tollgate rules ...`: returns the exit code. */
export function rulesCommand(
  args: string[],
  out: (line: string) => void,
  err: (line: string) => void,
): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: { help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!);
  }
  const [sub, ...files] = parsed.positionals;
  if (parsed.values.help) return (out(RULES_HELP), EXIT.allow);
  if (sub === undefined) return (err(RULES_HELP), EXIT.usage);
  if (sub !== 'check')
    throw new UsageError(
      `unknown rules command ${JSON.stringify(sub)}; run 'tollgate rules --help'`,
    );
  if (files.length !== 1)
    throw new UsageError('rules check takes one file: tollgate rules check FILE');
  const file = files[0]!;
  const result = loadRulesFile(file);
  if (!result.ok) {
    for (const e of result.errors) err(formatRulesError(e));
    return EXIT.usage;
  }
  const n = result.rules.routes.length;
  out(`${file}: ${n} ${n === 1 ? 'route' : 'routes'}, default ${result.rules.default}`);
  return EXIT.allow;
}
