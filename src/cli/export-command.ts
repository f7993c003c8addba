import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { exportApi, type ExportFormat } from '../gateway/export.js';
import { EXIT, UsageError } from '../core/errors.js';

export const EXPORT_HELP = `Usage: tollgate export --api FILE [--out FILE] [--format yaml|json] [--function NAME=LOGICALID]...

Writes the OpenAPI document as API Gateway must import it through CloudFormation (AWS::Include in
deploy/template.yaml). The document is first checked as 'tollgate serve' checks it. Then:
  - each Lambda invocation URI (authorizerUri, integration uri) becomes
      Fn::Sub: arn:\${AWS::Partition}:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${LOGICALID.Arn}/invocations
    LOGICALID is the function's name in PascalCase followed by AuthorizerFunction (a function an
    authorizer names) or Function (tollgate -> TollgateAuthorizerFunction, pets -> PetsFunction),
    unless --function says otherwise;
  - x-tollgate-* keys, and any mapping marked x-tollgate-local: true, are removed (local only).
Nothing is added. A summary of what changed goes to stderr.

Options:
  --api FILE                  the OpenAPI 3.0 or Swagger 2.0 document (YAML or JSON)
  --out FILE                  where to write it (default: standard output)
  --format yaml|json          default: json for an --out ending in .json, yaml otherwise
  --function NAME=LOGICALID   the template's logical id for a function the ARNs name (repeatable)
  -h, --help                  this help

Example: tollgate export --api examples/petstore.openapi.yaml --out dist/petstore.openapi.yaml`;

export interface ExportCommandOptions {
  api?: string | undefined;
  out?: string | undefined;
  format?: string | undefined;
  function?: string[] | undefined;
}

function logicalIds(specs: readonly string[]): Record<string, string> {
  // No prototype: a function may be called `constructor` or `__proto__`.
  const ids = Object.create(null) as Record<string, string>;
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq <= 0 || eq === spec.length - 1)
      throw new UsageError(`--function must be NAME=LOGICALID, got ${JSON.stringify(spec)}`);
    const name = spec.slice(0, eq);
    if (name in ids) throw new UsageError(`--function ${name} is given twice`);
    ids[name] = spec.slice(eq + 1);
  }
  return ids;
}

/** `tollgate export`: exit 0 with the document written, or a UsageError (exit 2) naming the problem. */
export function exportCommand(
  options: ExportCommandOptions,
  out: (text: string) => void,
  err: (line: string) => void,
): number {
  if (!options.api) throw new UsageError('--api FILE is required');
  const format = (options.format ??
    (options.out?.toLowerCase().endsWith('.json') ? 'json' : 'yaml')) as ExportFormat;
  if (format !== 'yaml' && format !== 'json')
    throw new UsageError(`--format must be yaml or json, got ${JSON.stringify(options.format)}`);
  let source: string;
  try {
    source = readFileSync(options.api, 'utf8');
  } catch (error) {
    throw new UsageError(
      `${options.api}: cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  // A document or export error (API_DOCUMENT_INVALID, EXPORT_INVALID, ...) exits 2 at the CLI's boundary.
  const result = exportApi(source, options.api, {
    format,
    logicalIds: logicalIds(options.function ?? []),
  });
  if (options.out) {
    try {
      mkdirSync(dirname(options.out), { recursive: true });
      writeFileSync(options.out, result.text);
    } catch (error) {
      throw new UsageError(
        `--out ${options.out}: cannot be written: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
      );
    }
  } else {
    out(result.text);
  }
  const templated = result.functions
    .map((f) => `${f.name} -> ${f.logicalId} (${f.uris} URI${f.uris === 1 ? '' : 's'})`)
    .join(', ');
  const removed =
    result.removed.length === 0
      ? 'nothing local-only to remove'
      : `removed ${result.removed.join(', ')}`;
  err(
    `tollgate export: ${options.api} -> ${options.out ?? 'stdout'} (${format}): templated ${templated || 'no function URIs'}; ${removed}`,
  );
  for (const arn of result.accountArns)
    err(`tollgate export: warning: ${arn} still names an AWS account (kept as written)`);
  return EXIT.allow;
}
