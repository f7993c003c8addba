// A route rules file (YAML or JSON) with every problem at its line and column, as the CLI reads it
// (RULES_FILE, a config file's `rules`, `tollgate rules check`). YAML is parsed here, never in
// the Lambda: the deployed handler gets the rules as JSON.
import { formatRulePath, validateRules, type CompiledRules } from '../core/rules.js';
import { loadPositioned, readText, type PositionedError } from './yaml-position.js';

/** A problem in a rules file, at a position (1-based; 0 when there is none, as for a missing file). */
export type RulesFileError = PositionedError;

export type LoadRulesResult =
  /** `document` is the plain data (JSON-compatible), e.g. to bundle for the Lambda. */
  { ok: true; rules: CompiledRules; document: unknown } | { ok: false; errors: RulesFileError[] };

/** `FILE:LINE:COL: routes[3].scopes must be ...`, or `FILE: ...` when there is no position. */
export function formatRulesError(e: RulesFileError): string {
  const where = e.line > 0 ? `${e.file}:${e.line}:${e.column}` : e.file;
  return `${where}: ${formatRulePath(e.path) || 'the rules document'} ${e.message}`;
}

/** Reads, parses (YAML 1.2, so JSON too) and validates a rules file. */
export function loadRulesFile(file: string): LoadRulesResult {
  const read = readText(file);
  if ('why' in read)
    return {
      ok: false,
      errors: [{ file, line: 0, column: 0, path: [], message: `cannot be read: ${read.why}` }],
    };
  return loadRulesSource(read.text, file);
}

/** Parses and validates rules text as if read from `file` (named in errors). */
export function loadRulesSource(source: string, file: string): LoadRulesResult {
  const result = loadPositioned(source, file, (document) => {
    const checked = validateRules(document);
    return checked.ok ? { ok: true, value: checked.rules } : checked;
  });
  return result.ok ? { ok: true, rules: result.value, document: result.document } : result;
}
